#!/bin/sh
# kvmpool's test environment: packages, a private storage-only libvirtd, a userspace
# iSCSI target and a one-brick gluster volume, all on 127.0.0.1. Follows
# ../shared/testenv.md (checked on Debian 12, root, no systemd, PID 1 not reaping).
#
#   kvmpool-env.sh install           apt packages, .venv (maturin, pytest, mypy,
#                                    libvirt-python), cbindgen 0.29.4, rustfmt, clippy
#   kvmpool-env.sh install-min       only what `make tour` needs (libvirt client library)
#   kvmpool-env.sh up DIR            libvirtd + tgtd + glusterd; writes DIR/env
#   kvmpool-env.sh down DIR          stop all that was started under DIR, free its loops
#   kvmpool-env.sh daemon-start DIR  a storage-only libvirtd alone (DIR/uri, DIR/libvirtd.pid)
#   kvmpool-env.sh daemon-stop DIR   destroy its pools and stop it (definitions stay)
#
# POSIX sh (tests run it with `sh`). tgtd (port 3260) and glusterd (port 24007) are
# machine-wide, so one `up` at a time; daemon-start may run any number of times in
# different directories.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SELF="$HERE/$(basename "$0")"
CBINDGEN_VERSION=0.29.4
ISCSI_HOST=127.0.0.1
ISCSI_PORT=3260
ISCSI_IQN=iqn.2024-01.kvmpool.test:t1
ISCSI_INITIATOR=iqn.2024-01.kvmpool.test:init
GLUSTER_VOLUME=gv0

APT_PACKAGES="libvirt-dev libvirt-clients libvirt-daemon
  libvirt-daemon-driver-storage-iscsi-direct libvirt-daemon-driver-storage-gluster
  pkg-config qemu-utils libxml2-utils parted lvm2 scrub tgt libiscsi-bin
  glusterfs-server glusterfs-client xfsprogs e2fsprogs gcc libc6-dev make valgrind xorriso"
APT_MIN="libvirt-dev libvirt-clients pkg-config gcc libc6-dev"

say() { printf 'kvmpool-env: %s\n' "$*"; }
warn() { printf 'kvmpool-env: %s\n' "$*" >&2; }
die() { warn "$*"; exit 1; }
now_ms() { date +%s%3N; }
abspath() { mkdir -p "$1" && (cd "$1" && pwd); }

# --- processes (a zombie counts as gone: PID 1 here does not reap orphans) --------------

alive() {
  local st
  case "${1:-}" in '' | *[!0-9]*) return 1 ;; esac
  st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}

wait_gone() { # wait_gone PID SECONDS; true once it is gone
  local n
  n=$(($2 * 20))
  while alive "$1"; do
    [ "$n" -gt 0 ] || return 1
    n=$((n - 1)); sleep 0.05
  done
}

stop_pid() { # stop_pid PID SECONDS: SIGTERM, wait, SIGKILL, wait
  alive "${1:-}" || return 0
  kill "$1" 2>/dev/null || true
  wait_gone "$1" "$2" && return 0
  warn "pid $1 ($(cat "/proc/$1/comm" 2>/dev/null)) ignored SIGTERM for $2 s: SIGKILL"
  kill -9 "$1" 2>/dev/null || true
  wait_gone "$1" 10 || warn "pid $1 is still alive after SIGKILL"
}

pid_of() { cat "$1" 2>/dev/null || true; } # the pid recorded in a file, or nothing

pids_under() { # pids of our daemons whose command line mentions DIR/ (one per line)
  local f pid
  grep -laF -- "$1/" /proc/[0-9]*/cmdline 2>/dev/null | while read -r f; do
    pid=${f#/proc/}; pid=${pid%/cmdline}
    [ "$pid" != "$$" ] || continue
    case "$(cat "/proc/$pid/comm" 2>/dev/null)" in
      libvirtd | glusterfs | glusterfsd | glusterd | tgtd) alive "$pid" && echo "$pid" ;;
    esac
  done
  return 0
}

port_busy() { # port_busy PORT: something listens on that TCP port
  command -v ss > /dev/null || return 1
  [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
}

port_owner() { # port_owner PORT: who listens there, for messages
  local pid
  command -v ss > /dev/null || { echo "(no ss to tell who)"; return 0; }
  pid=$(ss -Hltnp "sport = :$1" 2>/dev/null | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1)
  if [ -n "$pid" ]; then echo "pid $pid: $(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | sed 's/ $//')"
  else echo "no listener on port $1, but the daemon's control socket answers"
  fi
}

show_log() { # show_log FILE: the end of a log, for a loud failure
  [ -s "$1" ] || return 0
  warn "----- last lines of $1"
  tail -n 40 "$1" >&2
  warn "-----"
}

# --- install ------------------------------------------------------------------------------

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo > /dev/null; then sudo "$@"
  else die "need root for: $*"
  fi
}

missing_packages() { # the packages of $* that are not installed
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || printf '%s ' "$p"
  done
}

apt_install() {
  local missing
  # shellcheck disable=SC2086
  missing=$(missing_packages $*)
  [ -n "$missing" ] || return 0
  say "apt-get install: $missing"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
  # shellcheck disable=SC2086
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
}

install_python() {
  local venv
  venv="$REPO/.venv"
  if ! "$venv/bin/python" -m pip --version > /dev/null 2>&1; then
    command -v python3 > /dev/null || apt_install python3
    if ! python3 -m venv --clear "$venv"; then
      apt_install python3-venv # only helps Debian's own python3
      python3 -m venv --clear "$venv"
    fi
  fi
  if ! "$venv/bin/python" -c 'import pytest, mypy' 2>/dev/null ||
     ! "$venv/bin/maturin" --version > /dev/null 2>&1; then
    say "pip install into $venv: maturin pytest mypy"
    "$venv/bin/python" -m pip install -q 'maturin>=1.8,<2' pytest mypy
  fi
  if ! "$venv/bin/python" -c 'import libvirt' 2>/dev/null; then
    # built from source against libvirt-dev; only the benchmarks use it
    say "pip install into $venv: libvirt-python"
    "$venv/bin/python" -m pip install -q libvirt-python ||
      warn "WARNING: libvirt-python did not install (only the benchmarks need it)"
  fi
}

install_rust_tools() {
  command -v cargo > /dev/null || die "cargo is not on PATH (install Rust with rustup first)"
  cargo fmt --version > /dev/null 2>&1 || rustup component add rustfmt
  cargo clippy --version > /dev/null 2>&1 || rustup component add clippy
  if [ "$(cbindgen --version 2>/dev/null)" != "cbindgen $CBINDGEN_VERSION" ]; then
    say "cargo install cbindgen $CBINDGEN_VERSION"
    cargo install cbindgen --version "$CBINDGEN_VERSION" --locked
  fi
}

# --- the storage-only libvirtd ------------------------------------------------------------

driver_dir() { # where Debian keeps libvirtd's driver modules
  local f
  for f in /usr/lib/*/libvirt/connection-driver/libvirt_driver_storage.so; do
    [ -e "$f" ] && { dirname "$f"; return 0; }
  done
  die "libvirt_driver_storage.so not found (is libvirt-daemon installed? run: $SELF install)"
}

register_daemon() { # note DIR in the .kvmpool-daemons list of the enclosing `up` directory
  local d
  d=$(dirname "$1")
  while [ "$d" != / ]; do
    if [ -f "$d/.kvmpool-env" ]; then
      grep -qxF -- "$1" "$d/.kvmpool-daemons" 2>/dev/null || echo "$1" >> "$d/.kvmpool-daemons"
      return 0
    fi
    d=$(dirname "$d")
  done
}

daemon_start() { # daemon_start DIR: libvirtd with the storage driver only, own mount namespace
  local D drv pid uri n
  D=$1
  pid=$(pid_of "$D/libvirtd.pid")
  if alive "$pid"; then die "a libvirtd (pid $pid) already runs for $D"; fi
  drv=$(driver_dir)
  mkdir -p "$D/etc" "$D/run" "$D/lib" "$D/sock" "$D/drv"
  mkdir -p /etc/libvirt /run/libvirt /var/lib/libvirt # mount points for the bind mounts
  ln -sf "$drv/libvirt_driver_storage.so" "$drv/libvirt_driver_secret.so" "$D/drv/"
  cat > "$D/libvirtd.conf" << CONF
unix_sock_dir = "$D/sock"
unix_sock_rw_perms = "0700"
auth_unix_rw = "none"
auth_unix_ro = "none"
CONF
  rm -f "$D/sock/libvirt-sock" "$D/sock/libvirt-sock-ro" "$D/sock/libvirt-admin-sock" \
    "$D/run/libvirtd.pid"
  register_daemon "$D"
  # The daemon's own /etc/libvirt, /run/libvirt and /var/lib/libvirt: pool configs
  # (kept in DIR/etc across restarts), state and driver locks of several daemons never
  # meet. The recorded pid is libvirtd's own: unshare, sh and env all exec.
  echo "--- $(date '+%F %T') daemon-start" >> "$D/libvirtd.log"
  unshare -m --propagation private sh -c '
    mount --bind "$1/etc" /etc/libvirt &&
    mount --bind "$1/run" /run/libvirt &&
    mount --bind "$1/lib" /var/lib/libvirt &&
    exec env LIBVIRT_DRIVER_DIR="$1/drv" libvirtd -f "$1/libvirtd.conf" -p "$1/run/libvirtd.pid"
  ' sh "$D" < /dev/null >> "$D/libvirtd.log" 2>&1 &
  pid=$!
  echo "$pid" > "$D/libvirtd.pid"
  uri="storage:///system?socket=$D/sock/libvirt-sock"
  echo "$uri" > "$D/uri"
  n=400 # 20 s
  until timeout 10 virsh -q -c "$uri" pool-list --all < /dev/null > /dev/null 2>&1; do
    if ! alive "$pid" || [ "$n" -le 0 ]; then
      show_log "$D/libvirtd.log"
      stop_pid "$pid" 5
      die "libvirtd did not answer on $uri"
    fi
    n=$((n - 1)); sleep 0.05
  done
  echo "$uri"
}

daemon_stop() { # daemon_stop DIR [undefine]: destroy its pools (mounts, FUSE clients), stop it
  local D pid uri p
  D=$1
  pid=$(pid_of "$D/libvirtd.pid")
  if alive "$pid" && [ -f "$D/uri" ]; then
    uri=$(cat "$D/uri")
    timeout 30 virsh -q -c "$uri" pool-list --all --name < /dev/null 2>/dev/null |
      while read -r p; do
        [ -n "$p" ] || continue
        timeout 60 virsh -q -c "$uri" pool-destroy "$p" < /dev/null > /dev/null 2>&1 || true
        if [ "${2:-}" = undefine ]; then
          timeout 30 virsh -q -c "$uri" pool-undefine "$p" < /dev/null > /dev/null 2>&1 || true
        fi
      done
  fi
  stop_pid "$pid" 10
  # a FUSE client of a netfs pool that was not destroyed keeps the namespace alive
  for p in $(pids_under "$D"); do
    case "$(cat "/proc/$p/comm" 2>/dev/null)" in glusterfs | libvirtd) stop_pid "$p" 5 ;; esac
  done
  alive "$pid" || rm -f "$D/libvirtd.pid"
}

# --- up -----------------------------------------------------------------------------------

UP_DIR=
up_failed() { # up_failed MESSAGE [LOG]: say why loudly, release what was started
  [ -z "${2:-}" ] || show_log "$2"
  warn "up FAILED: $1"
  trap - EXIT
  [ -z "$UP_DIR" ] || down "$UP_DIR" >&2 || true
  exit 1
}

up() {
  local D t0 t1 t2 t3 uri gh pid lun
  D=$(abspath "$1")
  [ "$D" != / ] || die "refusing to use / as the environment directory"
  if [ -f "$D/env" ] && alive "$(pid_of "$D/libvirtd/libvirtd.pid")"; then
    die "$D is already up (. $D/env)"
  fi
  # tgtd and glusterd are machine-wide (control sockets in /run, ports 3260 and 24007)
  if tgtadm --op show --mode system > /dev/null 2>&1 || port_busy "$ISCSI_PORT"; then
    die "another tgtd answers or port $ISCSI_PORT is taken: $(port_owner "$ISCSI_PORT"); one \`up\` at a time (\`$SELF down DIR\` stops one)"
  fi
  if timeout 10 gluster --mode=script volume list < /dev/null > /dev/null 2>&1 || port_busy 24007; then
    die "another glusterd answers or port 24007 is taken: $(port_owner 24007); one \`up\` at a time (\`$SELF down DIR\` stops one)"
  fi
  rm -f "$D/env"
  echo "kvmpool test environment; tear down with: $SELF down $D" > "$D/.kvmpool-env"
  UP_DIR=$D
  trap 'up_failed "interrupted"' INT TERM
  trap 'up_failed "unexpected error (see above)"' EXIT

  t0=$(now_ms)
  uri=$(daemon_start "$D/libvirtd") || up_failed "libvirtd did not start"
  t1=$(now_ms)

  # userspace iSCSI target on loopback only, two file-backed LUNs (64 MiB, 32 MiB)
  rm -rf "$D/tgt" "$D/gluster" # a brick keeps its old volume id: start afresh
  mkdir -p "$D/tgt"
  truncate -s 64M "$D/tgt/lun1.img"
  truncate -s 32M "$D/tgt/lun2.img"
  tgtd -f --iscsi "portal=$ISCSI_HOST:$ISCSI_PORT" < /dev/null > "$D/tgt/tgtd.log" 2>&1 &
  echo $! > "$D/tgt/tgtd.pid"
  pid=$(cat "$D/tgt/tgtd.pid")
  n=200
  until tgtadm --lld iscsi --op show --mode target > /dev/null 2>&1; do
    alive "$pid" && [ "$n" -gt 0 ] || up_failed "tgtd did not start" "$D/tgt/tgtd.log"
    n=$((n - 1)); sleep 0.05
  done
  {
    tgtadm --lld iscsi --op new --mode target --tid 1 -T "$ISCSI_IQN" &&
    tgtadm --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b "$D/tgt/lun1.img" &&
    tgtadm --lld iscsi --op new --mode logicalunit --tid 1 --lun 2 -b "$D/tgt/lun2.img" &&
    tgtadm --lld iscsi --op bind --mode target --tid 1 -I ALL
  } >> "$D/tgt/tgtd.log" 2>&1 || up_failed "tgtadm could not set up $ISCSI_IQN" "$D/tgt/tgtd.log"
  # what the tests will see: the target and both LUNs through libiscsi
  timeout 20 iscsi-ls -s -i "$ISCSI_INITIATOR" "iscsi://$ISCSI_HOST:$ISCSI_PORT" \
    < /dev/null > "$D/tgt/iscsi-ls.out" 2>&1 || true
  cat "$D/tgt/iscsi-ls.out" >> "$D/tgt/tgtd.log"
  for lun in 1 2; do
    grep -q "Lun:$lun " "$D/tgt/iscsi-ls.out" ||
      up_failed "iscsi-ls does not show $ISCSI_IQN LUN $lun on $ISCSI_HOST:$ISCSI_PORT" "$D/tgt/tgtd.log"
  done
  t2=$(now_ms)

  # one-brick gluster volume; the CLI refuses 127.0.0.1 and localhost as brick host but
  # takes a name that resolves to 127.0.0.1
  gh=$(hostname)
  if ! getent hosts "$gh" 2>/dev/null | grep -q '^127\.'; then
    gh=kvmpool-gl
    grep -qE "^127\.0\.0\.1[[:space:]].*[[:space:]]$gh([[:space:]]|\$)" /etc/hosts ||
      echo "127.0.0.1 $gh" >> /etc/hosts
  fi
  mkdir -p "$D/gluster/glusterd" "$D/gluster/brick"
  sed -e "s#option working-directory .*#option working-directory $D/gluster/glusterd#" \
      -e 's#^\( *\)option transport-type socket#&\n\1option transport.socket.bind-address 127.0.0.1#' \
      /etc/glusterfs/glusterd.vol > "$D/gluster/glusterd.vol"
  grep -q 'bind-address 127.0.0.1' "$D/gluster/glusterd.vol" ||
    up_failed "could not bind glusterd to 127.0.0.1 (unexpected /etc/glusterfs/glusterd.vol)"
  glusterd -N -f "$D/gluster/glusterd.vol" --log-file="$D/gluster/glusterd.log" \
    < /dev/null > /dev/null 2>&1 &
  echo $! > "$D/gluster/glusterd.pid"
  pid=$(cat "$D/gluster/glusterd.pid")
  n=600
  until timeout 10 gluster --mode=script volume list < /dev/null > /dev/null 2>&1; do
    alive "$pid" && [ "$n" -gt 0 ] || up_failed "glusterd did not start" "$D/gluster/glusterd.log"
    n=$((n - 1)); sleep 0.05
  done
  {
    timeout 60 gluster --mode=script volume create "$GLUSTER_VOLUME" "$gh:$D/gluster/brick" force &&
    timeout 60 gluster --mode=script volume start "$GLUSTER_VOLUME"
  } < /dev/null >> "$D/gluster/cli.log" 2>&1 ||
    up_failed "gluster volume $GLUSTER_VOLUME did not start" "$D/gluster/cli.log"
  n=400
  until timeout 10 gluster --mode=script volume status "$GLUSTER_VOLUME" detail < /dev/null 2>/dev/null |
        grep -q '^Online *: Y'; do
    [ "$n" -gt 0 ] || up_failed "the brick of $GLUSTER_VOLUME is not online" "$D/gluster/glusterd.log"
    n=$((n - 1)); sleep 0.05
  done
  echo "$gh" > "$D/gluster/host"
  t3=$(now_ms)

  cat > "$D/env.tmp" << ENV
export KVMPOOL_TEST_DIR='$D'
export KVMPOOL_TEST_URI='$uri'
export KVMPOOL_TEST_DAEMON_PID='$(cat "$D/libvirtd/libvirtd.pid")'
export KVMPOOL_TEST_ISCSI_HOST='$ISCSI_HOST'
export KVMPOOL_TEST_ISCSI_PORT='$ISCSI_PORT'
export KVMPOOL_TEST_ISCSI_IQN='$ISCSI_IQN'
export KVMPOOL_TEST_ISCSI_INITIATOR='$ISCSI_INITIATOR'
export KVMPOOL_TEST_GLUSTER_HOST='$gh'
export KVMPOOL_TEST_GLUSTER_VOLUME='$GLUSTER_VOLUME'
export KVMPOOL_TEST_ENV_SCRIPT='$SELF'
ENV
  mv "$D/env.tmp" "$D/env"
  trap - EXIT INT TERM
  say "up in $((t3 - t0)) ms (libvirtd $((t1 - t0)) ms, tgtd $((t2 - t1)) ms, gluster $((t3 - t2)) ms)"
  say "URI $uri; for the tests: . $D/env"
}

# --- down ---------------------------------------------------------------------------------

daemon_dirs() { # every daemon-start directory under DIR (one per line)
  {
    echo "$1/libvirtd"
    cat "$1/.kvmpool-daemons" 2>/dev/null || true
    find "$1" -xdev -maxdepth 5 -name libvirtd.pid -type f 2>/dev/null | sed 's#/libvirtd.pid$##'
  } | sort -u | while read -r d; do
    [ -f "$d/libvirtd.pid" ] && echo "$d"
  done
  return 0
}

tgtd_stop() { # tgtd_stop PIDFILE: tgtd ignores SIGTERM; it exits on "delete --mode system"
  local pid
  pid=$(pid_of "$1")
  if alive "$pid"; then # never talk to a tgtd that is not ours
    tgtadm --lld iscsi --op delete --mode target --tid 1 --force > /dev/null 2>&1 || true
    tgtadm --op delete --mode system > /dev/null 2>&1 || true
    wait_gone "$pid" 5 || { kill -9 "$pid" 2>/dev/null || true; wait_gone "$pid" 5 || true; }
  fi
  alive "$pid" || rm -f "$1"
}

gluster_stop() { # gluster_stop PIDFILE: the volume, then glusterd
  local pid
  pid=$(pid_of "$1")
  if alive "$pid"; then # never talk to a glusterd that is not ours
    timeout 60 gluster --mode=script volume stop "$GLUSTER_VOLUME" force < /dev/null > /dev/null 2>&1 || true
    timeout 60 gluster --mode=script volume delete "$GLUSTER_VOLUME" < /dev/null > /dev/null 2>&1 || true
  fi
  stop_pid "$pid" 10
  alive "$pid" || rm -f "$1"
}

loops_under() { # loop devices whose backing file is under DIR: "DEVICE FILE" lines
  losetup -l -n -O NAME,BACK-FILE 2>/dev/null | while read -r dev file; do
    case "$file" in "$1"/*) echo "$dev $file" ;; esac
  done
  return 0
}

down() {
  local D t0 d pid dev file m n left
  [ -d "$1" ] || { say "down: $1 does not exist, nothing to do"; return 0; }
  D=$(cd "$1" && pwd)
  if [ ! -f "$D/.kvmpool-env" ]; then
    [ -n "$(ls -A "$D")" ] || { say "down: $D is empty, nothing to do"; return 0; }
    die "$D was not set up by \`$SELF up\` (no .kvmpool-env); nothing done"
  fi
  t0=$(now_ms)
  # 1. the shared daemon and every daemon tests started under DIR: destroy and undefine
  #    their pools first (fs/netfs/gluster pools hold mounts and FUSE clients)
  daemon_dirs "$D" | while read -r d; do daemon_stop "$d" undefine; done
  # 2. gluster: the volume, then glusterd; 3. tgtd
  #    (DIR/glusterd.pid and DIR/tgtd.pid: where earlier versions of this script kept them)
  gluster_stop "$D/gluster/glusterd.pid"
  gluster_stop "$D/glusterd.pid"
  tgtd_stop "$D/tgt/tgtd.pid"
  tgtd_stop "$D/tgtd.pid"
  # 4. leftovers: bricks, FUSE clients, daemons that mention DIR on their command line
  for pid in $(pids_under "$D"); do
    case "$(cat "/proc/$pid/comm" 2>/dev/null)" in
      tgtd) kill -9 "$pid" 2>/dev/null || true; wait_gone "$pid" 5 || true ;;
      *) stop_pid "$pid" 5 ;;
    esac
  done
  # 5. anything still mounted under DIR (lazily, deepest first), then its loop devices
  awk -v d="$D/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null || warn "could not unmount $m"
  done
  n=50
  while [ -n "$(loops_under "$D")" ] && [ "$n" -gt 0 ]; do
    loops_under "$D" | while read -r dev file; do losetup -d "$dev" 2>/dev/null || true; done
    [ -n "$(loops_under "$D")" ] || break
    n=$((n - 1)); sleep 0.1
  done
  # 6. prove it
  left=""
  for pid in $(pids_under "$D") $(pid_of "$D/tgt/tgtd.pid") $(pid_of "$D/tgtd.pid") \
    $(pid_of "$D/gluster/glusterd.pid") $(pid_of "$D/glusterd.pid"); do
    alive "$pid" && left="$left $pid($(cat "/proc/$pid/comm" 2>/dev/null))"
  done
  [ -z "$left" ] || warn "still running after down:$left"
  if [ -n "$(loops_under "$D")" ]; then
    warn "loop devices still attached after down:"; loops_under "$D" >&2; left="$left loops"
  fi
  rm -f "$D/env"
  [ -z "$left" ] || die "down $D: not everything stopped"
  say "down in $(($(now_ms) - t0)) ms"
}

# --- main ---------------------------------------------------------------------------------

cmd=${1:-}
case "$cmd" in
  install)
    t0=$(now_ms)
    # shellcheck disable=SC2086
    apt_install $APT_PACKAGES
    t1=$(now_ms)
    install_python
    t2=$(now_ms)
    install_rust_tools
    say "install done in $(($(now_ms) - t0)) ms (apt $((t1 - t0)) ms, python $((t2 - t1)) ms, rust tools $(($(now_ms) - t2)) ms)"
    ;;
  install-min)
    # shellcheck disable=SC2086
    apt_install $APT_MIN
    ;;
  up | down | daemon-start | daemon-stop)
    [ $# -eq 2 ] && [ -n "$2" ] || die "usage: $0 $cmd DIR"
    case "$cmd" in
      up) up "$2" ;;
      down) down "$2" ;;
      daemon-start) daemon_start "$(abspath "$2")" ;;
      daemon-stop) [ ! -d "$2" ] || daemon_stop "$(cd "$2" && pwd)" ;;
    esac
    ;;
  *)
    die "usage: $0 install | install-min | up DIR | down DIR | daemon-start DIR | daemon-stop DIR"
    ;;
esac
