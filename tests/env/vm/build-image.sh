#!/bin/sh
# Builds the image of kvmpool's test guest into OUT, a directory that must not exist yet:
#
#   rootfs.img  ext4 root (Debian bookworm by mmdebstrap, the kernel's modules, the guest
#               files beside this script); qemu opens it with snapshot=on
#   vmlinux     the kernel, uncompressed: qemu boots it directly (PVH), which saves the
#               ~4 s that TCG takes to run the bzImage's xz decompressor
#   initrd.img  busybox + the modules of the virtio root disk
#   manifest    what went in
#
#   build-image.sh OUT KERNEL.deb BUSYBOX-STATIC.deb MIRROR SECURITY_MIRROR
#
# kvmpool-env.sh runs it as root into a temporary directory, which it renames into its
# cache when this succeeds. This script, `packages` and the guest files beside it are part
# of the cache key. POSIX sh.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
SUITE=bookworm
ROOT_SIZE=4G
# driver trees the guest never uses (about half of the modules' 400 MB)
PRUNE_MODULES="sound drivers/gpu drivers/media drivers/net/wireless drivers/net/ethernet
  drivers/infiniband drivers/staging drivers/iio drivers/bluetooth drivers/hid drivers/input
  drivers/usb drivers/isdn drivers/net/can net/wireless net/bluetooth net/mac80211"

say() { printf 'build-image: %s\n' "$*"; }
die() { printf 'build-image: %s\n' "$*" >&2; exit 1; }
now_ms() { date +%s%3N; }

[ $# -eq 5 ] || die "usage: $0 OUT KERNEL.deb BUSYBOX-STATIC.deb MIRROR SECURITY_MIRROR"
OUT=$1 KDEB=$2 BBDEB=$3 MIRROR=$4 SECURITY=$5
[ "$(id -u)" = 0 ] || die "needs root (mmdebstrap --mode=root, chroot)"
mkdir "$OUT" || die "$OUT must not exist"
OUT=$(cd "$OUT" && pwd)
R=$OUT/root
X=$OUT/unpacked

# 1. the Debian packages
t0=$(now_ms)
packages=$(sed -e 's/#.*//' "$HERE/packages" | tr -s ' \t' '\n' | grep . | paste -sd, -)
mmdebstrap --mode=root --variant=essential --include="$packages" \
  --aptopt='APT::Install-Recommends "false"' \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
  "$SUITE" "$R" \
  "deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" "deb $SECURITY $SUITE-security main"
t1=$(now_ms)

# 2. the kernel, unpacked (not installed: its postinst would want an initramfs tool)
mkdir -p "$X"
dpkg-deb -x "$KDEB" "$X/kernel"
dpkg-deb -x "$BBDEB" "$X/busybox"
KV=$(ls "$X/kernel/lib/modules")
[ -n "$KV" ] && [ -f "$X/kernel/boot/vmlinuz-$KV" ] || die "no kernel in $KDEB"
for d in $PRUNE_MODULES; do rm -rf "$X/kernel/lib/modules/$KV/kernel/$d"; done
mkdir -p "$R/lib/modules"
cp -a "$X/kernel/lib/modules/$KV" "$R/lib/modules/"
chroot "$R" depmod -a "$KV"
# the bzImage carries the kernel as one xz stream after its decompressor
off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$X/kernel/boot/vmlinuz-$KV" | head -n 1 | cut -d: -f1)
[ -n "$off" ] || die "no xz stream in vmlinuz-$KV"
tail -c +"$((off + 1))" "$X/kernel/boot/vmlinuz-$KV" | xz -dcq --single-stream > "$OUT/vmlinux"

# 3. the guest's own files (see init) and the pitfalls of a guest without systemd
install -m 755 "$HERE/init" "$R/sbin/kvmpool-init"
install -m 755 "$HERE/lio-setup.py" "$R/usr/local/sbin/lio-setup"
install -D -m 644 "$HERE/guest.conf" "$R/etc/kvmpool/guest.conf"
install -m 644 "$HERE/libvirtd.conf" "$R/etc/libvirt/libvirtd.conf"
install -m 644 "$HERE/multipath.conf" "$R/etc/multipath.conf"
# libvirtd's qemu driver refuses to start without its build-time user and group, which
# libvirt-daemon-system (not installed: it pulls in systemd) would create
chroot "$R" sh -c 'getent group kvm > /dev/null || groupadd -r kvm
  getent group libvirt-qemu > /dev/null || groupadd -r libvirt-qemu
  getent passwd libvirt-qemu > /dev/null ||
    useradd -r -g libvirt-qemu -G kvm -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu'
# netfs pool-start reads /etc/mtab, which systemd would have made
ln -sfn ../proc/self/mounts "$R/etc/mtab"
echo kvmguest > "$R/etc/hostname"
printf '127.0.0.1 localhost kvmguest\n::1 localhost\n' > "$R/etc/hosts"
# rtslib-fb 2.1.75 keeps its state there and fails when the directory is missing
mkdir -p "$R/etc/rtslib-fb-target" "$R/share"

# 4. initramfs: busybox, the modules for virtio_pci, virtio_blk, ext4 (in load order), /init
I=$X/initrd
mkdir -p "$I/bin" "$I/proc" "$I/sys" "$I/dev" "$I/newroot"
cp "$X/busybox/bin/busybox" "$I/bin/"
install -m 755 "$HERE/initramfs-init" "$I/init"
for m in virtio_pci virtio_blk ext4; do chroot "$R" modprobe -S "$KV" --show-depends "$m"; done |
  awk '$1 == "insmod" && !seen[$2]++ {print $2}' > "$I/modules"
while read -r m; do
  mkdir -p "$I$(dirname "$m")"
  cp "$R$m" "$I$m"
done < "$I/modules"
(cd "$I" && find . | "$X/busybox/bin/busybox" cpio -o -H newc 2> /dev/null) | gzip -1 > "$OUT/initrd.img"

# 5. the root file system image (sparse)
{
  echo "kernel $KV ($(dpkg-deb -f "$KDEB" Package)=$(dpkg-deb -f "$KDEB" Version))"
  echo "busybox-static $(dpkg-deb -f "$BBDEB" Version)"
  echo "packages: $(chroot "$R" dpkg-query -W -f '.\n' | wc -l) installed"
  chroot "$R" dpkg-query -W -f '  ${Package} ${Version}\n' \
    libvirt-daemon lvm2 multipath-tools open-iscsi nfs-kernel-server python3-rtslib-fb qemu-utils udev
  echo "initramfs modules: $(wc -l < "$I/modules")"
  echo "built $(date -u '+%F %T') UTC from $MIRROR and $SECURITY"
} > "$OUT/manifest.tmp"
t2=$(now_ms)
mke2fs -q -t ext4 -L kvmroot -E root_owner=0:0 -d "$R" "$OUT/rootfs.img" "$ROOT_SIZE"
echo "root: $(du -sm "$R" | cut -f1) MiB of files in a $ROOT_SIZE image" >> "$OUT/manifest.tmp"
rm -rf --one-file-system "$R" "$X"
mv "$OUT/manifest.tmp" "$OUT/manifest"
t3=$(now_ms)
say "mmdebstrap $((t1 - t0)) ms, kernel+guest files+initramfs $((t2 - t1)) ms, image $((t3 - t2)) ms"
