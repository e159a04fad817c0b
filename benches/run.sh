#!/usr/bin/env bash
# `make bench`: kvmpool against virsh, libvirt-python and cp (issue 9).
#
# Builds the bench binaries and a release wheel of the Python module, starts a private
# storage-only libvirtd in a temporary directory, runs benches/compare.py against it and
# stops the daemon again whatever happens. Writes benches/results/latest.{md,svg,json}.
#
#   KVMPOOL_BENCH_QUICK=1   smaller files, fewer volumes and runs: a smoke run (~1 min)
#   KVMPOOL_BENCH_REPS=N    runs per figure (default 5, quick 3)
#   KVMPOOL_BENCH_ONLY=a,b  only these parts: transfers,sparse,import,plan,inventory,create,xml,calls
#   KVMPOOL_XML_CORPUS=DIR  libvirt's XML corpus (default ../shared/libvirt-xml-corpus)
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$(pwd)
ENV_SCRIPT=$REPO/tests/env/kvmpool-env.sh
PY=$REPO/.venv/bin/python
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
start=$(date +%s)

sh "$ENV_SCRIPT" install
"$PY" -c 'import libvirt'

echo "bench: building the bench binaries (release)"
# cargo names the binaries in its JSON messages; diagnostics still reach the terminal
artifacts=$(cargo bench --no-run --locked --message-format=json-render-diagnostics)
bench_exe() {
  printf '%s\n' "$artifacts" | "$PY" -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if (m.get("reason") == "compiler-artifact" and m["target"]["name"] == sys.argv[1]
            and "bench" in m["target"]["kind"] and m.get("executable")):
        print(m["executable"])
' "$1" | tail -1
}
ops=$(bench_exe ops)
xml=$(bench_exe xml)
[ -x "$ops" ] && [ -x "$xml" ] || { echo "bench: the bench binaries were not built" >&2; exit 1; }

dir=$(mktemp -d /tmp/kvmpool-bench.XXXXXX)
cleanup() {
  st=$?
  [ ! -f "$dir/libvirtd.pid" ] || sh "$ENV_SCRIPT" daemon-stop "$dir" || st=1
  rm -rf --one-file-system "$dir"
  echo "bench: $(($(date +%s) - start)) s in all"
  exit $st
}
trap cleanup EXIT
trap 'echo "bench: interrupted"; exit 130' INT TERM

# The binding as users get it from a wheel: `make python` builds the one in .venv in
# debug mode, several times slower per call. The wheel is unpacked into $dir only.
echo "bench: building the kvmpool Python module (release wheel)"
VIRTUAL_ENV=$REPO/.venv PATH=$REPO/.venv/bin:$PATH "$REPO/.venv/bin/maturin" build --release \
  --locked -q --auditwheel skip -m crates/kvmpool-py/Cargo.toml -o "$dir/wheel"
"$PY" -c 'import glob, sys, zipfile
zipfile.ZipFile(glob.glob(sys.argv[1] + "/*.whl")[0]).extractall(sys.argv[2])' \
  "$dir/wheel" "$dir/pylib"

uri=$(sh "$ENV_SCRIPT" daemon-start "$dir" | tail -1)
echo "bench: private libvirtd at $uri"

"$PY" benches/compare.py --uri "$uri" --work "$dir" --ops "$ops" --xml-bench "$xml" \
  --corpus "${KVMPOOL_XML_CORPUS:-$REPO/../shared/libvirt-xml-corpus}" --pylib "$dir/pylib" \
  --out benches/results ${KVMPOOL_BENCH_ONLY:+--only "$KVMPOOL_BENCH_ONLY"}
