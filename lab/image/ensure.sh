#!/bin/bash
# Makes sure the lab image for the current recipe is in the cache, building it if needed.
#
#   ensure.sh             build if missing; print the image directory
#   ensure.sh --dir       print the image directory (cached or not), build nothing
#   ensure.sh --check     exit 0 if the image is cached, 1 if not
#
# Cache: ${HEADROOM_LAB_CACHE:-/var/cache/headroom-lab}/<key>/ with
# key = sha256 over (every file of recipe.sh and files/, by path and content) and the
# sha256 of the node binary copied into the guest. Builds go to a temp dir beside it and
# are renamed into place, under a lock, so a half-built image is never used.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${HEADROOM_LAB_CACHE:-/var/cache/headroom-lab}
node_bin=${HEADROOM_LAB_NODE:-/usr/bin/node}

key() {
    {
        echo "headroom-lab image v1"
        (cd "$here" && find recipe.sh files -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
        echo "node $(sha256sum <"$node_bin" | cut -d' ' -f1)"
    } | sha256sum | cut -c1-64
}

k=$(key)
dir=$cache/$k
complete() { [ -f "$dir/manifest.txt" ] && [ -f "$dir/rootfs.raw" ] && [ -f "$dir/vmlinuz" ] && [ -f "$dir/initrd.img" ]; }

case ${1:-} in
    --dir) echo "$dir"; exit 0 ;;
    --check) complete && exit 0 || exit 1 ;;
    '') ;;
    *) echo "usage: ensure.sh [--dir|--check]" >&2; exit 2 ;;
esac

if complete; then echo "$dir"; exit 0; fi

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if complete; then echo "$dir"; exit 0; fi

tmp=$cache/.build-$k-$$
rm -rf --one-file-system "$tmp"
trap 'rm -rf --one-file-system "$tmp"' EXIT
echo "headroom-lab: building image $k (a few minutes)" >&2
bash "$here/recipe.sh" "$tmp" >&2
rm -f "$tmp/debootstrap.log" "$tmp/initramfs.log"
rm -rf --one-file-system "$dir"
mv "$tmp" "$dir"
trap - EXIT

# Keep this image and the most recent other one; each is about 1 GiB.
others=()
while read -r old; do
    [ "$old" = "$dir" ] || others+=("$old")
done < <(ls -1dt "$cache"/*/ 2>/dev/null | sed 's:/$::' | grep -E '/[0-9a-f]{64}$' || true)
for old in "${others[@]:1}"; do rm -rf --one-file-system "$old"; done
# Stale temp dirs of builds that died.
find "$cache" -maxdepth 1 -name '.build-*' -mmin +60 -exec rm -rf --one-file-system {} + 2>/dev/null || true
echo "$dir"
