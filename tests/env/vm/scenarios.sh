#!/bin/sh
# The test VM's self-test: the pool scenarios of ../shared/testenv-vm.md and the tutorial,
# run from the host with virsh over KVMPOOL_VM_URI (looks inside the guest through
# KVMPOOL_VM_EXEC):
#
#   a. logical pool kvmvg on the LVM disk; the sparse snapshot LV (--allocation 0) and
#      what an 8 MiB upload into it does (printed as "fact" lines, not checked)
#   b. netfs pool, format nfs, on the guest's NFS export
#   c. iscsi pool on storage01 (with find-storage-pool-sources-as)
#   d. scsi pool on that session's scsi_host, mpath pool on its multipath maps
#   e. disk pool on the spare disk: build, vol-create-as, vol-delete
#   f. iscsi pool on storage02 with CHAP, the password in a libvirt secret defined over
#      the remote URI (a wrong password first: the login must fail)
#
#   sh tests/env/vm/scenarios.sh DIR     (DIR: where vm-up ran)
#   make vm-check DIR=...
#
# Leaves the guest as vm-up made it (no pools, secrets or sessions; blank scratch disks),
# also when a check fails. Exit status 0 only when every check passed. POSIX sh.
set -u

[ $# -eq 1 ] || { echo "usage: $0 DIR (where kvmpool-env.sh vm-up ran)" >&2; exit 2; }
[ -f "$1/vm/env" ] || { echo "$0: no $1/vm/env: run kvmpool-env.sh vm-up $1 first" >&2; exit 2; }
. "$1/vm/env"
[ -z "${KVMPOOL_VM_ERROR:-}" ] || { echo "$0: the VM did not come up: $KVMPOOL_VM_ERROR" >&2; exit 1; }

U=$KVMPOOL_VM_URI
TMP=$(mktemp -d /tmp/kvmpool-scenarios.XXXXXX)
SECRET_USAGE=kvmpool-scenarios-chap
pass=0
fail=0
LAST=

now_ms() { date +%s%3N; }
line() { printf '%-5s %6s  %s\n' "$1" "$2" "$3"; }
indent() { sed 's/^/              /'; }

v() { # v ARGS: virsh ARGS over the URI must succeed
  local t rc
  t=$(now_ms)
  LAST=$(virsh -c "$U" "$@" < /dev/null 2>&1); rc=$?
  if [ $rc -eq 0 ]; then
    pass=$((pass + 1)); line ok "$(($(now_ms) - t))ms" "virsh $*"
  else
    fail=$((fail + 1)); line FAIL "$(($(now_ms) - t))ms" "virsh $*"; echo "$LAST" | indent
  fi
  return $rc
}

v_fails() { # v_fails WHY ARGS: virsh ARGS must fail (WHY says why it should)
  local t rc why
  why=$1; shift
  t=$(now_ms)
  LAST=$(virsh -c "$U" "$@" < /dev/null 2>&1); rc=$?
  if [ $rc -ne 0 ]; then
    pass=$((pass + 1))
    line ok "$(($(now_ms) - t))ms" "virsh $* fails as it should ($why): $(echo "$LAST" | grep . | tail -n 1)"
  else
    fail=$((fail + 1)); line FAIL "$(($(now_ms) - t))ms" "virsh $* succeeded, but $why"; echo "$LAST" | indent
  fi
}

g() { # g COMMAND: a shell command in the guest; its output in LAST
  local rc
  # shellcheck disable=SC2086
  LAST=$($KVMPOOL_VM_EXEC "$*" 2>&1); rc=$?
  return $rc
}

has() { # has TEXT: the last output contains TEXT
  if echo "$LAST" | grep -qF -- "$1"; then
    pass=$((pass + 1)); line ok "" "  output has '$1'"
  else
    fail=$((fail + 1)); line FAIL "" "  output lacks '$1':"; echo "$LAST" | indent
  fi
}

lacks() { # lacks TEXT: the last output does not contain TEXT
  if echo "$LAST" | grep -qF -- "$1"; then
    fail=$((fail + 1)); line FAIL "" "  output still has '$1':"; echo "$LAST" | indent
  else
    pass=$((pass + 1)); line ok "" "  output lacks '$1'"
  fi
}

fact() { # fact TITLE: print the last output under TITLE (observed, not checked)
  line fact "" "$1"
  echo "$LAST" | indent
}

cleanup() { # every pool and secret this script makes, the sessions, blank scratch disks
  local p u
  for p in kvmvg kvmnfs storage01 kvmscsi kvmmpath kvmdisk storage02; do
    virsh -q -c "$U" pool-destroy "$p" < /dev/null > /dev/null 2>&1
    virsh -q -c "$U" pool-undefine "$p" < /dev/null > /dev/null 2>&1
  done
  u=$(virsh -q -c "$U" secret-list < /dev/null 2>/dev/null | awk -v s="$SECRET_USAGE" '$0 ~ s {print $1}')
  for p in $u; do virsh -q -c "$U" secret-undefine "$p" < /dev/null > /dev/null 2>&1; done
  g "iscsiadm -m node -u; iscsiadm -m node -o delete; multipath -F; vgremove -f $KVMPOOL_VM_LVM_VG
     wipefs -a $KVMPOOL_VM_LVM_DISK $KVMPOOL_VM_DISK_POOL_DISK; udevadm settle" || true
}

finish() {
  cleanup
  rm -rf "$TMP"
  echo "scenarios: $pass passed, $fail failed ($(($(now_ms) - T0)) ms)"
  [ $fail -eq 0 ]
}

T0=$(now_ms)
trap 'exit 130' INT TERM
trap 'st=$?; trap - EXIT; finish || st=1; exit $st' EXIT
cleanup

echo "== a. logical pool $KVMPOOL_VM_LVM_VG on $KVMPOOL_VM_LVM_DISK"
v pool-define-as "$KVMPOOL_VM_LVM_VG" logical --source-dev "$KVMPOOL_VM_LVM_DISK" \
  --source-name "$KVMPOOL_VM_LVM_VG" --target "/dev/$KVMPOOL_VM_LVM_VG"
v pool-build "$KVMPOOL_VM_LVM_VG"
v pool-start "$KVMPOOL_VM_LVM_VG"
v vol-create-as "$KVMPOOL_VM_LVM_VG" lv1 64M
v vol-info lv1 --pool "$KVMPOOL_VM_LVM_VG"; has "64.00 MiB"
v_fails "libvirt 9.0's logical backend cannot resize" vol-resize lv1 128M --pool "$KVMPOOL_VM_LVM_VG"
v vol-wipe lv1 --pool "$KVMPOOL_VM_LVM_VG"
v vol-list "$KVMPOOL_VM_LVM_VG"; has "/dev/$KVMPOOL_VM_LVM_VG/lv1"
v vol-delete lv1 --pool "$KVMPOOL_VM_LVM_VG"

echo "-- a2. sparse LV: vol-create-as --allocation 0, then an 8 MiB upload"
v vol-create-as "$KVMPOOL_VM_LVM_VG" snap 64M --allocation 0
g "lvs --noheadings -o lv_name,lv_attr,lv_size,origin,data_percent $KVMPOOL_VM_LVM_VG"; has "swi-a-s---"
fact "lvs (name attr size origin data%) after create:"
v vol-dumpxml snap --pool "$KVMPOOL_VM_LVM_VG"
LAST=$(echo "$LAST" | grep -E '<(capacity|allocation|physical|path)|<format'); fact "vol-dumpxml after create:"
v vol-info snap --pool "$KVMPOOL_VM_LVM_VG"; fact "vol-info after create:"
head -c 8M /dev/urandom > "$TMP/random-8m"
g "dmesg | wc -l"; dmesg_before=$LAST
t=$(now_ms)
LAST=$(virsh -c "$U" vol-upload snap "$TMP/random-8m" --pool "$KVMPOOL_VM_LVM_VG" < /dev/null 2>&1)
LAST="exit code $? after $(($(now_ms) - t)) ms${LAST:+; output: $LAST}"
fact "virsh vol-upload snap (8 MiB of random data):"
g "sync; lvs --noheadings -o lv_name,lv_attr,lv_size,origin,data_percent $KVMPOOL_VM_LVM_VG"
fact "lvs after the upload:"
g "dmesg | tail -n +$((dmesg_before + 1)) | sed -e 's/^\[ *[0-9.]*\] //' -e 's/block [0-9]*/block N/' \
   | sort | uniq -c | sort -rn"
fact "guest dmesg during the upload (kinds of lines, counted; N: a block number):"
LAST=$(virsh -c "$U" vol-list "$KVMPOOL_VM_LVM_VG" --details < /dev/null 2>&1)
fact "vol-list --details right after the upload (before pool-refresh):"
v pool-refresh "$KVMPOOL_VM_LVM_VG"
LAST=$(virsh -c "$U" vol-list "$KVMPOOL_VM_LVM_VG" --details < /dev/null 2>&1)
fact "vol-list --details after pool-refresh:"
LAST=$(virsh -c "$U" vol-info snap --pool "$KVMPOOL_VM_LVM_VG" < /dev/null 2>&1)
fact "vol-info after the upload:"
LAST=$(virsh -c "$U" vol-dumpxml snap --pool "$KVMPOOL_VM_LVM_VG" < /dev/null 2>&1 | grep -E '<(capacity|allocation|physical)|error')
fact "vol-dumpxml after the upload:"
LAST=$(virsh -c "$U" vol-delete snap --pool "$KVMPOOL_VM_LVM_VG" < /dev/null 2>&1)
LAST="exit code $?${LAST:+; output: $LAST}"
fact "vol-delete snap after the upload:"
# the invalid snapshot is still an LV: remove it where libvirt no longer sees it
g "lvremove -f $KVMPOOL_VM_LVM_VG/snap > /dev/null && lvs --noheadings -o lv_name $KVMPOOL_VM_LVM_VG"; lacks snap
v pool-destroy "$KVMPOOL_VM_LVM_VG"
v pool-delete "$KVMPOOL_VM_LVM_VG"
v pool-undefine "$KVMPOOL_VM_LVM_VG"

echo "== b. netfs pool (nfs) on $KVMPOOL_VM_NFS_HOST:$KVMPOOL_VM_NFS_EXPORT"
v find-storage-pool-sources-as netfs "$KVMPOOL_VM_NFS_HOST"; has "$KVMPOOL_VM_NFS_EXPORT"
v pool-define-as kvmnfs netfs --source-host "$KVMPOOL_VM_NFS_HOST" --source-path "$KVMPOOL_VM_NFS_EXPORT" \
  --source-format nfs --target /mnt/kvmnfs
v pool-build kvmnfs
v pool-start kvmnfs
g "grep ' /mnt/kvmnfs ' /proc/mounts"; has " nfs4 "
v vol-create-as kvmnfs vol1.img 64M --format raw
v vol-create-as kvmnfs vol2.qcow2 64M --format qcow2
v vol-list kvmnfs; has "vol2.qcow2"
v vol-resize vol1.img 128M --pool kvmnfs
v vol-info vol1.img --pool kvmnfs; has "128.00 MiB"
v vol-delete vol1.img --pool kvmnfs
v vol-delete vol2.qcow2 --pool kvmnfs
v pool-destroy kvmnfs
v pool-undefine kvmnfs

echo "== c. iscsi pool on $KVMPOOL_VM_ISCSI_IQN (kernel initiator -> LIO)"
v find-storage-pool-sources-as iscsi "$KVMPOOL_VM_ISCSI_HOST"
has "$KVMPOOL_VM_ISCSI_IQN"; has "$KVMPOOL_VM_ISCSI_CHAP_IQN"
v pool-define-as storage01 iscsi --source-host "$KVMPOOL_VM_ISCSI_HOST" --source-dev "$KVMPOOL_VM_ISCSI_IQN" \
  --target /dev/disk/by-path
v pool-start storage01
v vol-list storage01; has "iscsi-$KVMPOOL_VM_ISCSI_IQN-lun-0"; has "iscsi-$KVMPOOL_VM_ISCSI_IQN-lun-1"
v pool-info storage01; has "128.00 MiB"

echo "== d. scsi pool on the iSCSI session's scsi_host, mpath pool"
# hosts 0 and 1 belong to the PIIX IDE controller; the iSCSI host is the one whose
# proc_name is iscsi_tcp
g "grep -l '^iscsi_tcp\$' /sys/class/scsi_host/host*/proc_name | head -n 1 | cut -d/ -f5"
H=$LAST
line info "" "iSCSI scsi_host: $H"
v nodedev-list --cap scsi_host; has "scsi_$H"
v pool-define-as kvmscsi scsi --adapter-name "$H" --target /dev/disk/by-path
v pool-start kvmscsi
v vol-list kvmscsi; has "unit:0:0:0"; has "unit:0:0:1"
v pool-destroy kvmscsi
v pool-undefine kvmscsi
v pool-define-as kvmmpath mpath --target /dev/mapper
v pool-start kvmmpath
v vol-list kvmmpath; has "/dev/mapper/mpath"
v pool-info kvmmpath; has "128.00 MiB"
v pool-destroy kvmmpath
v pool-undefine kvmmpath
v pool-destroy storage01
g "iscsiadm -m session 2>&1"; lacks "$KVMPOOL_VM_ISCSI_IQN"
v pool-undefine storage01

echo "== e. disk pool on $KVMPOOL_VM_DISK_POOL_DISK"
d=${KVMPOOL_VM_DISK_POOL_DISK#/dev/}
v pool-define-as kvmdisk disk --source-dev "$KVMPOOL_VM_DISK_POOL_DISK" --source-format gpt --target /dev
v pool-build kvmdisk --overwrite
v pool-start kvmdisk
v vol-create-as kvmdisk "${d}1" 64M
v vol-list kvmdisk; has "/dev/${d}1"
v vol-info "${d}1" --pool kvmdisk; has "64.00 MiB"
v vol-create-as kvmdisk "${d}2" 32M
v vol-delete "${d}1" --pool kvmdisk
v vol-list kvmdisk; lacks "/dev/${d}1"; has "/dev/${d}2"
v vol-delete "${d}2" --pool kvmdisk
g "lsblk -rno NAME $KVMPOOL_VM_DISK_POOL_DISK"; lacks "${d}1"
v pool-destroy kvmdisk
v pool-undefine kvmdisk

echo "== f. iscsi pool on $KVMPOOL_VM_ISCSI_CHAP_IQN with CHAP, the password in a libvirt secret"
cat > "$TMP/secret.xml" << XML
<secret ephemeral='no' private='yes'>
  <description>CHAP password of $KVMPOOL_VM_ISCSI_CHAP_IQN</description>
  <usage type='iscsi'><target>$SECRET_USAGE</target></usage>
</secret>
XML
v secret-define "$TMP/secret.xml"
uuid=$(echo "$LAST" | awk '/^Secret / {print $2}')
v secret-set-value "$uuid" --base64 "$(printf '%s' "not-the-password" | base64)"
v pool-define-as storage02 iscsi --source-host "$KVMPOOL_VM_ISCSI_HOST" --source-dev "$KVMPOOL_VM_ISCSI_CHAP_IQN" \
  --target /dev/disk/by-path --auth-type chap --auth-username "$KVMPOOL_VM_CHAP_USER" --secret-usage "$SECRET_USAGE"
v pool-dumpxml storage02; has "<auth type='chap' username='$KVMPOOL_VM_CHAP_USER'>"
v_fails "the secret holds a wrong password" pool-start storage02
v secret-set-value "$uuid" --base64 "$(printf '%s' "$KVMPOOL_VM_CHAP_PASSWORD" | base64)"
v pool-start storage02
v vol-list storage02; has "iscsi-$KVMPOOL_VM_ISCSI_CHAP_IQN-lun-0"
v pool-info storage02; has "32.00 MiB"
v pool-destroy storage02
v pool-undefine storage02
v secret-undefine "$uuid"
