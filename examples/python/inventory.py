#!/usr/bin/env python3
"""Print every pool and volume of a libvirt URI: a table like `virsh pool-list --details`
and `vol-list --details` together, or JSON with --json.

    python3 examples/python/inventory.py qemu:///system
    python3 examples/python/inventory.py test:///default --json
"""

import argparse
import json
import sys

import kvmpool


def table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("uri", nargs="?", default=None, help="libvirt URI (default: libvirt's default)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument("--formats", action="store_true", help="also read each volume's format")
    args = parser.parse_args()
    try:
        conn = kvmpool.connect(args.uri)
        inv = conn.inventory(formats=args.formats)
    except kvmpool.Error as e:
        print(f"inventory: {e}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(inv, indent=2))
        return 0
    size = kvmpool.format_size
    pools = [["Name", "State", "Autostart", "Persistent", "Capacity", "Allocation", "Available"]]
    for p in inv["pools"]:
        running = p["state"] == "running"
        pools.append([
            p["name"], p["state"], "yes" if p["autostart"] else "no", "yes" if p["persistent"] else "no",
            size(p["capacity"]) if running else "-", size(p["allocation"]) if running else "-",
            size(p["available"]) if running else "-",
        ])
    print(table(pools))
    for p in inv["pools"]:
        print(f"\nVolumes of {p['name']} ({p['type']}):")
        vols = [["Name", "Path", "Type", "Capacity", "Allocation"] + (["Format"] if args.formats else [])]
        for v in p["volumes"]:
            vols.append([v["name"], v["path"], v["type"], size(v["capacity"]), size(v["allocation"])]
                        + ([v["format"] or "-"] if args.formats else []))
        print(table(vols))
    return 0


if __name__ == "__main__":
    sys.exit(main())
