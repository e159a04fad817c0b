//! kvmpool's side of `make bench`: one operation per run, timed in process, printed as a
//! JSON line. `benches/compare.py` runs it between the competitors (virsh,
//! libvirt-python, cp) so that every figure comes from the same run on the same data.
//!
//! Opening the connection is not timed (a library user opens it once); looking the
//! pool and volume up is, since virsh and libvirt-python pay for that too.
//!
//! ```text
//! ops upload|download URI POOL VOL FILE [--sparse] [--method auto|stream|direct]
//! ops inventory URI POOL details|formats|inventory [--method auto|rpc|local]
//! ops create-delete URI POOL COUNT THREADS PREFIX
//! ops calls URI POOL VOL COUNT
//! ops plan URI POOL TARGET COUNT
//! ops import URI POOL FILE NAME
//! ops xml REPEAT typed|tokenize
//! ```

mod common;

use std::error::Error;
use std::time::Instant;

use kvmpool::{
    Connection, DeleteMode, InventoryMethod, InventoryOptions, Manifest, Pool, Size,
    TransferOptions, VolumeFormat, VolumeSpec,
};
use serde_json::{json, Value};

type Outcome = Result<(), Box<dyn Error>>;

const USAGE: &str = "usage: ops upload|download URI POOL VOL FILE [--sparse] [--method M]
       ops inventory URI POOL details|formats|inventory [--method M]
       ops create-delete URI POOL COUNT THREADS PREFIX
       ops calls URI POOL VOL COUNT
       ops plan URI POOL TARGET COUNT
       ops import URI POOL FILE NAME
       ops xml REPEAT typed|tokenize
(`make bench` runs it through benches/run.sh)";

fn main() {
    // `cargo bench` passes `--bench`; a bare `cargo bench` should not fail here.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if args.is_empty() {
        println!("{USAGE}");
        return;
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    if let Err(e) = run(&args) {
        eprintln!("ops {}: {e}", args.join(" "));
        std::process::exit(1);
    }
}

fn run(args: &[&str]) -> Outcome {
    match args {
        ["upload" | "download", uri, pool, vol, file, flags @ ..] => {
            let options = transfer_options(flags)?;
            transfer(args[0], uri, pool, vol, file, &options)
        }
        ["inventory", uri, pool, mode] => inventory(uri, pool, mode, InventoryMethod::Auto),
        ["inventory", uri, pool, mode, "--method", method] => {
            inventory(uri, pool, mode, method.parse()?)
        }
        ["create-delete", uri, pool, count, threads, prefix] => {
            create_delete(uri, pool, count.parse()?, threads.parse()?, prefix)
        }
        ["calls", uri, pool, vol, count] => calls(uri, pool, vol, count.parse()?),
        ["plan", uri, pool, target, count] => plan(uri, pool, target, count.parse()?),
        ["import", uri, pool, file, name] => import(uri, pool, file, name),
        ["xml", repeat, mode] => xml(repeat.parse()?, mode),
        _ => Err(USAGE.into()),
    }
}

fn emit(mut line: Value, ms: f64) {
    line["impl"] = "kvmpool-rust".into();
    line["ms"] = ms.into();
    println!("{line}");
}

fn ms_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

/// `--sparse` and `--method M`.
fn transfer_options(flags: &[&str]) -> Result<TransferOptions, Box<dyn Error>> {
    let mut options = TransferOptions::default();
    let mut flags = flags.iter();
    while let Some(flag) = flags.next() {
        options = match *flag {
            "--sparse" => options.sparse(true),
            "--method" => options.method(flags.next().ok_or(USAGE)?.parse()?),
            _ => return Err(USAGE.into()),
        };
    }
    Ok(options)
}

fn transfer(
    op: &str,
    uri: &str,
    pool: &str,
    vol: &str,
    file: &str,
    options: &TransferOptions,
) -> Outcome {
    let conn = Connection::open(uri)?;
    let t = Instant::now();
    let volume = conn.pool(pool)?.volume(vol)?;
    let report = if op == "upload" {
        volume.upload_file(file, options)?
    } else {
        volume.download_file(file, options)?
    };
    let line = json!({"op": op, "sparse": options.sparse, "data_bytes": report.data_bytes,
                      "hole_bytes": report.hole_bytes, "method": report.method.as_str()});
    emit(line, ms_since(t));
    Ok(())
}

fn inventory(uri: &str, pool: &str, mode: &str, method: InventoryMethod) -> Outcome {
    let conn = Connection::open(uri)?;
    let t = Instant::now();
    let options = InventoryOptions {
        formats: mode == "formats",
        method,
        ..InventoryOptions::default()
    };
    let volumes = match mode {
        "details" | "formats" => conn.pool(pool)?.volume_details_with(&options)?.len(),
        "inventory" => {
            let inv = conn.inventory(&options)?;
            inv.pools.iter().map(|p| p.volumes.len()).sum()
        }
        _ => return Err(format!("unknown inventory mode {mode:?}").into()),
    };
    emit(
        json!({"op": "inventory", "mode": mode, "method": method.as_str(), "volumes": volumes}),
        ms_since(t),
    );
    Ok(())
}

/// The declarative path at scale: a manifest of a dir pool `pool` at `target` (absent
/// before the run) with `count` 1 MiB qcow2 volumes: plan it (everything missing),
/// apply it, plan again (in sync: empty), and, for scale, one `inventory()` of the host
/// and the pool's `volume_details()`. The pool is removed again, untimed.
fn plan(uri: &str, pool: &str, target: &str, count: usize) -> Outcome {
    let conn = Connection::open(uri)?;
    let mut toml = format!("[[pool]]\nname = {pool:?}\ntype = \"dir\"\ntarget = {target:?}\n");
    for i in 0..count {
        toml += &format!(
            "[[pool.volume]]\nname = \"plan-{i:05}.qcow2\"\ncapacity = \"1M\"\nformat = \"qcow2\"\n"
        );
    }
    let manifest = Manifest::from_toml(&toml)?;
    let t = Instant::now();
    let first = conn.plan(&manifest)?;
    let plan_ms = ms_since(t);
    let t = Instant::now();
    conn.apply(&first)?;
    let apply_ms = ms_since(t);
    let t = Instant::now();
    let again = conn.plan(&manifest)?;
    let replan_ms = ms_since(t);
    if !again.is_empty() {
        return Err(format!("a plan after apply is not empty:\n{again}").into());
    }
    let t = Instant::now();
    conn.inventory(&InventoryOptions::default())?;
    let inventory_ms = ms_since(t);
    let t = Instant::now();
    let details = conn.pool(pool)?.volume_details(false)?.len();
    let details_ms = ms_since(t);
    let made = conn.pool(pool)?;
    for vol in made.volumes()? {
        vol.delete(DeleteMode::Normal)?;
    }
    made.destroy()?;
    made.undefine()?;
    let line = json!({"op": "plan", "volumes": details, "actions": first.actions.len(),
                      "plan_ms": plan_ms, "apply_ms": apply_ms, "replan_ms": replan_ms,
                      "inventory_ms": inventory_ms, "details_ms": details_ms});
    emit(line, replan_ms);
    Ok(())
}

/// `Pool::import_image` of `file` as `name` (format and capacity from the image's
/// header), with a SHA-256 checked on the way; the volume is deleted again, untimed.
fn import(uri: &str, pool: &str, file: &str, name: &str) -> Outcome {
    let conn = Connection::open(uri)?;
    let sha256 = kvmpool::Checksum::parse(&format!("sha256:{}", sha256_of(file)?), "sha256")?;
    let t = Instant::now();
    let options = kvmpool::ImportOptions::default()
        .name(name)
        .checksum(sha256);
    let (vol, report) = conn.pool(pool)?.import_image(file, &options)?;
    let ms = ms_since(t);
    vol.delete(DeleteMode::Normal)?;
    let line = json!({"op": "import", "format": report.format.as_str(),
                      "capacity": report.capacity.as_bytes(),
                      "data_bytes": report.transfer.data_bytes, "method": report.transfer.method.as_str()});
    emit(line, ms);
    Ok(())
}

/// The SHA-256 of a file, by `sha256sum` (untimed: a user knows it from the image's
/// publisher).
fn sha256_of(file: &str) -> Result<String, Box<dyn Error>> {
    let out = std::process::Command::new("sha256sum").arg(file).output()?;
    let text = String::from_utf8(out.stdout)?;
    Ok(text
        .split_whitespace()
        .next()
        .ok_or("sha256sum printed nothing")?
        .to_owned())
}

/// Create `count` 1 MiB qcow2 volumes, then delete them, each phase split over
/// `threads` threads sharing one connection.
fn create_delete(uri: &str, pool: &str, count: usize, threads: usize, prefix: &str) -> Outcome {
    let conn = Connection::open(uri)?;
    let pool = conn.pool(pool)?;
    let names: Vec<String> = (0..count)
        .map(|i| format!("{prefix}{i:05}.qcow2"))
        .collect();
    let t = Instant::now();
    on_threads(&names, threads, |name| {
        let spec = VolumeSpec::new(name, Size::mib(1)).format(VolumeFormat::Qcow2);
        pool.create_volume(&spec).map(drop)
    })?;
    let create_ms = ms_since(t);
    let t = Instant::now();
    on_threads(&names, threads, |name| {
        pool.volume(name)?.delete(DeleteMode::Normal)
    })?;
    let delete_ms = ms_since(t);
    let line = json!({"op": "create-delete", "count": count, "threads": threads,
                      "create_ms": create_ms, "delete_ms": delete_ms});
    emit(line, create_ms + delete_ms);
    Ok(())
}

fn on_threads(
    names: &[String],
    threads: usize,
    work: impl Fn(&str) -> kvmpool::Result<()> + Sync,
) -> kvmpool::Result<()> {
    let per_thread = names.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = names
            .chunks(per_thread)
            .map(|chunk| scope.spawn(|| chunk.iter().try_for_each(|n| work(n))))
            .collect();
        workers
            .into_iter()
            .try_for_each(|w| w.join().expect("bench worker panicked"))
    })
}

/// The Rust floor under the Python call-overhead comparison.
fn calls(uri: &str, pool: &str, vol: &str, count: usize) -> Outcome {
    let conn = Connection::open(uri)?;
    let pool: Pool = conn.pool(pool)?;
    // test:///default starts empty in every process
    let volume = match pool.find_volume(vol)? {
        Some(v) => v,
        None => pool.create_volume(&VolumeSpec::new(vol, Size::mib(1)))?,
    };
    let t = Instant::now();
    for _ in 0..count {
        pool.info()?;
    }
    emit(json!({"op": "pool.info", "count": count}), ms_since(t));
    let t = Instant::now();
    for _ in 0..count {
        volume.info()?;
    }
    emit(json!({"op": "vol.info", "count": count}), ms_since(t));
    Ok(())
}

fn xml(repeat: usize, mode: &str) -> Outcome {
    let docs = common::corpus();
    let pass: fn(&[(bool, String)]) -> usize = match mode {
        "typed" => |docs| docs.iter().map(|(p, d)| common::typed(*p, d)).sum(),
        "tokenize" => |docs| docs.iter().map(|(_, d)| common::tokenize(d)).sum(),
        _ => return Err(format!("unknown xml mode {mode:?}").into()),
    };
    let t = Instant::now();
    let mut check = 0usize;
    for _ in 0..repeat {
        check = check.wrapping_add(std::hint::black_box(pass(&docs)));
    }
    let line = json!({"op": "xml", "mode": mode, "docs": docs.len(), "repeat": repeat,
                      "corpus": common::corpus_dir(), "check": check});
    emit(line, ms_since(t));
    Ok(())
}
