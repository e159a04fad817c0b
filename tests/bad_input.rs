//! Bad input from Rust, table-driven: every case of `tests/bad_input/cases.json` (the
//! same table `tests/python/test_bad_input.py` and `tests/c/test_bad_input.c` read; its
//! README.md describes the schema).
//!
//! For each case: what must come back comes back (`ErrorKind::InvalidSpec` naming the
//! field, or a round trip that keeps XML-special characters as text), nothing panics,
//! each case takes less than the table's budget and allocates a bounded amount, and on
//! `test:///default` defining or creating from the bad spec or XML leaves no pool and no
//! volume behind. Every failing case is listed (not only the first), with the table's
//! note when it has one.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use kvmpool::*;
use serde_json::Value;

// --- allocation accounting (this thread's live bytes and their peak) ----------------------

struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn note(delta: isize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every call is forwarded to the system allocator unchanged; the accounting only
// reads the layouts and touches thread-local counters (const-initialised, no destructor).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc` is passed on as it is.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            note(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract for `dealloc` is passed on as it is.
        unsafe { System.dealloc(ptr, layout) };
        note(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract for `realloc` is passed on as it is.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            note(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// This thread's CPU time: the budget is about the work a case costs, not about how
/// busy the machine is with other builds and tests.
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_THREAD_CPUTIME_ID exists on Linux.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Runs `f`, returning its result, the CPU time it took on this thread and the most
/// memory it held at once beyond what was live when it started (this thread's
/// allocations only).
fn measured<T>(f: impl FnOnce() -> T) -> (T, Duration, usize) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let start = thread_cpu_time();
    let out = f();
    let elapsed = thread_cpu_time().saturating_sub(start);
    let peak = PEAK.with(Cell::get);
    (out, elapsed, (peak - base).max(0) as usize)
}

// --- the table ------------------------------------------------------------------------------

struct Table {
    cases: Vec<Value>,
    budget: Duration,
    not_verbatim: BTreeSet<String>,
    test_driver_drops: BTreeSet<String>,
}

fn table() -> Table {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/bad_input/cases.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let strings = |key: &str| -> BTreeSet<String> {
        doc[key]
            .as_array()
            .unwrap_or_else(|| panic!("{path}: {key} is not a list"))
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    Table {
        cases: doc["cases"].as_array().unwrap().clone(),
        budget: Duration::from_millis(doc["budget_ms"].as_u64().unwrap()),
        not_verbatim: strings("not_verbatim"),
        test_driver_drops: strings("test_driver_drops"),
    }
}

/// A value of the table: a string, or a compact description of a large one.
fn value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(o) if o.contains_key("repeat") => o["repeat"]
            .as_str()
            .unwrap()
            .repeat(o["times"].as_u64().unwrap() as usize),
        Value::Object(o) if o.contains_key("concat") => {
            o["concat"].as_array().unwrap().iter().map(value).collect()
        }
        Value::Object(o) if o.contains_key("numbered") => {
            let item = o["numbered"].as_str().unwrap();
            (0..o["count"].as_u64().unwrap())
                .map(|i| item.replace("{}", &i.to_string()))
                .collect()
        }
        other => panic!("unknown value form in the table: {other}"),
    }
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a.iter().map(value).collect(),
        other => vec![value(other)],
    }
}

fn id(case: &Value) -> &str {
    case["id"].as_str().unwrap()
}

fn skipped(case: &Value) -> Option<&str> {
    case.get("skip")
        .and_then(|s| s.get("rust"))
        .and_then(Value::as_str)
}

fn note_of(case: &Value) -> String {
    case.get("note")
        .and_then(Value::as_str)
        .map(|n| format!(" [{n}]"))
        .unwrap_or_default()
}

// --- building what a case describes ------------------------------------------------------------

/// A value of the table as the core's field value: what Python and C pass too.
fn field_value(v: &Value) -> FieldValue {
    match v {
        Value::Bool(b) => FieldValue::Bool(*b),
        Value::Number(n) => n
            .as_i64()
            .map(|n| FieldValue::Int(n.into()))
            .or_else(|| n.as_u64().map(|n| FieldValue::Int(n.into())))
            .unwrap_or_else(|| FieldValue::Other("a float".into())),
        Value::Array(items) if items.iter().all(Value::is_array) => FieldValue::Pairs(
            items
                .iter()
                .map(|pair| (value(&pair[0]), value(&pair[1])))
                .collect(),
        ),
        Value::Array(items) => FieldValue::List(items.iter().map(value).collect()),
        other => FieldValue::Text(value(other)),
    }
}

/// A pool spec from the case's fields, through the field table every front end uses.
fn pool_spec(ty: &str, fields: &Value) -> Result<PoolSpec> {
    let ty: PoolType = ty.parse().map_err(|e| Error::invalid("type", e))?;
    let fields = fields.as_object().unwrap().iter().map(|(k, v)| {
        let field: PoolField = k.parse().unwrap_or_else(|e| panic!("table field {k}: {e}"));
        (field, field_value(v))
    });
    PoolSpec::from_fields(ty, fields.collect::<Vec<_>>())
}

/// A volume spec from the case's fields.
fn volume_spec(fields: &Value) -> Result<VolumeSpec> {
    let fields = fields.as_object().unwrap().iter().map(|(k, v)| {
        let field: VolumeField = k.parse().unwrap_or_else(|e| panic!("table field {k}: {e}"));
        (field, field_value(v))
    });
    VolumeSpec::from_fields(fields.collect::<Vec<_>>())
}

// --- checks ------------------------------------------------------------------------------------

/// With `KVMPOOL_BAD_INPUT_RECORD=FILE`, every refusal is written there (id, field,
/// message, one per line, tab-separated): how the table's `message` column is filled.
fn record(cid: &str, e: &Error) {
    use std::io::Write;
    let Some(path) = std::env::var_os("KVMPOOL_BAD_INPUT_RECORD") else {
        return;
    };
    let line = serde_json::json!([cid, e.field(), e.to_string()]).to_string();
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    writeln!(f, "{line}").unwrap();
}

/// `result` must be an InvalidSpec error naming the case's field, with the case's reason
/// in the message when `reason` is true, and exactly the case's `message` when it has one.
fn expect_invalid<T>(case: &Value, result: &Result<T>, where_: &str, reason: bool) -> Vec<String> {
    let field = case["field"].as_str().unwrap();
    let note = note_of(case);
    let cid = id(case);
    let mut out = Vec::new();
    match result {
        Ok(_) => out.push(format!(
            "{cid}: {where_} accepted it; wanted InvalidSpec on {field:?}{note}"
        )),
        Err(e) => {
            if e.kind() != ErrorKind::InvalidSpec || e.field() != Some(field) {
                out.push(format!(
                    "{cid}: {where_}: {:?} on {:?} ({e}); wanted InvalidSpec on {field:?}{note}",
                    e.kind(),
                    e.field()
                ));
            }
            if let Some(why) = case
                .get("reason")
                .and_then(Value::as_str)
                .filter(|_| reason)
            {
                if !e.to_string().contains(why) {
                    out.push(format!("{cid}: {where_}: {e:?} does not say {why:?}"));
                }
            }
            if reason {
                record(cid, e);
                if let Some(want) = case.get("message").and_then(Value::as_str) {
                    if e.to_string() != want {
                        out.push(format!(
                            "{cid}: {where_}: says {e:?}, wanted exactly {want:?}"
                        ));
                    }
                }
            }
        }
    }
    out
}

/// Element names and every text and attribute value of `xml`, as quick-xml's plain
/// reader sees it (independent of kvmpool's reader), or why it is not well-formed.
fn xml_texts(xml: &str) -> std::result::Result<(BTreeSet<String>, BTreeSet<String>), String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let (mut names, mut texts) = (BTreeSet::new(), BTreeSet::new());
    let mut text = String::new();
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(s) | Event::Empty(s) => {
                names.insert(s.name().as_ref().to_owned());
                for a in s.attributes() {
                    let a = a.map_err(|e| e.to_string())?;
                    texts.insert(
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .map_err(|e| e.to_string())?
                            .into_owned(),
                    );
                }
                text.clear();
            }
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                let name = r.xml10_content();
                if let Some(c) = r.resolve_char_ref().map_err(|e| e.to_string())? {
                    text.push(c);
                } else {
                    let s = quick_xml::escape::resolve_predefined_entity(&name)
                        .ok_or_else(|| format!("unknown entity &{name};"))?;
                    text.push_str(s);
                }
            }
            Event::CData(c) => text.push_str(&c.xml10_content()),
            Event::End(_) => {
                texts.insert(std::mem::take(&mut text));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok((names, texts))
}

/// No element was injected, and every text field of the case is a text or attribute
/// value of `xml`, verbatim.
fn check_escaped(t: &Table, case: &Value, xml: &str, skip: &BTreeSet<String>) -> Vec<String> {
    let cid = id(case);
    let (names, texts) = match xml_texts(xml) {
        Ok(x) => x,
        Err(e) => return vec![format!("{cid}: the XML is not well-formed ({e}):\n{xml}")],
    };
    let mut out = Vec::new();
    if names.contains("evil") {
        out.push(format!("{cid}: an element was injected:\n{xml}"));
    }
    for (k, v) in case["fields"].as_object().unwrap() {
        if t.not_verbatim.contains(k) || skip.contains(k) {
            continue;
        }
        let values: Vec<String> = match v {
            Value::Array(a) => a.iter().flat_map(strings).collect(),
            other => vec![value(other)],
        };
        for text in values {
            if !texts.contains(&text) {
                out.push(format!(
                    "{cid}: {k}={text:?} is not a text or attribute value of\n{xml}"
                ));
            }
        }
    }
    out
}

struct Report {
    failures: Vec<String>,
    timings: Vec<(Duration, String)>,
    peak: (usize, String),
    skipped: Vec<String>,
}

impl Report {
    fn new() -> Self {
        Report {
            failures: Vec::new(),
            timings: Vec::new(),
            peak: (0, String::new()),
            skipped: Vec::new(),
        }
    }

    fn time(&mut self, t: &Table, case: &Value, what: &str, elapsed: Duration, peak: usize) {
        let cid = id(case);
        self.timings.push((elapsed, format!("{cid} ({what})")));
        if peak > self.peak.0 {
            self.peak = (peak, format!("{cid} ({what})"));
        }
        if elapsed > t.budget {
            self.failures.push(format!(
                "{cid}: {what} took {elapsed:?}, more than the {:?} budget{}",
                t.budget,
                note_of(case)
            ));
        }
        // The input is already in memory; what a refusal or a parse may add on top of it
        // is bounded by the 1 MiB document limit times a small factor.
        const ALLOC_LIMIT: usize = 64 << 20;
        if peak > ALLOC_LIMIT {
            self.failures.push(format!(
                "{cid}: {what} held {} MiB at once, more than {} MiB{}",
                peak >> 20,
                ALLOC_LIMIT >> 20,
                note_of(case)
            ));
        }
    }

    fn finish(mut self, title: &str) {
        self.timings.sort_by_key(|t| std::cmp::Reverse(t.0));
        eprintln!(
            "{title}: {} timed steps; most memory held at once: {} KiB by {}; slowest (CPU time):",
            self.timings.len(),
            self.peak.0 >> 10,
            self.peak.1
        );
        for (d, what) in self.timings.iter().take(5) {
            eprintln!("  {:>10.2?}  {what}", d);
        }
        for s in &self.skipped {
            eprintln!("SKIPPED {s}");
        }
        assert!(
            self.failures.is_empty(),
            "{} failure(s):\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
    }
}

/// Runs a step that must not panic; a panic is a failure of the case.
fn no_panic<T>(report: &mut Report, case: &Value, what: &str, f: impl FnOnce() -> T) -> Option<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => Some(v),
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            report
                .failures
                .push(format!("{}: {what} panicked: {msg}", id(case)));
            None
        }
    }
}

// --- the cases, without a connection --------------------------------------------------------------

#[test]
fn every_case_is_refused_or_round_trips() {
    let t = table();
    let mut r = Report::new();
    for case in &t.cases {
        let cid = id(case);
        if let Some(why) = skipped(case) {
            r.skipped.push(format!("{cid}: {why}"));
            continue;
        }
        let what = case["what"].as_str().unwrap();
        let expect = case["expect"].as_str().unwrap();
        match what {
            "size" => {
                let text = value(&case["text"]);
                let Some((res, d, peak)) = no_panic(&mut r, case, "Size::parse", || {
                    measured(|| Size::parse(&text))
                }) else {
                    continue;
                };
                r.time(&t, case, "Size::parse", d, peak);
                r.failures
                    .extend(expect_invalid(case, &res, "Size::parse", true));
            }
            "capacity_bytes" => {
                // the decimal text as an integer of any size, as Python and C pass it
                let n: i128 = case["value"].as_str().unwrap().parse().unwrap();
                let res = VolumeSpec::from_fields([
                    (VolumeField::Name, FieldValue::from("v")),
                    (VolumeField::Capacity, FieldValue::Int(n)),
                ]);
                r.failures
                    .extend(expect_invalid(case, &res, "VolumeSpec::from_fields", true));
            }
            "pool_spec" | "volume_spec" => {
                let fields = &case["fields"];
                let ty = case.get("type").and_then(Value::as_str).unwrap_or("");
                let step = || -> Result<String> {
                    if what == "pool_spec" {
                        let s = pool_spec(ty, fields)?;
                        s.validate()?;
                        Ok(s.to_xml())
                    } else {
                        let s = volume_spec(fields)?;
                        s.validate()?;
                        Ok(s.to_xml())
                    }
                };
                let Some((res, d, peak)) =
                    no_panic(&mut r, case, "build + validate", || measured(step))
                else {
                    continue;
                };
                r.time(&t, case, "build + validate", d, peak);
                if expect == "invalid" {
                    r.failures
                        .extend(expect_invalid(case, &res, "build + validate", true));
                    continue;
                }
                assert_eq!(expect, "roundtrip", "{cid}");
                let xml = match res {
                    Ok(xml) => xml,
                    Err(e) => {
                        r.failures.push(format!("{cid}: refused: {e}"));
                        continue;
                    }
                };
                r.failures
                    .extend(check_escaped(&t, case, &xml, &BTreeSet::new()));
                let same = if what == "pool_spec" {
                    let spec = pool_spec(ty, fields).unwrap();
                    PoolSpec::from_xml(&xml).map(|b| (b.to_xml(), b == spec))
                } else {
                    let mut spec = volume_spec(fields).unwrap();
                    // without a pool type, an allocation left to the pool is written
                    // as the capacity
                    spec.allocation = Allocation::Bytes(spec.allocation.bytes(spec.capacity, None));
                    VolumeSpec::from_xml(&xml).map(|b| (b.to_xml(), b == spec))
                };
                match same {
                    Ok((back, true)) if back == xml => {}
                    Ok((back, _)) => r.failures.push(format!(
                        "{cid}: from_xml(to_xml(spec)) differs:\n{xml}\n{back}"
                    )),
                    Err(e) => r
                        .failures
                        .push(format!("{cid}: its own XML does not parse: {e}\n{xml}")),
                }
            }
            "pool_xml" | "volume_xml" => {
                let xml = value(&case["xml"]);
                let step = || -> Result<()> {
                    if what == "pool_xml" {
                        PoolSpec::from_xml(&xml)?.validate()
                    } else {
                        VolumeSpec::from_xml(&xml)?.validate()
                    }
                };
                let Some((res, d, peak)) =
                    no_panic(&mut r, case, "from_xml + validate", || measured(step))
                else {
                    continue;
                };
                r.time(&t, case, "from_xml + validate", d, peak);
                if expect == "fast" {
                    if let Err(e) = &res {
                        if e.kind() != ErrorKind::InvalidSpec {
                            r.failures.push(format!("{cid}: {e:?}"));
                        }
                    }
                } else {
                    r.failures
                        .extend(expect_invalid(case, &res, "from_xml + validate", true));
                }
            }
            other => panic!("{cid}: unknown kind of case {other:?}"),
        }
    }
    r.finish("bad input (Rust, no connection)");
}

// --- test:///default: nothing is left behind --------------------------------------------------------

/// Every pool, and the volumes of the running ones.
fn inventory(conn: &Connection) -> BTreeMap<String, Vec<String>> {
    conn.pools()
        .unwrap()
        .iter()
        .map(|p| {
            let vols = if p.is_active().unwrap() {
                p.volume_names().unwrap()
            } else {
                Vec::new()
            };
            (p.name().to_owned(), vols)
        })
        .collect()
}

/// Remove what a failing case left, so that the next case starts clean.
fn restore(conn: &Connection, before: &BTreeMap<String, Vec<String>>) {
    for p in conn.pools().unwrap() {
        match before.get(p.name()) {
            None => {
                let _ = p.destroy();
                let _ = p.undefine();
            }
            Some(vols) if p.is_active().unwrap_or(false) => {
                for v in p.volumes().unwrap_or_default() {
                    if !vols.iter().any(|n| n == v.name()) {
                        let _ = v.delete(DeleteMode::Normal);
                    }
                }
            }
            Some(_) => {}
        }
    }
}

enum Made {
    Pool(Pool),
    Volume(Volume),
}

#[test]
fn no_case_leaves_a_pool_or_volume_on_the_test_driver() {
    let t = table();
    let mut r = Report::new();
    let conn = Connection::open("test:///default").unwrap();
    let pool = conn.pool("default-pool").unwrap();
    for case in &t.cases {
        let cid = id(case);
        let what = case["what"].as_str().unwrap();
        let expect = case["expect"].as_str().unwrap();
        if !["pool_spec", "volume_spec", "pool_xml", "volume_xml"].contains(&what) {
            continue;
        }
        if let Some(why) = skipped(case) {
            r.skipped.push(format!("{cid}: {why}"));
            continue;
        }
        if expect == "fast" {
            // Such a document may be accepted: only its parsing is checked (above).
            continue;
        }
        let before = inventory(&conn);
        let ty = case.get("type").and_then(Value::as_str).unwrap_or("");
        type Step<'a> = Box<dyn Fn() -> Result<Made> + 'a>;
        let c = &conn;
        let mut steps: Vec<(&str, Step)> = Vec::new();
        match what {
            "pool_spec" => {
                let Ok(spec) = pool_spec(ty, &case["fields"]) else {
                    continue; // refused while building: nothing to define
                };
                let xml = spec.to_xml();
                steps.push((
                    "define_pool",
                    Box::new(move || c.define_pool(&spec).map(Made::Pool)),
                ));
                let spec = pool_spec(ty, &case["fields"]).unwrap();
                steps.push((
                    "create_pool",
                    Box::new(move || c.create_pool(&spec, None).map(Made::Pool)),
                ));
                steps.push((
                    "define_pool_xml(to_xml)",
                    Box::new(move || c.define_pool_xml(&xml).map(Made::Pool)),
                ));
            }
            "volume_spec" => {
                let Ok(spec) = volume_spec(&case["fields"]) else {
                    continue;
                };
                let xml = spec.to_xml();
                let p = &pool;
                steps.push((
                    "create_volume",
                    Box::new(move || p.create_volume(&spec).map(Made::Volume)),
                ));
                steps.push((
                    "create_volume_xml(to_xml)",
                    Box::new(move || p.create_volume_xml(&xml).map(Made::Volume)),
                ));
            }
            "pool_xml" => {
                let xml = value(&case["xml"]);
                let xml2 = xml.clone();
                steps.push((
                    "define_pool_xml",
                    Box::new(move || c.define_pool_xml(&xml).map(Made::Pool)),
                ));
                steps.push((
                    "create_pool_xml",
                    Box::new(move || c.create_pool_xml(&xml2, None).map(Made::Pool)),
                ));
            }
            _ => {
                let xml = value(&case["xml"]);
                let p = &pool;
                steps.push((
                    "create_volume_xml",
                    Box::new(move || p.create_volume_xml(&xml).map(Made::Volume)),
                ));
            }
        }
        for (where_, step) in steps {
            let Some((res, d, peak)) = no_panic(&mut r, case, where_, || measured(&step)) else {
                restore(&conn, &before);
                continue;
            };
            r.time(&t, case, where_, d, peak);
            if expect == "invalid" {
                let reason = !where_.contains("(to_xml)");
                r.failures
                    .extend(expect_invalid(case, &res, where_, reason));
            } else {
                match &res {
                    Ok(Made::Pool(p)) => {
                        let stored = p.xml().unwrap();
                        r.failures
                            .extend(check_escaped(&t, case, &stored, &t.test_driver_drops));
                        match PoolSpec::from_xml(&stored) {
                            Ok(s) if s.name() == p.name() => {}
                            other => r
                                .failures
                                .push(format!("{cid}: libvirt stored {stored}: {other:?}")),
                        }
                        let _ = p.destroy();
                        let _ = p.undefine();
                    }
                    Ok(Made::Volume(v)) => {
                        let sent = volume_spec(&case["fields"]).unwrap();
                        if v.name() != sent.name {
                            r.failures
                                .push(format!("{cid}: volume stored as {:?}", v.name()));
                        }
                        match v.spec() {
                            Ok(s) if s.name == sent.name => {}
                            other => r
                                .failures
                                .push(format!("{cid}: the stored volume reads back as {other:?}")),
                        }
                        let _ = v.delete(DeleteMode::Normal);
                    }
                    Err(e) => r
                        .failures
                        .push(format!("{cid}: {where_} refused a valid spec: {e}")),
                }
            }
            let after = inventory(&conn);
            if after != before {
                let new: Vec<_> = after.keys().filter(|k| !before.contains_key(*k)).collect();
                let changed: Vec<_> = after
                    .iter()
                    .filter(|(k, v)| before.get(*k).is_some_and(|b| b != *v))
                    .collect();
                r.failures.push(format!(
                    "{cid}: {where_} left something behind: pools {new:?}, volumes {changed:?}"
                ));
                restore(&conn, &before);
            }
        }
    }
    r.finish("bad input (Rust, test:///default)");
}
