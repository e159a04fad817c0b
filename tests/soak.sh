#!/usr/bin/env bash
# `make soak`: the long runs behind `make test`'s shorter ones, against a test
# environment of its own. 200,000 cases per property (1,000,000 in all), the load tests
# with 1,000 operations per thread from Rust, Python and C, and the fault tests three
# times over. Prints one line per run and exits non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."

ENV="sh tests/env/kvmpool-env.sh"
CASES=${KVMPOOL_PROPTEST_CASES:-200000}
OPS=${KVMPOOL_LOAD_OPS:-1000}
ROUNDS=${KVMPOOL_SOAK_FAULT_ROUNDS:-3}

$ENV install || exit 1
dir=$(mktemp -d /tmp/kvmpool-soak.XXXXXX) || exit 1
trap 'st=$?; $ENV down "$dir" && rm -rf --one-file-system "$dir" || st=1; exit $st' EXIT
trap 'echo "interrupted"; exit 130' INT TERM
$ENV up "$dir" || exit 1
. "$dir/env"
export KVMPOOL_LOAD_OPS=$OPS

failed=0
step() { # step NAME COMMAND...: run, time, report
  local name=$1 start rc
  shift
  start=$(date +%s)
  echo "=== $name"
  "$@"
  rc=$?
  printf '=== %-4s %-40s %5d s\n' "$([ $rc -eq 0 ] && echo PASS || echo FAIL)" "$name" \
    $(( $(date +%s) - start ))
  [ $rc -eq 0 ] || failed=$((failed + 1))
}

step "properties ($CASES cases x 5)" \
  env KVMPOOL_PROPTEST_CASES="$CASES" cargo test --locked --release --test properties
step "Rust load (8 threads x $OPS ops)" cargo test --locked --release --test load -- --nocapture
if [ -f tests/python/test_load.py ]; then
  make --no-print-directory python > /dev/null &&
    step "Python load (8 threads x $OPS ops)" .venv/bin/python -m pytest -q tests/python/test_load.py
fi
if [ -f tests/c/test_load.c ]; then
  make --no-print-directory c-build > /dev/null && mkdir -p tests/c/build &&
    cc -std=c11 -O2 -g -Iinclude -o tests/c/build/soak_load tests/c/test_load.c \
      -Ltarget/debug -lkvmpool -Wl,-rpath,"$PWD/target/debug" -lpthread &&
    step "C load (4 threads x $OPS ops)" tests/c/build/soak_load
fi
for round in $(seq "$ROUNDS"); do
  step "faults, round $round" cargo test --locked --release --test faults
done

echo
echo "soak: $failed failed"
[ $failed -eq 0 ]
