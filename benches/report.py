"""The report of `make bench`: medians, ratios and targets as Markdown (also printed),
a horizontal bar chart as hand-written SVG, and every sample as JSON."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import time
from dataclasses import dataclass
from html import escape
from pathlib import Path


@dataclass
class Target:
    """`num` ÷ `den` (each a section, case, implementation) must stay at or below `limit`."""

    text: str
    num: tuple[str, str, str]
    den: tuple[str, str, str]
    limit: float


class Results:
    def __init__(self) -> None:
        # section -> case -> implementation -> samples (ms); dicts keep the order of
        # the first round, which is the order the driver listed the implementations in
        self.data: dict[str, dict[str, dict[str, list[float]]]] = {}
        self.notes: list[str] = []
        self.targets: list[Target] = []
        self.load_at_start = os.getloadavg()

    def add(self, section: str, case: str, impl: str, ms: float) -> None:
        self.data.setdefault(section, {}).setdefault(case, {}).setdefault(impl, []).append(ms)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def target(self, text: str, num: tuple[str, str, str], den: tuple[str, str, str],
               limit: float) -> None:
        self.targets.append(Target(text, num, den, limit))

    def median(self, key: tuple[str, str, str]) -> float | None:
        section, case, impl = key
        runs = self.data.get(section, {}).get(case, {}).get(impl)
        return statistics.median(runs) if runs else None


def fmt_ms(ms: float) -> str:
    if ms >= 100:
        return f"{ms:,.0f}"
    return f"{ms:.1f}" if ms >= 10 else f"{ms:.2f}"


def impls_of(cases: dict[str, dict[str, list[float]]]) -> list[str]:
    seen: dict[str, None] = {}
    for by_impl in cases.values():
        seen.update(dict.fromkeys(by_impl))
    return list(seen)


def section_table(cases: dict[str, dict[str, list[float]]]) -> list[str]:
    """Rows are cases, columns implementations; the first implementation of a case is its
    reference, and every other cell gives reference ÷ that cell."""
    impls = impls_of(cases)
    lines = ["| case | " + " | ".join(impls) + " |", "|---" * (len(impls) + 1) + "|"]
    for case, by_impl in cases.items():
        ref = statistics.median(next(iter(by_impl.values())))
        cells = []
        for i, impl in enumerate(impls):
            runs = by_impl.get(impl)
            if not runs:
                cells.append("")
                continue
            med = statistics.median(runs)
            cell = f"{fmt_ms(med)} [{fmt_ms(min(runs))}–{fmt_ms(max(runs))}]"
            is_ref = impl == next(iter(by_impl))
            cells.append(f"**{cell}**" if is_ref else f"{cell} · {ref / med:.2f}×")
        lines.append(f"| {case} | " + " | ".join(cells) + " |")
    return lines


def target_table(results: Results) -> list[str]:
    lines = ["| target | kvmpool | competitor | ratio | limit | |", "|---|---|---|---|---|---|"]
    for t in results.targets:
        num, den = results.median(t.num), results.median(t.den)
        if num is None or den is None:
            lines.append(f"| {t.text} | | | not measured | {t.limit:.2f}× | |")
            continue
        ratio = num / den
        verdict = "met" if ratio <= t.limit else f"**missed** by {ratio / t.limit:.2f}×"
        lines.append(f"| {t.text} | {fmt_ms(num)} ms | {fmt_ms(den)} ms | {ratio:.2f}× | "
                     f"{t.limit:.2f}× | {verdict} |")
    return lines


def first_line(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "?"


def machine() -> str:
    model = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return (f"{os.cpu_count()} CPUs ({model}), Linux {platform.release()}, "
            f"{first_line(['libvirtd', '--version'])}, {first_line(['qemu-img', '--version'])}, "
            f"Python {platform.python_version()}")


HOW_TO_READ = """\
Each cell: median in ms of the runs, [min–max]. The first column of a row (bold) is
that row's kvmpool reference; `· r×` in another column is the reference's median
divided by that column's median, so below 1.00× kvmpool is faster. All
implementations ran in the same `make bench`, interleaved (the order rotates every
round), each run in a fresh process on the same files and volumes, against a
private storage-only libvirtd on this machine (dir pools on ext4, hot page cache).
kvmpool and libvirt-python are timed inside their process with the connection
already open (lookups included); virsh, cp and sync are timed as whole processes,
as their users wait for them (see the fixed cost of one virsh process below).
Transfers start with no dirty pages (an untimed `sync` before each run); only the
`cp + sync` column waits for the disk."""


def markdown(results: Results, quick: bool, reps: int, seconds: float) -> str:
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load = (f"{results.load_at_start[0]:.2f} at the start, {os.getloadavg()[0]:.2f} at the end"
            f"{' (other work was running)' if max(results.load_at_start) >= 1 else ''}")
    out = ["# kvmpool benchmarks", "",
           f"`make bench`{' with KVMPOOL_BENCH_QUICK=1 (smaller sizes, fewer runs)' if quick else ''}"
           f", {when}, {reps} runs per figure, {seconds / 60:.1f} min.", "",
           f"Machine: {machine()}. Load average (1 min): {load}.",
           "", HOW_TO_READ, "", "## Targets (issues 9 and 15)", "", *target_table(results)]
    for section, cases in results.data.items():
        out += ["", f"## {section}", "", *section_table(cases)]
    out += ["", "## Notes", ""] + [f"- {n}" for n in results.notes]
    return "\n".join(out) + "\n"


# --- the chart ---------------------------------------------------------------------------

COLORS = {"kvmpool": "#1f6fb4", "virsh": "#d9822b", "libvirt-python": "#7a9a01",
          "cp": "#8c8c8c", "quick-xml": "#8c8c8c", "Python": "#b05fa6"}


def color(impl: str) -> str:
    for prefix, c in COLORS.items():
        if impl.startswith(prefix):
            return c
    return "#555555"


def svg(results: Results) -> str:
    """One group of bars per case, each bar scaled to the slowest of its case."""
    width, label_w, bar_w, row_h = 980, 300, 520, 16
    parts, y = [], 10
    for section, cases in results.data.items():
        y += 22
        parts.append(f'<text x="10" y="{y}" class="s">{escape(section)}</text>')
        for case, by_impl in cases.items():
            y += 20
            parts.append(f'<text x="20" y="{y}" class="c">{escape(case)}</text>')
            slowest = max(statistics.median(r) for r in by_impl.values())
            for impl, runs in by_impl.items():
                med = statistics.median(runs)
                y += row_h + 2
                w = max(1.0, bar_w * med / slowest)
                parts += [
                    f'<text x="{label_w - 6}" y="{y}" text-anchor="end">{escape(impl)}</text>',
                    f'<rect x="{label_w}" y="{y - 12}" width="{w:.1f}" height="{row_h - 3}" '
                    f'fill="{color(impl)}"/>',
                    f'<text x="{label_w + w + 6:.1f}" y="{y}">{fmt_ms(med)} ms</text>',
                ]
    height = y + 20
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">'
            '<style>.s{font-size:15px;font-weight:bold}.c{font-style:italic}</style>'
            f'<rect width="{width}" height="{height}" fill="white"/>')
    return head + "".join(parts) + "</svg>\n"


def write(results: Results, out: Path, quick: bool, reps: int, seconds: float) -> None:
    out.mkdir(parents=True, exist_ok=True)
    md = markdown(results, quick, reps, seconds)
    (out / "latest.md").write_text(md)
    (out / "latest.svg").write_text(svg(results))
    raw = {"quick": quick, "reps": reps, "seconds": seconds, "samples_ms": results.data,
           "notes": results.notes}
    (out / "latest.json").write_text(json.dumps(raw, indent=1) + "\n")
    print(md)
    print(f"written: {out}/latest.md, latest.svg, latest.json")
