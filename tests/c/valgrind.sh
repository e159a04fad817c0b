#!/bin/sh
# Run every C test (tests/c/*.c) once under valgrind: built WITHOUT sanitizers (ASan
# and valgrind do not mix) into tests/c/build/valgrind/, then run with
#   valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=1
# so that a definite or indirect leak, or any memory error (invalid read/write, use of
# uninitialised memory, bad free), fails the test. "Still reachable" memory (libvirt's
# and glib's one-time globals, kvmpool's event-loop thread) and "possibly lost" blocks
# (thread stacks) are not counted. Known leaks inside libvirt itself, if any, are
# suppressed in tests/c/valgrind.supp, each with the reason.
#
# Usage: sh tests/c/valgrind.sh [test_name ...]   (default: every tests/c/*.c)
# Environment: as for `make c-test` (KVMPOOL_TEST_URI / KVMPOOL_TEST_DIR for the live
# parts); CC (default cc); KVMPOOL_LOAD_OPS defaults to 50 here (the load test's
# code paths, not its volume, matter under valgrind, which is ~20x slower).
# Builds the C library first (cargo build --locked -p kvmpool-capi), unless
# KVMPOOL_VALGRIND_NO_BUILD=1.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT="$HERE/build/valgrind"
CC=${CC:-cc}
CARGO=${CARGO:-cargo}
CFLAGS="-std=c11 -Wall -Wextra -Werror -pedantic -g -O0 -I$REPO/include"
LIBDIR=${CARGO_TARGET_DIR:-$REPO/target}/debug
LIBS="-L$LIBDIR -lkvmpool -Wl,-rpath,$LIBDIR -lpthread"
SUPP="$HERE/valgrind.supp"
export KVMPOOL_LOAD_OPS="${KVMPOOL_LOAD_OPS:-50}"
# Tests with time budgets (test_bad_input) may read this to scale or skip them: under
# valgrind everything runs 20-50x slower.
export KVMPOOL_UNDER_VALGRIND=1

command -v valgrind > /dev/null 2>&1 || {
  echo "valgrind.sh: valgrind is not installed (sh tests/env/kvmpool-env.sh install)"
  exit 1
}
if [ "${KVMPOOL_VALGRIND_NO_BUILD:-0}" != 1 ]; then
  (cd "$REPO" && make --no-print-directory -s c-build) || {
    echo "valgrind.sh: building the C library failed"
    exit 1
  }
fi
[ -f "$LIBDIR/libkvmpool.so" ] || {
  echo "valgrind.sh: no $LIBDIR/libkvmpool.so (make c-build)"
  exit 1
}

if [ $# -gt 0 ]; then
  tests=$(for t in "$@"; do echo "$HERE/$(basename "$t" .c).c"; done)
else
  tests=$(ls "$HERE"/*.c)
fi

mkdir -p "$OUT"
failed=""
for src in $tests; do
  name=$(basename "$src" .c)
  bin="$OUT/$name"
  log="$OUT/$name.log"
  echo "--- valgrind $name"
  # shellcheck disable=SC2086 # CFLAGS and LIBS are word lists
  if ! $CC $CFLAGS -o "$bin" "$src" $LIBS; then
    echo "FAILED (build): $name"
    failed="$failed $name"
    continue
  fi
  start=$(date +%s)
  valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --show-leak-kinds=definite,indirect --error-exitcode=1 --track-origins=yes \
    --num-callers=40 --suppressions="$SUPP" --gen-suppressions=all \
    --log-file="$log" "$bin"
  rc=$?
  secs=$(( $(date +%s) - start ))
  # valgrind 3.19 does not know openat2 (syscall 437) and answers ENOSYS, which kvmpool
  # handles (the local inventory then asks libvirt); its warning is no finding.
  sed -i -E '/^--[0-9]+-- (WARNING: unhandled amd64-linux syscall: 437|You may be able to write your own handler\.|Read the file README_MISSING_SYSCALL_OR_IOCTL\.|Nevertheless we consider this a bug\.  Please report|it at http:\/\/valgrind\.org\/support\/bug_reports\.html\.)$/d' "$log"
  # With --quiet valgrind writes only what it found: an empty log and a non-zero exit
  # mean the test's own checks failed (valgrind makes everything 20-50x slower).
  if [ "$rc" -eq 0 ] && [ ! -s "$log" ]; then
    echo "ok: $name under valgrind (${secs} s)"
  elif [ -s "$log" ]; then
    echo "FAILED: $name: valgrind found errors or leaks (exit $rc, ${secs} s); its report ($log):"
    sed -n '1,300p' "$log"
    failed="$failed $name"
  else
    echo "FAILED: $name: the test's own checks failed under valgrind, valgrind found nothing (exit $rc, ${secs} s)"
    failed="$failed $name"
  fi
done
[ -z "$failed" ] || { echo "valgrind.sh: failed:$failed"; exit 1; }
echo "valgrind.sh: every test ran clean"
