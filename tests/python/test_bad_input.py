"""Bad input from Python, table-driven: every case of tests/bad_input/cases.json (the
same table tests/bad_input.rs and tests/c/test_bad_input.c read; its README.md
describes the schema).

For each case: what must come back comes back (InvalidSpecError naming the field, or a
round trip that keeps XML-special characters as text), nothing panics, each case takes
less than the table's budget, and on test:///default defining or creating from the bad
spec or XML leaves no pool and no volume behind.
"""

import json
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Set, Tuple

import pytest

import kvmpool

TABLE_PATH = Path(__file__).resolve().parents[1] / "bad_input" / "cases.json"
TABLE = json.loads(TABLE_PATH.read_text(encoding="utf-8"))
CASES: List[Dict[str, Any]] = TABLE["cases"]
BUDGET_S = TABLE["budget_ms"] / 1000.0  # of this thread's CPU time (time.thread_time)
NOT_VERBATIM = set(TABLE["not_verbatim"])
TEST_DRIVER_DROPS = set(TABLE["test_driver_drops"])
TIMINGS: Dict[str, float] = {}


def value(v: Any) -> Any:
    """A value of the table: a string, or a compact description of a large one."""
    if isinstance(v, str):
        return v
    if isinstance(v, list):
        return [value(x) for x in v]
    if isinstance(v, dict):
        if "repeat" in v:
            return v["repeat"] * v["times"]
        if "concat" in v:
            return "".join(value(x) for x in v["concat"])
        if "numbered" in v:
            return "".join(v["numbered"].replace("{}", str(i)) for i in range(v["count"]))
    raise AssertionError(f"unknown value form in {TABLE_PATH}: {v!r}")


def case_param(case: Dict[str, Any]) -> Any:
    marks = []
    skip = case.get("skip", {}).get("python")
    if skip:
        marks.append(pytest.mark.skip(reason=f"{case['id']}: {skip}"))
    return pytest.param(case, id=case["id"], marks=marks)


PARAMS = [case_param(c) for c in CASES]


# --- building what a case describes ----------------------------------------------------


def pool_spec(ty: str, fields: Dict[str, Any]) -> kvmpool.PoolSpec:
    kw = {k: value(v) for k, v in fields.items()}
    if "config_options" in kw:
        kw["config_options"] = [tuple(p) for p in kw["config_options"]]
    make: Callable[..., kvmpool.PoolSpec] = getattr(kvmpool.PoolSpec, ty.replace("-", "_"))
    return make(**kw)


def volume_spec(fields: Dict[str, Any]) -> kvmpool.VolumeSpec:
    kw = {k: value(v) for k, v in fields.items()}
    name = kw.pop("name")
    capacity = kw.pop("capacity")
    return kvmpool.VolumeSpec(name, capacity, **kw)


def expect_invalid(
    case: Dict[str, Any], err: Optional[BaseException], where: str, reason: bool = True
) -> None:
    """`err` is what `where` raised (None: nothing): it must be InvalidSpecError naming the
    case's field, with the case's reason in the message (unless `reason` is False: the XML
    written from a bad spec may be refused for the same field in other words)."""
    cid = case["id"]
    note = f" [{case['note']}]" if "note" in case else ""
    assert err is not None, f"{cid}: {where} accepted it; wanted InvalidSpecError on {case['field']!r}{note}"
    assert not isinstance(err, kvmpool.Error) or isinstance(err, kvmpool.InvalidSpecError), (
        f"{cid}: {where} raised {type(err).__name__} ({err}); wanted InvalidSpecError{note}"
    )
    assert isinstance(err, kvmpool.InvalidSpecError), (
        f"{cid}: {where} raised {type(err).__name__}: {err}{note}"
    )
    assert isinstance(err, ValueError)
    assert err.kind == "InvalidSpec"
    assert err.field == case["field"], f"{cid}: {where}: field {err.field!r}, wanted {case['field']!r}: {err}{note}"
    why = case.get("reason") if reason else None
    if why:
        assert why in str(err), f"{cid}: {where}: {str(err)!r} does not say {why!r}"
    if reason and "message" in case:
        assert str(err) == case["message"], f"{cid}: {where}: says {str(err)!r}, wanted {case['message']!r}"


def attempt(f: Callable[[], Any]) -> Tuple[Any, Optional[BaseException]]:
    """Run f; a panic inside the library (pyo3's PanicException, a BaseException) or any
    exception that is not kvmpool's is returned too, and fails the checks above."""
    try:
        return f(), None
    except BaseException as e:  # noqa: B036 - panics are BaseExceptions
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        return None, e


def text_values(v: Any) -> Iterator[str]:
    if isinstance(v, str):
        yield v
    elif isinstance(v, list):
        for x in v:
            yield from text_values(x)


def xml_texts(xml: str) -> Tuple[Set[str], Set[str]]:
    """Element names, and every text and attribute value, as an independent parser
    (expat) sees the document."""
    root = ET.fromstring(xml)
    names: Set[str] = set()
    texts: Set[str] = set()
    for el in root.iter():
        names.add(el.tag)
        if el.text is not None:
            texts.add(el.text)
        texts.update(el.attrib.values())
    return names, texts


def check_escaped(case: Dict[str, Any], xml: str, skip: Set[str] = set()) -> None:
    """An independent parser finds no injected element, and every text field of the case
    verbatim as a text or attribute value."""
    names, texts = xml_texts(xml)
    assert "evil" not in names, f"{case['id']}: an element was injected: {xml}"
    for k, v in case["fields"].items():
        if k in NOT_VERBATIM or k in skip:
            continue
        for text in text_values(value(v)):
            assert text in texts, f"{case['id']}: {k}={text!r} is not a text or attribute value of {xml}"


# --- the checks without a connection --------------------------------------------------------


@pytest.mark.parametrize("case", PARAMS)
def test_case(case: Dict[str, Any]) -> None:
    what, expect = case["what"], case["expect"]
    if what == "size":
        text = value(case["text"])
        t0 = time.thread_time()
        _, err = attempt(lambda: kvmpool.parse_size(text))
        elapsed = time.thread_time() - t0
        expect_invalid(case, err, "parse_size")
        # The same text as a volume capacity: the field is then the capacity.
        _, err = attempt(lambda: kvmpool.VolumeSpec("v", text))
        as_capacity = dict(case, field="capacity")
        if "message" in case:
            as_capacity["message"] = "capacity: " + case["message"].removeprefix("size: ")
        expect_invalid(as_capacity, err, "VolumeSpec(capacity=)")
    elif what == "capacity_bytes":
        n = int(case["value"])
        t0 = time.thread_time()
        _, err = attempt(lambda: kvmpool.VolumeSpec("v", n))
        elapsed = time.thread_time() - t0
        expect_invalid(case, err, "VolumeSpec(capacity=int)")
    elif what in ("pool_spec", "volume_spec"):
        t0 = time.thread_time()
        if what == "pool_spec":
            spec, err = attempt(lambda: pool_spec(case["type"], case["fields"]))
        else:
            spec, err = attempt(lambda: volume_spec(case["fields"]))
        if err is None:
            _, err = attempt(spec.validate)
        elapsed = time.thread_time() - t0
        if expect == "invalid":
            expect_invalid(case, err, "build + validate")
        else:
            assert expect == "roundtrip", case["id"]
            assert err is None, f"{case['id']}: refused: {err!r}"
            xml = spec.to_xml()
            check_escaped(case, xml)
            back = type(spec).from_xml(xml)
            if isinstance(spec, kvmpool.VolumeSpec) and spec.allocation is None:
                # without a pool type, an allocation left to the pool is written as the capacity
                spec = spec.replace(allocation=spec.capacity)
            assert back == spec, f"{case['id']}: from_xml(to_xml(spec)) differs:\n{xml}\n{back.to_xml()}"
            assert back.to_xml() == xml
            assert back.name == spec.name
    elif what in ("pool_xml", "volume_xml"):
        parse = kvmpool.PoolSpec.from_xml if what == "pool_xml" else kvmpool.VolumeSpec.from_xml
        xml = value(case["xml"])
        t0 = time.thread_time()
        spec, err = attempt(lambda: parse(xml))
        elapsed = time.thread_time() - t0
        if expect == "fast":
            assert err is None or isinstance(err, kvmpool.InvalidSpecError), f"{case['id']}: {err!r}"
            if err is not None:
                assert err.field == "xml", f"{case['id']}: {err.field!r}: {err}"
        else:
            assert expect == "invalid", case["id"]
            if err is None:  # parsing keeps what libvirt accepts; validation refuses the rest
                t0 = time.thread_time()
                _, err = attempt(spec.validate)
                elapsed += time.thread_time() - t0
            expect_invalid(case, err, "from_xml + validate")
    else:
        raise AssertionError(f"{case['id']}: unknown kind of case {what!r}")
    TIMINGS[case["id"]] = max(TIMINGS.get(case["id"], 0.0), elapsed)
    assert elapsed < BUDGET_S, (
        f"{case['id']}: took {elapsed * 1000:.1f} ms, more than the {TABLE['budget_ms']} ms budget"
        + (f" [{case['note']}]" if "note" in case else "")
    )


# --- test:///default: nothing is left behind -------------------------------------------------


@pytest.fixture(scope="module")
def conn() -> kvmpool.Connection:
    return kvmpool.connect("test:///default")


def inventory(conn: kvmpool.Connection) -> Dict[str, List[str]]:
    """Every pool, and the volumes of the running ones."""
    out: Dict[str, List[str]] = {}
    for p in conn.pools():
        out[p.name] = sorted(p.volume_names()) if p.is_active() else []
    return out


def restore(conn: kvmpool.Connection, before: Dict[str, List[str]]) -> None:
    """Remove what a failing case left, so that the next case starts clean."""
    for p in conn.pools():
        if p.name not in before:
            for step in (p.destroy, p.undefine):
                try:
                    step()
                except kvmpool.Error:
                    pass
        elif p.is_active():
            for v in p.volumes():
                if v.name not in before[p.name]:
                    v.delete()


# Cases that build or parse something to define. A "fast" case may be accepted (then
# defining it is an ordinary define): only its parsing is checked, by test_case.
DEFINABLE = [
    p
    for p in PARAMS
    if p.values[0]["what"] in ("pool_spec", "volume_spec", "pool_xml", "volume_xml")
    and p.values[0]["expect"] != "fast"
]


@pytest.mark.parametrize("case", DEFINABLE)
def test_case_leaves_nothing_on_test_driver(case: Dict[str, Any], conn: kvmpool.Connection) -> None:
    what, expect = case["what"], case["expect"]
    before = inventory(conn)
    pool = conn.pool("default-pool")
    steps: List[Tuple[str, Callable[[], Any]]] = []
    if what == "pool_spec":
        spec, err = attempt(lambda: pool_spec(case["type"], case["fields"]))
        if spec is not None:
            steps += [
                ("define_pool", lambda: conn.define_pool(spec)),
                ("create_pool", lambda: conn.create_pool(spec)),
                ("define_pool_xml(to_xml)", lambda: conn.define_pool_xml(spec.to_xml())),
            ]
    elif what == "volume_spec":
        spec, err = attempt(lambda: volume_spec(case["fields"]))
        if spec is not None:
            steps += [
                ("create_volume", lambda: pool.create_volume(spec)),
                ("create_volume_xml(to_xml)", lambda: pool.create_volume_xml(spec.to_xml())),
            ]
    elif what == "pool_xml":
        xml = value(case["xml"])
        steps += [
            ("define_pool_xml", lambda: conn.define_pool_xml(xml)),
            ("create_pool_xml", lambda: conn.create_pool_xml(xml)),
        ]
    else:
        xml = value(case["xml"])
        steps += [("create_volume_xml", lambda: pool.create_volume_xml(xml))]

    failures: List[str] = []
    for where, step in steps:
        t0 = time.thread_time()
        made, err = attempt(step)
        elapsed = time.thread_time() - t0
        TIMINGS[case["id"]] = max(TIMINGS.get(case["id"], 0.0), elapsed)
        try:
            if expect == "invalid":
                expect_invalid(case, err, where, reason="(to_xml)" not in where)
            else:
                assert err is None, f"{case['id']}: {where} refused a valid spec: {err!r}"
                check_stored(case, made)
            assert elapsed < BUDGET_S, f"{case['id']}: {where} took {elapsed * 1000:.1f} ms"
        except AssertionError as e:
            failures.append(str(e))
        if expect == "roundtrip" and made is not None:
            remove(made)
        after = inventory(conn)
        if after != before:
            failures.append(f"{case['id']}: {where} left something behind: {sorted(set(after) - set(before))} "
                            f"{ {k: v for k, v in after.items() if before.get(k) != v} }")
            restore(conn, before)
    assert not failures, "\n".join(failures)


def check_stored(case: Dict[str, Any], made: Any) -> None:
    """What libvirt stored (parsed by libxml2) holds the values as text: compare the spec
    read back with the one sent."""
    if isinstance(made, kvmpool.Pool):
        sent = pool_spec(case["type"], case["fields"])
        stored = made.xml()
        check_escaped(case, stored, TEST_DRIVER_DROPS)
        got = kvmpool.PoolSpec.from_xml(stored)
        assert got.name == sent.name and got.type == sent.type, f"{case['id']}: libvirt stored {stored}"
    else:
        sent_v = volume_spec(case["fields"])
        assert made.name == sent_v.name, f"{case['id']}: volume stored as {made.name!r}"
        assert made.spec().name == sent_v.name


def remove(made: Any) -> None:
    if isinstance(made, kvmpool.Pool):
        for step in (made.destroy, made.undefine):
            try:
                step()
            except kvmpool.Error:
                pass
    else:
        made.delete()


# --- Python's own form of a string that is not UTF-8 --------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: kvmpool.PoolSpec.dir("a\ud800b", target="/x"),
        lambda: kvmpool.PoolSpec.dir("ok", target="/x\udfff"),
        lambda: kvmpool.VolumeSpec("v\udcff", "1M"),
        lambda: kvmpool.PoolSpec.from_xml("<pool type='dir'><name>a\ud800</name></pool>"),
        lambda: kvmpool.parse_size("1\ud800G"),
    ],
    ids=["pool-name", "pool-target", "volume-name", "pool-xml", "size"],
)
def test_lone_surrogates_are_a_value_error_not_a_panic(make: Callable[[], Any]) -> None:
    """A str with a lone surrogate cannot become UTF-8 (Python's analogue of C's invalid
    UTF-8): it must raise a ValueError (UnicodeEncodeError or InvalidSpecError)."""
    _, err = attempt(make)
    assert isinstance(err, ValueError), f"{err!r}"


def test_zz_slowest_cases() -> None:
    """Runs last: prints the slowest cases timed so far (shown with -s or -rP). The budget
    itself is checked by each case."""
    print(f"bad input (Python): {len(TIMINGS)} cases timed; slowest (CPU time):")
    for cid, s in sorted(TIMINGS.items(), key=lambda kv: kv[1], reverse=True)[:5]:
        print(f"  {s * 1000:9.2f} ms  {cid}")
