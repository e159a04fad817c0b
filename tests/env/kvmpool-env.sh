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
#   kvmpool-env.sh fleet-up DIR [N]  N storage-only libvirtds on loopback TCP (default 4) and
#                                    one on TLS, with test certificates; writes DIR/fleet/env,
#                                    adds it to DIR/env (`up` runs it too)
#   kvmpool-env.sh fleet-down DIR    stop the fleet under DIR (`down` does it too)
#   kvmpool-env.sh vm-up DIR         the test VM (Debian kernel under qemu: LVM, iSCSI,
#                                    NFS, multipath); writes DIR/vm/env, adds it to DIR/env
#   kvmpool-env.sh vm-exec DIR CMD...  run a shell command in the guest: its output, its
#                                    exit code (125: vm-exec itself failed)
#   kvmpool-env.sh vm-down DIR       power the VM off, remove its disks (`down` does it too)
#   kvmpool-env.sh vm-build          build (or check) the cached guest image only
#
# POSIX sh (tests run it with `sh`). tgtd (port 3260) and glusterd (port 24007) are
# machine-wide, so one `up` at a time; daemon-start may run any number of times in
# different directories. The VM is described in README.md and vm/.
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
  glusterfs-server glusterfs-client xfsprogs e2fsprogs gcc libc6-dev make valgrind xorriso
  gnutls-bin"
APT_MIN="libvirt-dev libvirt-clients pkg-config gcc libc6-dev"

say() { printf 'kvmpool-env: %s\n' "$*"; }
warn() { printf 'kvmpool-env: %s\n' "$*" >&2; }
die() { warn "$*"; DIED="$*"; exit 1; }
DIED=
now_ms() { date +%s%3N; }
abspath() { mkdir -p "$1" && (cd "$1" && pwd); }

# --- processes (a zombie counts as gone: PID 1 here does not reap orphans) --------------
#
# Daemons are started with fds 3-9 closed (`3>&- ... 9>&-`): they outlive the command
# that started them and must not keep its pipes or locks (make's jobserver, a build
# lock held with flock) open.

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
      libvirtd | glusterfs | glusterfsd | glusterd | tgtd | qemu-system-x86) alive "$pid" && echo "$pid" ;;
    esac
  done
  return 0
}

port_busy() { # port_busy PORT: something listens on that TCP port
  command -v ss > /dev/null || return 1
  [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
}

port_owner() { # port_owner PORT: who listens there, for messages (a test VM by its DIR)
  local pid vm
  command -v ss > /dev/null || { echo "(no ss to tell who)"; return 0; }
  pid=$(ss -Hltnp "sport = :$1" 2>/dev/null | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1)
  vm=$(tr '\0' '\n' < "/proc/${pid:-0}/cmdline" 2>/dev/null | sed -n 's#/vm/qemu\.pid$##p')
  if [ -n "$vm" ]; then echo "the test VM of $vm (qemu pid $pid; \`$SELF vm-down $vm\` stops it)"
  elif [ -n "$pid" ]; then echo "pid $pid: $(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | sed 's/ $//')"
  else echo "no listener on port $1, but the daemon's control socket answers"
  fi
}

umount_under() { # umount_under DIR: everything mounted below DIR, lazily, deepest first
  awk -v d="$1/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null || warn "could not unmount $m"
  done
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
  # Miri (make miri) runs on the nightly toolchain; where rustup cannot get it, make miri
  # says so and is skipped.
  if ! cargo +nightly miri --version > /dev/null 2>&1; then
    { rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal; } &&
      rustup component add miri rust-src --toolchain nightly ||
      warn "WARNING: no nightly toolchain with miri (make miri will be skipped)"
  fi
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

daemon_start() { # daemon_start DIR: libvirtd with the storage driver only, own mount namespace;
  # with DIR/listen.conf (a fleet host) also listening on the network as that file says
  local D drv pid uri n listen
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
  listen=
  if [ -f "$D/listen.conf" ]; then cat "$D/listen.conf" >> "$D/libvirtd.conf"; listen=--listen; fi
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
    exec env LIBVIRT_DRIVER_DIR="$1/drv" libvirtd $2 -f "$1/libvirtd.conf" -p "$1/run/libvirtd.pid"
  ' sh "$D" "$listen" < /dev/null >> "$D/libvirtd.log" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
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
  # a test may have frozen it (SIGSTOP): it answers nothing, not even SIGTERM, until woken
  if alive "$pid"; then kill -CONT "$pid" 2>/dev/null || true; fi
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
  local D t0 t1 t2 t3 t4 uri gh pid lun
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
  tgtd -f --iscsi "portal=$ISCSI_HOST:$ISCSI_PORT" < /dev/null > "$D/tgt/tgtd.log" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
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
    < /dev/null > /dev/null 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
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
  # the fleet's hosts mount gv0 through netfs pools: it comes last
  (fleet_up "$D") || up_failed "the fleet did not come up"
  t4=$(now_ms)
  trap - EXIT INT TERM
  say "up in $((t4 - t0)) ms (libvirtd $((t1 - t0)) ms, tgtd $((t2 - t1)) ms, gluster $((t3 - t2)) ms, fleet $((t4 - t3)) ms)"
  say "URI $uri; for the tests: . $D/env"
}

# --- the fleet ----------------------------------------------------------------------------
# Several storage-only libvirtds (daemon_start, each in its own mount namespace with its
# own /etc/libvirt, /run/libvirt and /var/lib/libvirt) that listen on 127.0.0.1: N on TCP
# without authentication, one on TLS that checks client certificates. Remote URIs name
# the driver on the far side: storage+tcp://127.0.0.1:PORT/system. Files under DIR/fleet:
# h1 ... hN and tls (daemon-start directories with a listen.conf), certs/ (made here with
# certtool: a CA, the server's and a client's certificate, and a client certificate from
# another CA) and env.

FLEET_PORT=${KVMPOOL_FLEET_PORT:-16610} # the first port tried; busy ones are skipped
FLEET_HOSTS=${KVMPOOL_FLEET_HOSTS:-4}   # how many TCP hosts `up` starts

free_port() { # free_port FROM: the first TCP port from FROM on that nothing listens on
  local p
  p=$1
  while port_busy "$p"; do p=$((p + 1)); done
  echo "$p"
}

fleet_cert() { # fleet_cert DIR NAME CA TEMPLATE-LINES: DIR/NAME-key.pem and -cert.pem signed by CA (or self-signed when CA is -)
  local C
  C=$1
  printf '%s\n' "$4" > "$C/$2.info"
  certtool --generate-privkey --key-type=rsa --sec-param=medium --outfile "$C/$2-key.pem" > /dev/null 2>&1 || return 1
  chmod 600 "$C/$2-key.pem"
  if [ "$3" = - ]; then
    certtool --generate-self-signed --load-privkey "$C/$2-key.pem" --template "$C/$2.info" \
      --outfile "$C/$2-cert.pem" > /dev/null 2>&1
  else
    certtool --generate-certificate --load-privkey "$C/$2-key.pem" --template "$C/$2.info" \
      --load-ca-certificate "$C/$3-cert.pem" --load-ca-privkey "$C/$3-key.pem" \
      --outfile "$C/$2-cert.pem" > /dev/null 2>&1
  fi
}

fleet_certs() { # fleet_certs DIR: DIR/certs, and the pkipath directories DIR/pki-good and DIR/pki-other
  local C
  C=$1/certs
  rm -rf "$C" "$1/pki-good" "$1/pki-other"
  mkdir -p "$C" "$1/pki-good" "$1/pki-other"
  chmod 700 "$C"
  fleet_cert "$C" ca - 'cn = "kvmpool fleet test CA"
ca
cert_signing_key
expiration_days = 30' &&
  fleet_cert "$C" server ca 'organization = "kvmpool"
cn = "127.0.0.1"
ip_address = "127.0.0.1"
dns_name = "localhost"
tls_www_server
encryption_key
signing_key
expiration_days = 30' &&
  fleet_cert "$C" client ca 'organization = "kvmpool"
cn = "kvmpool fleet client"
tls_www_client
encryption_key
signing_key
expiration_days = 30' &&
  fleet_cert "$C" otherca - 'cn = "another CA, not trusted by the fleet"
ca
cert_signing_key
expiration_days = 30' &&
  fleet_cert "$C" otherclient otherca 'organization = "kvmpool"
cn = "kvmpool fleet client"
tls_www_client
encryption_key
signing_key
expiration_days = 30' || return 1
  # libvirt's client reads cacert.pem, clientcert.pem and clientkey.pem from its pkipath.
  # The other client trusts both CAs (the fleet's, to accept the server; its own, as
  # libvirt checks the client's certificate before sending it), so the refusal that
  # follows is the server's: it trusts only the fleet's CA.
  cp "$C/ca-cert.pem" "$1/pki-good/cacert.pem"
  cp "$C/client-cert.pem" "$1/pki-good/clientcert.pem"
  cp "$C/client-key.pem" "$1/pki-good/clientkey.pem"
  cat "$C/ca-cert.pem" "$C/otherca-cert.pem" > "$1/pki-other/cacert.pem"
  cp "$C/otherclient-cert.pem" "$1/pki-other/clientcert.pem"
  cp "$C/otherclient-key.pem" "$1/pki-other/clientkey.pem"
  chmod 600 "$1/pki-good/clientkey.pem" "$1/pki-other/clientkey.pem"
}

fleet_host_start() { # fleet_host_start HOSTDIR URI: daemon_start, then the network URI answers
  local n
  (daemon_start "$1") > /dev/null || return 1
  n=200 # 10 s
  until timeout 10 virsh -q -c "$2" pool-list --all < /dev/null > /dev/null 2>&1; do
    [ "$n" -gt 0 ] || { show_log "$1/libvirtd.log"; warn "$2 does not answer"; return 1; }
    n=$((n - 1)); sleep 0.05
  done
}

FLEET_UP_DIR=
fleet_up_failed() { # fleet_up_failed MESSAGE: say why, stop what was started
  warn "fleet-up FAILED: $1"
  trap - EXIT INT TERM
  [ -z "$FLEET_UP_DIR" ] || fleet_down "$FLEET_UP_DIR" >&2 || true
  exit 1
}

fleet_up() { # fleet_up DIR [N]
  local D F n i port uris pids dirs uri tls_port tls_uri bad_uri t0 out
  D=$(abspath "$1"); F=$D/fleet; n=${2:-$FLEET_HOSTS}
  [ "$D" != / ] || die "refusing to use / as the environment directory"
  case "$n" in '' | *[!0-9]*) die "fleet-up: N must be a number of hosts, not '$n'" ;; esac
  [ "$n" -ge 1 ] && [ "$n" -le 32 ] || die "fleet-up: N must be 1 to 32, not $n"
  case "$F" in *[[:space:]]*) die "fleet-up: DIR may not contain spaces (KVMPOOL_FLEET_URIS is split on them)" ;; esac
  command -v certtool > /dev/null || die "certtool is missing (package gnutls-bin; run: $SELF install)"
  for i in "$F"/h*/libvirtd.pid "$F/tls/libvirtd.pid"; do
    ! alive "$(pid_of "$i")" || die "a fleet already runs under $D (\`$SELF fleet-down $D\` stops it)"
  done
  t0=$(now_ms)
  mkdir -p "$F"
  echo "kvmpool test fleet; stop with: $SELF fleet-down $D" > "$F/.kvmpool-fleet"
  rm -f "$F/env"; fleet_env_unpublish "$D"
  FLEET_UP_DIR=$D
  trap 'fleet_up_failed "interrupted"' INT TERM
  trap 'fleet_up_failed "${DIED:-unexpected error (see above)}"' EXIT
  fleet_certs "$F" || fleet_up_failed "certtool could not make the test certificates"

  port=$FLEET_PORT uris="" pids="" dirs=""
  for i in $(seq 1 "$n"); do
    port=$(free_port "$port")
    mkdir -p "$F/h$i"
    cat > "$F/h$i/listen.conf" << CONF
listen_tcp = 1
listen_tls = 0
listen_addr = "127.0.0.1"
tcp_port = "$port"
auth_tcp = "none"
CONF
    uri=storage+tcp://127.0.0.1:$port/system
    fleet_host_start "$F/h$i" "$uri" || fleet_up_failed "fleet host h$i did not answer on $uri"
    uris="$uris $uri" pids="$pids $(pid_of "$F/h$i/libvirtd.pid")" dirs="$dirs $F/h$i"
    port=$((port + 1))
  done

  tls_port=$(free_port "$port")
  mkdir -p "$F/tls"
  cat > "$F/tls/listen.conf" << CONF
listen_tcp = 0
listen_tls = 1
listen_addr = "127.0.0.1"
tls_port = "$tls_port"
auth_tls = "none"
key_file = "$F/certs/server-key.pem"
cert_file = "$F/certs/server-cert.pem"
ca_file = "$F/certs/ca-cert.pem"
CONF
  tls_uri="storage+tls://127.0.0.1:$tls_port/system?pkipath=$F/pki-good"
  bad_uri="storage+tls://127.0.0.1:$tls_port/system?pkipath=$F/pki-other"
  fleet_host_start "$F/tls" "$tls_uri" || fleet_up_failed "the TLS host did not answer on $tls_uri"
  if out=$(timeout 20 virsh -q -c "$bad_uri" pool-list --all < /dev/null 2>&1); then
    fleet_up_failed "the TLS host accepted a client certificate from another CA ($bad_uri)"
  fi

  cat > "$F/env.tmp" << ENV
export KVMPOOL_FLEET_DIR='$F'
export KVMPOOL_FLEET_URIS='${uris# }'
export KVMPOOL_FLEET_PIDS='${pids# }'
export KVMPOOL_FLEET_HOST_DIRS='${dirs# }'
export KVMPOOL_FLEET_TLS_URI='$tls_uri'
export KVMPOOL_FLEET_BAD_TLS_URI='$bad_uri'
export KVMPOOL_FLEET_TLS_PID='$(pid_of "$F/tls/libvirtd.pid")'
export KVMPOOL_FLEET_ENV_SCRIPT='$SELF'
ENV
  mv "$F/env.tmp" "$F/env"
  cat "$F/env" >> "$D/env"
  trap - EXIT INT TERM
  say "fleet-up in $(($(now_ms) - t0)) ms: $n TCP hosts${uris}; TLS $tls_uri (another CA's client refused: $(printf '%s' "$out" | tail -n 1))"
  say "for the tests: . $D/env"
}

fleet_env_unpublish() { # fleet_env_unpublish DIR: the KVMPOOL_FLEET_ lines out of DIR/env
  [ -f "$1/env" ] && grep -q '^export KVMPOOL_FLEET_' "$1/env" || return 0
  grep -v '^export KVMPOOL_FLEET_' "$1/env" > "$1/env.tmp" || true
  mv "$1/env.tmp" "$1/env"
  [ -s "$1/env" ] || rm -f "$1/env"
}

fleet_down() { # fleet_down DIR: stop every fleet host (their pools destroyed and undefined)
  local D F d p t0 left
  [ -d "$1/fleet" ] || { say "fleet-down: no fleet under $1, nothing to do"; return 0; }
  D=$(cd "$1" && pwd); F=$D/fleet
  t0=$(now_ms)
  for d in "$F"/h* "$F/tls"; do
    [ -f "$d/libvirtd.pid" ] || continue
    daemon_stop "$d" undefine
  done
  left=""
  for p in $(pids_under "$F"); do stop_pid "$p" 5; done
  for p in $(pids_under "$F"); do left="$left $p($(cat "/proc/$p/comm" 2>/dev/null))"; done
  umount_under "$F"
  rm -f "$F/env"
  fleet_env_unpublish "$D"
  [ -z "$left" ] || { warn "fleet-down $D: still running:$left"; return 1; }
  say "fleet-down in $(($(now_ms) - t0)) ms: no process mentions $F/"
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
  local D t0 d pid dev file n left
  [ -d "$1" ] || { say "down: $1 does not exist, nothing to do"; return 0; }
  D=$(cd "$1" && pwd)
  t0=$(now_ms)
  left=""
  # 0. the test VM, when one was started under DIR
  if [ -f "$D/vm/.kvmpool-vm" ]; then vm_down "$D" || left=" vm"; fi
  # 0b. the fleet, when one was started under DIR (it mounts the gluster volume)
  if [ -f "$D/fleet/.kvmpool-fleet" ]; then fleet_down "$D" || left="$left fleet"; fi
  if [ ! -f "$D/.kvmpool-env" ]; then
    [ -n "$(ls -A "$D")" ] || { say "down: $D is empty, nothing to do"; return 0; }
    if [ -f "$D/vm/.kvmpool-vm" ] || [ -f "$D/fleet/.kvmpool-fleet" ]; then
      [ -z "$left" ] || die "down $D: not everything stopped:$left"
      return 0
    fi
    die "$D was not set up by \`$SELF up\` (no .kvmpool-env); nothing done"
  fi
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
  umount_under "$D"
  n=50
  while [ -n "$(loops_under "$D")" ] && [ "$n" -gt 0 ]; do
    loops_under "$D" | while read -r dev file; do losetup -d "$dev" 2>/dev/null || true; done
    [ -n "$(loops_under "$D")" ] || break
    n=$((n - 1)); sleep 0.1
  done
  # 6. prove it
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

# --- the test VM --------------------------------------------------------------------------
# A Debian guest under qemu-system-x86_64 whose kernel has what this host's lacks:
# device-mapper (LVM volumes, multipath), the kernel iSCSI initiator, the NFS client. TCG
# only: /dev/kvm here cannot run a stock kernel (../shared/testenv-vm.md, pitfall 1). The
# guest side lives in vm/ (init, build-image.sh, guest.conf, ...). Files under DIR/vm:
# qemu.pid, qemu.log, serial.log, the scratch disks lvm.img and disk.img, share/ (the 9p
# command channel, see vm/init) and env.

VM_CACHE=${KVMPOOL_VM_CACHE:-/var/cache/kvmpool-vm}
VM_PORT=${KVMPOOL_VM_PORT:-16600}
VM_BOOT_TIMEOUT=${KVMPOOL_VM_BOOT_TIMEOUT:-300}  # seconds from qemu's start to "ready"
VM_EXEC_TIMEOUT=${KVMPOOL_VM_EXEC_TIMEOUT:-600}  # seconds one vm-exec command may take
VM_APT_MAX_AGE=${KVMPOOL_VM_APT_MAX_AGE:-86400} # seconds before the private apt lists are refreshed
VM_CPUS=${KVMPOOL_VM_CPUS:-1}
VM_MEMORY=2048
VM_SUITE=bookworm
VM_GUEST_LIBVIRTD_PORT=16509 # vm/libvirtd.conf
# the scratch disks, in qemu's order after the root disk (vda); the serials show in the
# guest's /sys/block/vdX/serial, which the smoke check compares
VM_LVM_DISK=/dev/vdb VM_LVM_SIZE=1G VM_LVM_SERIAL=kvmpool-lvm
VM_DISK_DISK=/dev/vdc VM_DISK_SIZE=256M VM_DISK_SERIAL=kvmpool-disk
VM_LVM_VG=kvmvg # the volume group the tutorial names (nothing creates it: a pool-build does)
VM_STAGE=

need_root() { [ "$(id -u)" = 0 ] || die "$1 needs root"; }

vm_guest_conf() { # vm/guest.conf's settings as GUEST_NAME (its names clash with ours)
  eval "$(sed -n 's/^\([A-Z][A-Z0-9_]*\)=/GUEST_\1=/p' "$HERE/vm/guest.conf")"
}

shq() { # shq STRING: STRING single-quoted for sh
  printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

vm_mirror() { # vm_mirror SUITE: the Debian mirror URI this machine's apt sources use for SUITE
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk -v s="$1" '$1 == "deb" && $3 == s {print $2}'
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v s="$1" 'BEGIN { RS = "" }
      { types = uris = suites = ""; enabled = "yes"
        n = split($0, line, "\n")
        for (i = 1; i <= n; i++) {
          l = line[i]
          if (l ~ /^[ \t]*#/ || l !~ /:/) continue
          k = tolower(l); sub(/:.*/, "", k); v = l; sub(/^[^:]*:[ \t]*/, "", v)
          if (k == "types") types = v; else if (k == "uris") uris = v
          else if (k == "suites") suites = v; else if (k == "enabled") enabled = tolower(v)
        }
        if (enabled != "no" && (" " types " ") ~ / deb / && (" " suites " ") ~ (" " s " ")) {
          split(uris, u, " "); print u[1]
        }
      }' "$f"
  done
}

vm_apt() { # vm_apt apt-get|apt-cache ARGS: with the private sources and lists in VM_CACHE/apt
  local tool
  tool=$1; shift
  env DEBIAN_FRONTEND=noninteractive "$tool" -q \
    -o Dir::Etc::sourcelist="$VM_CACHE/apt/sources.list" -o Dir::Etc::sourceparts=- \
    -o Dir::State::lists="$VM_CACHE/apt/lists" -o Dir::Cache::archives="$VM_CACHE/apt/archives" \
    -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= \
    -o APT::Sandbox::User=root -o DPkg::Lock::Timeout=900 "$@"
}

vm_apt_lists() { # vm_apt_lists MAX_AGE: private apt lists (suite, -updates, -security,
  # -backports from this machine's mirrors), refreshed when older than MAX_AGE seconds
  local a age
  VM_MIRROR=$(vm_mirror "$VM_SUITE" | head -n 1)
  VM_SECURITY_MIRROR=$(vm_mirror "$VM_SUITE-security" | head -n 1)
  [ -n "$VM_MIRROR" ] && [ -n "$VM_SECURITY_MIRROR" ] ||
    die "no Debian mirror for $VM_SUITE and $VM_SUITE-security in /etc/apt/sources.list.d/ or /etc/apt/sources.list"
  a=$VM_CACHE/apt
  mkdir -p "$a/lists/partial" "$a/archives/partial"
  printf 'deb %s %s main\n' "$VM_MIRROR" "$VM_SUITE" "$VM_MIRROR" "$VM_SUITE-updates" \
    "$VM_SECURITY_MIRROR" "$VM_SUITE-security" "$VM_MIRROR" "$VM_SUITE-backports" > "$a/sources.list.new"
  if ! cmp -s "$a/sources.list.new" "$a/sources.list"; then
    mv "$a/sources.list.new" "$a/sources.list"; rm -f "$a/updated"
  fi
  rm -f "$a/sources.list.new"
  age=$(($(date +%s) - $(stat -c %Y "$a/updated" 2>/dev/null || echo 0)))
  [ "$age" -ge "$1" ] || return 0
  if vm_apt apt-get update > "$a/update.log" 2>&1; then
    touch "$a/updated"
  elif [ -f "$a/updated" ]; then
    warn "apt-get update with the private lists failed (see $a/update.log); using lists ${age} s old"
  else
    show_log "$a/update.log"; die "apt-get update with the private lists in $a failed"
  fi
}

vm_install_host() { # qemu-system-x86 (bookworm-backports) and mmdebstrap, when missing
  local t0
  command -v qemu-system-x86_64 > /dev/null && command -v mmdebstrap > /dev/null && return 0
  need_root "installing qemu-system-x86 and mmdebstrap"
  t0=$(now_ms)
  vm_apt_lists 0
  # backports' qemu 10: the host's qemu-utils is 10.0.2~bpo12, and bookworm's
  # qemu-system 7.2 would remove it (Breaks qemu-system-common << 8.0); --no-remove
  # makes apt fail rather than remove anything
  say "apt-get install ($VM_SUITE-backports, private lists in $VM_CACHE/apt): qemu-system-x86"
  vm_apt apt-get install -y --no-install-recommends --no-remove -t "$VM_SUITE-backports" qemu-system-x86
  say "apt-get install (private lists): mmdebstrap"
  vm_apt apt-get install -y --no-install-recommends --no-remove mmdebstrap
  vm_apt apt-get clean
  say "host packages for the VM in $(($(now_ms) - t0)) ms: $(qemu-system-x86_64 --version | head -n 1)"
}

vm_image_key() { # sets VM_KEY and the pinned kernel and busybox-static from the private lists
  local meta f
  meta=$(vm_apt apt-cache policy linux-image-amd64 | awk '$1 == "Candidate:" {print $2}')
  VM_KERNEL=$(vm_apt apt-cache show "linux-image-amd64=$meta" 2>/dev/null |
    sed -n 's/^Depends: \(linux-image-[^ ,]*\) (= \([^)]*\)).*/\1=\2/p' | head -n 1)
  VM_BUSYBOX=busybox-static=$(vm_apt apt-cache policy busybox-static | awk '$1 == "Candidate:" {print $2}')
  case "$VM_KERNEL/$VM_BUSYBOX" in
    linux-image-*=*/busybox-static=?*) ;;
    *) die "cannot tell the $VM_SUITE kernel or busybox-static from the lists in $VM_CACHE/apt ('$VM_KERNEL', '$VM_BUSYBOX')" ;;
  esac
  # every file in vm/ but the scenarios (they run against the guest, they are not in it)
  VM_KEY=$({
    echo "$VM_KERNEL $VM_BUSYBOX"
    for f in $(cd "$HERE/vm" && LC_ALL=C ls); do
      [ "$f" != scenarios.sh ] || continue
      echo "== $f"; cat "$HERE/vm/$f"
    done
  } | sha256sum | cut -c1-16)
}

vm_cache_rm() { # vm_cache_rm PATH...: remove build leftovers (unmounting what a killed mmdebstrap left)
  local p
  for p in "$@"; do
    [ -e "$p" ] || continue
    umount_under "$p"
    rm -rf --one-file-system "$p"
  done
}

vm_image() { # sets VM_IMAGE: the cached image for the current inputs, built when missing
  local t0 tmp age
  # with the lists as they are, then (a build takes the newest kernel) refreshed
  for age in "$VM_APT_MAX_AGE" 0; do
    vm_apt_lists "$age"
    vm_image_key
    VM_IMAGE=$VM_CACHE/img-$VM_KEY
    [ ! -f "$VM_IMAGE/manifest" ] || return 0
  done
  say "building the guest image $VM_IMAGE ($VM_KERNEL; log: $VM_CACHE/build.log)"
  t0=$(now_ms)
  # one build at a time; what a killed build left is removed by the next
  (
    flock -w 3600 9 || die "waited an hour for $VM_CACHE/lock"
    [ ! -f "$VM_IMAGE/manifest" ] || exit 0 # built while we waited
    vm_cache_rm "$VM_CACHE"/tmp-*
    tmp=$VM_CACHE/tmp-$VM_KEY
    trap 'vm_cache_rm "$tmp" "$tmp.debs"' EXIT
    trap 'exit 130' INT TERM
    mkdir -p "$tmp.debs" || exit 1
    (cd "$tmp.debs" && vm_apt apt-get download "$VM_KERNEL" "$VM_BUSYBOX") > "$VM_CACHE/build.log" 2>&1 ||
      { show_log "$VM_CACHE/build.log"; die "could not download $VM_KERNEL $VM_BUSYBOX"; }
    sh "$HERE/vm/build-image.sh" "$tmp" "$tmp.debs"/linux-image-*.deb "$tmp.debs"/busybox-static_*.deb \
      "$VM_MIRROR" "$VM_SECURITY_MIRROR" >> "$VM_CACHE/build.log" 2>&1 ||
      { show_log "$VM_CACHE/build.log"; die "build-image.sh failed (log: $VM_CACHE/build.log)"; }
    vm_cache_rm "$tmp.debs"
    mv "$tmp" "$VM_IMAGE" || exit 1
    for old in "$VM_CACHE"/img-*; do # prune: a running VM keeps its open files
      [ "$old" = "$VM_IMAGE" ] || { say "pruning the old image $old"; vm_cache_rm "$old"; }
    done
  ) 9> "$VM_CACHE/lock" || die "the guest image did not build (log: $VM_CACHE/build.log)"
  [ -f "$VM_IMAGE/manifest" ] || die "no image in $VM_IMAGE after the build"
  say "guest image built in $(($(now_ms) - t0)) ms: $(tail -n 1 "$VM_IMAGE/manifest")"
}

vm_ours() { # vm_ours PID VMDIR: PID is alive and is the qemu of VMDIR
  alive "$1" && grep -qF -- "$2/" "/proc/$1/cmdline" 2>/dev/null
}

vm_write_env() { # vm_write_env DIR [ERROR]: DIR/vm/env, and into DIR/env when DIR is an `up` directory
  local D V
  D=$1; V=$1/vm
  if [ -n "${2:-}" ]; then
    printf 'export KVMPOOL_VM_ERROR=%s\n' "$(shq "$(printf '%s' "$2" | tr -s '\n' ' ')")" > "$V/env.tmp"
  else
    vm_guest_conf
    cat > "$V/env.tmp" << ENV
export KVMPOOL_VM_DIR='$V'
export KVMPOOL_VM_URI='qemu+tcp://127.0.0.1:$VM_PORT/system'
export KVMPOOL_VM_PORT='$VM_PORT'
export KVMPOOL_VM_PID='$(pid_of "$V/qemu.pid")'
export KVMPOOL_VM_EXEC='sh $SELF vm-exec $D'
export KVMPOOL_VM_NFS_HOST='$GUEST_NFS_HOST'
export KVMPOOL_VM_NFS_EXPORT='$GUEST_NFS_EXPORT'
export KVMPOOL_VM_ISCSI_HOST='$GUEST_ISCSI_HOST'
export KVMPOOL_VM_ISCSI_PORT='$GUEST_ISCSI_PORT'
export KVMPOOL_VM_ISCSI_IQN='$GUEST_ISCSI_IQN'
export KVMPOOL_VM_ISCSI_CHAP_IQN='$GUEST_ISCSI_CHAP_IQN'
export KVMPOOL_VM_ISCSI_INITIATOR='$GUEST_ISCSI_INITIATOR'
export KVMPOOL_VM_CHAP_USER='$GUEST_CHAP_USER'
export KVMPOOL_VM_CHAP_PASSWORD='$GUEST_CHAP_PASSWORD'
export KVMPOOL_VM_LVM_DISK='$VM_LVM_DISK'
export KVMPOOL_VM_LVM_VG='$VM_LVM_VG'
export KVMPOOL_VM_DISK_POOL_DISK='$VM_DISK_DISK'
ENV
  fi
  mv "$V/env.tmp" "$V/env"
  vm_env_unpublish "$D"
  if [ -f "$D/.kvmpool-env" ] && [ -f "$D/env" ]; then cat "$V/env" >> "$D/env"; fi
}

vm_env_unpublish() { # vm_env_unpublish DIR: the KVMPOOL_VM_ lines out of DIR/env
  [ -f "$1/env" ] && grep -q '^export KVMPOOL_VM_' "$1/env" || return 0
  grep -v '^export KVMPOOL_VM_' "$1/env" > "$1/env.tmp" || true
  mv "$1/env.tmp" "$1/env"
}

VM_UP_DIR=
vm_up_failed() { # vm_up_failed MESSAGE [LOG]: say why loudly, stop what was started, record why
  [ -z "${2:-}" ] || show_log "$2"
  warn "vm-up FAILED: $1"
  trap - EXIT INT TERM
  vm_down "$VM_UP_DIR" >&2 || true
  vm_write_env "$VM_UP_DIR" "$1"
  warn "recorded KVMPOOL_VM_ERROR in $VM_UP_DIR/vm/env"
  exit 1
}

vm_up() {
  local D V pid t0 t1 t2 t3 n up
  D=$(abspath "$1"); V=$D/vm
  [ "$D" != / ] || die "refusing to use / as the environment directory"
  case "$D$SELF" in *[[:space:]]*) die "vm-up: neither DIR nor this script's path may contain spaces (KVMPOOL_VM_EXEC is split on them)" ;; esac
  pid=$(pid_of "$V/qemu.pid")
  if vm_ours "$pid" "$V"; then die "a VM (qemu pid $pid) already runs for $D (. $V/env)"; fi
  mkdir -p "$V"
  echo "kvmpool test VM; stop with: $SELF vm-down $D" > "$V/.kvmpool-vm"
  rm -f "$V/env"; vm_env_unpublish "$D"
  VM_UP_DIR=$D
  trap 'vm_up_failed "interrupted"' INT TERM
  trap 'vm_up_failed "${VM_STAGE:-vm-up}: ${DIED:-unexpected error (see above)}"' EXIT
  need_root vm-up
  VM_STAGE="port $VM_PORT"
  ! port_busy "$VM_PORT" ||
    vm_up_failed "port 127.0.0.1:$VM_PORT is taken by $(port_owner "$VM_PORT"); set KVMPOOL_VM_PORT to another"

  t0=$(now_ms)
  VM_STAGE="host packages"
  vm_install_host
  VM_STAGE="guest image"
  vm_image
  t1=$(now_ms)

  VM_STAGE="qemu"
  rm -rf "$V/share"
  rm -f "$V/qemu.pid" "$V/qemu.log" "$V/serial.log" "$V/lvm.img" "$V/disk.img"
  mkdir -p "$V/share/cmd"
  truncate -s "$VM_LVM_SIZE" "$V/lvm.img"
  truncate -s "$VM_DISK_SIZE" "$V/disk.img"
  # TMPDIR: where qemu puts (and at once unlinks) the overlay of the snapshot=on root
  if ! TMPDIR=$V qemu-system-x86_64 -name kvmpool-vm -accel tcg -cpu max -smp "$VM_CPUS" -m "$VM_MEMORY" \
    -nodefaults -display none -no-reboot \
    -kernel "$VM_IMAGE/vmlinux" -initrd "$VM_IMAGE/initrd.img" \
    -append "console=ttyS0 panic=-1 loglevel=4 net.ifnames=0" \
    -serial "file:$V/serial.log" \
    -drive "file=$VM_IMAGE/rootfs.img,if=none,id=root,format=raw,snapshot=on" \
    -device virtio-blk-pci,drive=root,serial=kvmpool-root \
    -drive "file=$V/lvm.img,if=none,id=lvm,format=raw,cache=unsafe" \
    -device "virtio-blk-pci,drive=lvm,serial=$VM_LVM_SERIAL" \
    -drive "file=$V/disk.img,if=none,id=disk,format=raw,cache=unsafe" \
    -device "virtio-blk-pci,drive=disk,serial=$VM_DISK_SERIAL" \
    -virtfs "local,path=$V/share,mount_tag=share,security_model=none,id=share" \
    -netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$VM_PORT-:$VM_GUEST_LIBVIRTD_PORT" \
    -device virtio-net-pci,netdev=n0 \
    -pidfile "$V/qemu.pid" -daemonize < /dev/null > "$V/qemu.log" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-; then
    vm_up_failed "qemu-system-x86_64 did not start: $(tail -n 3 "$V/qemu.log" | tr -s '\n' ' ')" "$V/qemu.log"
  fi
  pid=$(pid_of "$V/qemu.pid")
  say "qemu pid $pid (TCG, $VM_CPUS vCPU, $VM_MEMORY MiB), 127.0.0.1:$VM_PORT -> guest libvirtd; image $(basename "$VM_IMAGE")"

  VM_STAGE="guest boot"
  n=$(($(date +%s) + VM_BOOT_TIMEOUT))
  until [ -f "$V/share/ready" ]; do
    alive "$pid" || vm_up_failed "qemu exited before the guest was ready" "$V/serial.log"
    [ "$(date +%s)" -lt "$n" ] ||
      vm_up_failed "the guest was not ready $VM_BOOT_TIMEOUT s after qemu started (KVMPOOL_VM_BOOT_TIMEOUT)" "$V/serial.log"
    sleep 0.1
  done
  up=$(cat "$V/share/ready")
  [ ! -s "$V/share/failed" ] ||
    vm_up_failed "in the guest: $(cat "$V/share/failed")" "$V/serial.log"
  t2=$(now_ms)

  VM_STAGE="smoke check"
  vm_smoke "$D" || vm_up_failed "smoke check: $VM_SMOKE_FAILED" "$V/serial.log"
  t3=$(now_ms)
  vm_write_env "$D"
  trap - EXIT INT TERM
  say "vm-up in $((t3 - t0)) ms (image $((t1 - t0)) ms, boot to ready $((t2 - t1)) ms with guest uptime $up s, smoke $((t3 - t2)) ms)"
  say "URI qemu+tcp://127.0.0.1:$VM_PORT/system; for the tests: . $V/env"
}

# what the smoke check runs in the guest (sh; the guest's /etc/kvmpool/guest.conf gives the
# names; the host sets lvm_disk, lvm_serial, disk_disk and disk_serial before it)
VM_SMOKE='
fail() { echo "$*"; exit 1; }
. /etc/kvmpool/guest.conf
[ -c /dev/mapper/control ] || fail "no /dev/mapper/control"
d=$(iscsiadm -m discovery -t st -p "$ISCSI_HOST:$ISCSI_PORT" -o nonpersistent 2>&1) ||
  fail "iscsiadm discovery on $ISCSI_HOST:$ISCSI_PORT: $d"
for iqn in "$ISCSI_IQN" "$ISCSI_CHAP_IQN"; do
  echo "$d" | grep -q " $iqn\$" || fail "discovery on $ISCSI_HOST:$ISCSI_PORT lacks $iqn: $d"
done
e=$(showmount -e "$NFS_HOST" 2>&1) || fail "showmount -e $NFS_HOST: $e"
echo "$e" | grep -q "^$NFS_EXPORT " || fail "showmount -e $NFS_HOST lacks $NFS_EXPORT: $e"
[ "$(cat "/sys/block/${lvm_disk#/dev/}/serial")" = "$lvm_serial" ] || fail "$lvm_disk is not the LVM disk"
[ "$(cat "/sys/block/${disk_disk#/dev/}/serial")" = "$disk_serial" ] || fail "$disk_disk is not the disk-pool disk"
echo "/dev/mapper/control, targets" $(echo "$d" | cut -d" " -f2) "export $NFS_EXPORT"
'

vm_smoke() { # vm_smoke DIR: the remote URI answers; the guest has device-mapper, both
  # targets, the export. When not, false with the reason in VM_SMOKE_FAILED.
  local uri out
  uri=qemu+tcp://127.0.0.1:$VM_PORT/system
  if ! out=$(timeout 30 virsh -q -c "$uri" pool-list --all < /dev/null 2>&1); then
    VM_SMOKE_FAILED="virsh -c $uri pool-list: $out"; return 1
  fi
  if ! out=$(vm_exec "$1" "lvm_disk=$VM_LVM_DISK lvm_serial=$VM_LVM_SERIAL disk_disk=$VM_DISK_DISK disk_serial=$VM_DISK_SERIAL
$VM_SMOKE" 2>&1); then
    VM_SMOKE_FAILED="in the guest: $out"; return 1
  fi
  say "smoke: virsh pool-list over $uri answers; guest: $out"
}

vm_exec() { # vm_exec DIR COMMAND...: run COMMAND (one shell command line) in the guest;
  # its stdout and stderr come back as ours, its exit code is ours (125: vm-exec failed)
  local V pid id n rc
  [ -d "$1/vm" ] || { warn "vm-exec: no VM under $1"; return 125; }
  V=$(cd "$1/vm" && pwd); shift
  pid=$(pid_of "$V/qemu.pid")
  vm_ours "$pid" "$V" && [ -f "$V/share/ready" ] || { warn "vm-exec: no VM is up under ${V%/vm}"; return 125; }
  id=h$$-$(date +%s%N)
  printf '%s\n' "$*" > "$V/share/cmd/$id.tmp"
  mv "$V/share/cmd/$id.tmp" "$V/share/cmd/$id.sh"
  n=$(($(date +%s) + VM_EXEC_TIMEOUT))
  until [ -f "$V/share/cmd/$id.rc" ]; do
    if ! alive "$pid"; then warn "vm-exec: the VM (qemu pid $pid) is gone"; return 125; fi
    if [ "$(date +%s)" -ge "$n" ]; then
      rm -f "$V/share/cmd/$id.sh"
      warn "vm-exec: no answer after $VM_EXEC_TIMEOUT s (KVMPOOL_VM_EXEC_TIMEOUT): $*"
      return 125
    fi
    sleep 0.05
  done
  cat "$V/share/cmd/$id.out"
  cat "$V/share/cmd/$id.err" >&2
  rc=$(cat "$V/share/cmd/$id.rc")
  rm -f "$V/share/cmd/$id.run" "$V/share/cmd/$id.out" "$V/share/cmd/$id.err" "$V/share/cmd/$id.rc"
  return "$rc"
}

vm_down() { # vm_down DIR: power the guest off (command channel, SIGTERM, SIGKILL), remove
  # its scratch disks and show that nothing of it runs; false if something does
  local D V pid t0 p left
  [ -d "$1/vm" ] || { say "vm-down: no VM under $1, nothing to do"; return 0; }
  D=$(cd "$1" && pwd); V=$D/vm
  t0=$(now_ms)
  pid=$(pid_of "$V/qemu.pid")
  # a guest that never got ready does not read the command channel yet
  if vm_ours "$pid" "$V" && [ -f "$V/share/ready" ]; then
    touch "$V/share/poweroff"
    wait_gone "$pid" 20 || warn "the guest did not power off within 20 s: stopping qemu (pid $pid)"
  fi
  ! vm_ours "$pid" "$V" || stop_pid "$pid" 10
  for p in $(pids_under "$V"); do stop_pid "$p" 10; done
  left=""
  vm_ours "$pid" "$V" && left=" $pid"
  for p in $(pids_under "$V"); do left="$left $p($(cat "/proc/$p/comm" 2>/dev/null))"; done
  if [ -n "$left" ]; then warn "vm-down $D: still running:$left"; return 1; fi
  rm -rf "$V/share"
  rm -f "$V/qemu.pid" "$V/lvm.img" "$V/disk.img" "$V/env"
  vm_env_unpublish "$D"
  say "vm-down in $(($(now_ms) - t0)) ms: ${pid:+qemu (pid $pid) is gone, }no process mentions $V/; scratch disks removed"
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
    t3=$(now_ms)
    vm_install_host
    say "install done in $(($(now_ms) - t0)) ms (apt $((t1 - t0)) ms, python $((t2 - t1)) ms, rust tools $((t3 - t2)) ms, VM host packages $(($(now_ms) - t3)) ms)"
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
  fleet-up)
    [ $# -ge 2 ] && [ $# -le 3 ] && [ -n "$2" ] || die "usage: $0 fleet-up DIR [N]"
    fleet_up "$2" "${3:-}"
    ;;
  fleet-down)
    [ $# -eq 2 ] && [ -n "$2" ] || die "usage: $0 fleet-down DIR"
    fleet_down "$2" || exit 1
    ;;
  vm-up | vm-down)
    [ $# -eq 2 ] && [ -n "$2" ] || die "usage: $0 $cmd DIR"
    case "$cmd" in
      vm-up) vm_up "$2" ;;
      vm-down) vm_down "$2" || exit 1 ;;
    esac
    ;;
  vm-exec)
    [ $# -ge 3 ] && [ -n "$2" ] || die "usage: $0 vm-exec DIR COMMAND..."
    d=$2; shift 2
    vm_exec "$d" "$@"
    ;;
  vm-build)
    need_root vm-build
    vm_install_host
    vm_image
    say "guest image: $VM_IMAGE"; cat "$VM_IMAGE/manifest"
    ;;
  *)
    die "usage: $0 install | install-min | up DIR | down DIR | daemon-start DIR | daemon-stop DIR | fleet-up DIR [N] | fleet-down DIR | vm-up DIR | vm-exec DIR COMMAND... | vm-down DIR | vm-build"
    ;;
esac
