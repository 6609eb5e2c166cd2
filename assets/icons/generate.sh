#!/bin/sh
# Render every SVG here to PNG at the sizes the tray, the desktop entries and the packages
# use: png/<name>-<size>.png. Needs rsvg-convert (Debian: librsvg2-bin). The PNGs are
# committed; test/unit/tray-icons.test.ts renders them again and compares the pixels.
#   sh assets/icons/generate.sh [OUTPUT_DIR]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/png}
mkdir -p "$out"
for svg in "$here"/*.svg; do
  name=$(basename "$svg" .svg)
  for size in 16 22 24 32 48 64 128 256; do
    rsvg-convert --width "$size" --height "$size" --format png --output "$out/$name-$size.png" "$svg"
  done
done
