#!/bin/bash
# Builds the Headroom lab guest: Debian 12 (bookworm), systemd, cgroup v2, PSI.
#
#   recipe.sh OUTDIR
#
# Produces OUTDIR/vmlinuz, OUTDIR/initrd.img, OUTDIR/rootfs.raw (ext4, no partition
# table, root=/dev/vda) and OUTDIR/manifest.txt. Needs root, debootstrap, mkfs.ext4
# (e2fsprogs >= 1.43 for -d) and a Debian mirror. No loop devices, no mounts except
# the ones debootstrap makes itself inside its own target.
#
# Environment:
#   HEADROOM_LAB_MIRROR  Debian mirror (default http://deb.debian.org/debian)
#   HEADROOM_LAB_NODE    node binary copied into the guest as /usr/bin/node
#                        (default /usr/bin/node; must run on Debian 12)
#
# Every file that shapes the image lives in this directory (recipe.sh and files/):
# ensure.sh hashes them into the cache key, so any edit here yields a fresh image.
set -euo pipefail

out=${1:?usage: recipe.sh OUTDIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
files=$here/files
mirror=${HEADROOM_LAB_MIRROR:-http://deb.debian.org/debian}
node_bin=${HEADROOM_LAB_NODE:-/usr/bin/node}
start=$(date +%s)

log() { printf '[recipe %3ds] %s\n' "$(( $(date +%s) - start ))" "$*" >&2; }

[ "$(id -u)" = 0 ] || { echo "recipe.sh: must run as root" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "recipe.sh: debootstrap missing (apt-get install debootstrap)" >&2; exit 1; }
command -v mkfs.ext4 >/dev/null || { echo "recipe.sh: mkfs.ext4 missing (apt-get install e2fsprogs)" >&2; exit 1; }
[ -x "$node_bin" ] || { echo "recipe.sh: $node_bin is not executable" >&2; exit 1; }

mkdir -p "$out"
root=$out/rootfs.tmp
rm -rf --one-file-system "$root"

# debootstrap mounts proc/sys inside the target; never leave them behind.
cleanup_mounts() {
    local m
    for m in $(awk -v r="$root" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r); do
        umount -l "$m" 2>/dev/null || true
    done
}
trap cleanup_mounts EXIT

packages=(
    systemd systemd-sysv udev dbus dbus-user-session libpam-systemd
    linux-image-amd64 initramfs-tools kmod
    procps util-linux python3
    # The anchors the benchmark compares against, installed but not enabled: each run
    # starts the one it measures.
    earlyoom systemd-oomd
    # A real notification server for the storm scenario (dunst needs an X display).
    xvfb dunst
    # The engines admins watch kills with: node_exporter reads Headroom's textfile (scenario
    # storm), curl fetches its /metrics page. The journal is systemd's own.
    prometheus-node-exporter curl
)
log "debootstrap bookworm from $mirror"
debootstrap --variant=minbase --include="$(IFS=,; echo "${packages[*]}")" \
    bookworm "$root" "$mirror" >"$out/debootstrap.log" 2>&1 || {
    tail -n 40 "$out/debootstrap.log" >&2
    exit 1
}
cleanup_mounts

in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C "$@"; }

log "configure"
echo headroom-lab >"$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 headroom-lab\n' >"$root/etc/hosts"
printf '/dev/vda / ext4 rw,relatime 0 0\n' >"$root/etc/fstab"
# A fixed machine id: no first-boot logic (systemd-firstboot could prompt on the console).
printf '%s\n' 6865616472 | sha256sum | cut -c1-32 >"$root/etc/machine-id"
ln -sf /usr/share/zoneinfo/Etc/UTC "$root/etc/localtime"

# The unprivileged test user, lingering so that user@1000.service starts at boot.
in_root useradd --uid 1000 --user-group --create-home --shell /bin/bash lab
mkdir -p "$root/var/lib/systemd/linger"
touch "$root/var/lib/systemd/linger/lab"

# The project's node runs in the guest as the same binary as on the host.
install -m 0755 "$node_bin" "$root/usr/bin/node"

# systemd tuning, the runner unit and its script.
install -D -m 0644 "$files/system.conf" "$root/etc/systemd/system.conf.d/lab.conf"
install -D -m 0644 "$files/user.conf" "$root/etc/systemd/user.conf.d/lab.conf"
install -D -m 0644 "$files/journald.conf" "$root/etc/systemd/journald.conf.d/lab.conf"
install -D -m 0644 "$files/lab-run.service" "$root/etc/systemd/system/lab-run.service"
install -D -m 0755 "$files/lab-run" "$root/usr/local/sbin/lab-run"
install -D -m 0644 "$files/modprobe-blacklist.conf" "$root/etc/modprobe.d/lab-blacklist.conf"
ln -sf /etc/systemd/system/lab-run.service "$root/etc/systemd/system/multi-user.target.wants/lab-run.service"

# Units that only cost boot time in a throw-away guest. The *-update units have ConditionNeedsUpdate and would run on every boot of a
# -snapshot disk; hwdb and ld.so.cache are already built by the packages.
for unit in \
    apt-daily.timer apt-daily-upgrade.timer apt-daily.service apt-daily-upgrade.service \
    dpkg-db-backup.timer dpkg-db-backup.service e2scrub_all.timer e2scrub_reap.service \
    fstrim.timer fstrim.service systemd-tmpfiles-clean.timer \
    systemd-hwdb-update.service ldconfig.service systemd-journal-catalog-update.service \
    systemd-update-done.service systemd-firstboot.service \
    getty@tty1.service serial-getty@ttyS0.service getty.target \
    systemd-timesyncd.service systemd-networkd.service systemd-networkd-wait-online.service \
    systemd-pstore.service modprobe@drm.service; do
    ln -sf /dev/null "$root/etc/systemd/system/$unit"
done

# The anchors must never act unless a run starts them: installed, enabled by nobody.
# node_exporter too: only the storm scenario starts one, on Headroom's directory.
for unit in earlyoom.service systemd-oomd.service systemd-oomd.socket prometheus-node-exporter.service; do
    in_root systemctl disable "$unit" >/dev/null 2>&1 || true
done
rm -f "$root"/etc/systemd/system/*.wants/earlyoom.service "$root"/etc/systemd/system/*.wants/systemd-oomd.* "$root"/etc/systemd/system/*.wants/prometheus-node-exporter*

# A small initramfs: just what finds an ext4 root on virtio-blk.
log "initramfs"
sed -i 's/^MODULES=.*/MODULES=list/; s/^COMPRESS=.*/COMPRESS=gzip/' "$root/etc/initramfs-tools/initramfs.conf"
cp "$files/initramfs-modules" "$root/etc/initramfs-tools/modules"
in_root update-initramfs -u -k all >"$out/initramfs.log" 2>&1 || { cat "$out/initramfs.log" >&2; exit 1; }

kver=$(basename "$(ls -d "$root"/lib/modules/* | sort -V | tail -n 1)")
cp "$root/boot/vmlinuz-$kver" "$out/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$out/initrd.img"

# Slim down: drivers a virtio guest never loads, docs, apt caches.
log "trim"
moddir=$root/lib/modules/$kver/kernel
for d in drivers/gpu drivers/media drivers/net/wireless drivers/net/ethernet drivers/infiniband \
         drivers/staging drivers/bluetooth drivers/iio drivers/isdn drivers/usb \
         drivers/hwmon drivers/input/touchscreen drivers/mtd drivers/nfc drivers/platform/x86 \
         sound net/wireless net/bluetooth net/mac80211; do
    rm -rf "${moddir:?}/$d"
done
in_root depmod "$kver"
rm -rf "$root"/boot/* "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
       "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/*.log \
       "$root"/usr/share/locale/*
rm -f "$root/etc/resolv.conf"

log "mkfs.ext4"
used_mib=$(du -sm --one-file-system "$root" | cut -f1)
size_mib=$(( used_mib + 768 ))
rm -f "$out/rootfs.raw"
mkfs.ext4 -q -F -L headroom-lab -d "$root" "$out/rootfs.raw" "${size_mib}M"
rm -rf --one-file-system "$root"

{
    echo "kernel=$kver"
    echo "rootfs_used_mib=$used_mib"
    echo "rootfs_size_mib=$size_mib"
    echo "node_sha256=$(sha256sum "$node_bin" | cut -d' ' -f1)"
    echo "node_version=$("$node_bin" --version)"
    echo "build_seconds=$(( $(date +%s) - start ))"
    echo "built_at=$(date -u +%FT%TZ)"
} >"$out/manifest.txt"
log "done: $(tr '\n' ' ' <"$out/manifest.txt")"
