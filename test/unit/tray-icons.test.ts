// The icons: every PNG there at its size, rendered from its SVG by generate.sh, and the four
// tray states told apart by shape (the alpha mask), not only by colour.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { TRAY_ICONS } from '../../tray-app/main/tray-state.js';
import { REPO } from '../support/agent-process.js';
import { readPng, type PngImage } from '../support/png.js';

const ICONS = join(REPO, 'assets', 'icons');
const SIZES = [16, 22, 24, 32, 48, 64, 128, 256];
const NAMES = [...TRAY_ICONS.map((s) => `tray-${s}`), 'headroom'];
const png = (name: string, size: number, dir = join(ICONS, 'png')): PngImage => readPng(readFileSync(join(dir, `${name}-${size}.png`)));

const rsvgMissing = spawnSync('rsvg-convert', ['--version'], { stdio: 'ignore' }).status === 0 ? '' : 'rsvg-convert not installed (apt-get install librsvg2-bin)';

/** Share of pixels where one image is opaque and the other is not. */
function maskDifference(a: PngImage, b: PngImage): number {
  let differ = 0;
  for (let i = 3; i < a.rgba.length; i += 4) if ((a.rgba[i]! > 127) !== (b.rgba[i]! > 127)) differ++;
  return differ / (a.width * a.height);
}

/** Mean colour of the opaque pixels. */
function meanColour(img: PngImage): [number, number, number] {
  const sum = [0, 0, 0];
  let n = 0;
  for (let i = 0; i < img.rgba.length; i += 4) {
    if (img.rgba[i + 3]! < 128) continue;
    for (let c = 0; c < 3; c++) sum[c]! += img.rgba[i + c]!;
    n++;
  }
  return [sum[0]! / n, sum[1]! / n, sum[2]! / n];
}

describe('icons', () => {
  for (const name of NAMES) {
    test(`${name}: an SVG source and a ${SIZES.join('/')} px PNG each, 8-bit RGBA at the right size`, () => {
      assert.ok(existsSync(join(ICONS, `${name}.svg`)), `${name}.svg is missing`);
      for (const size of SIZES) {
        const img = png(name, size);
        assert.deepEqual([img.width, img.height, img.bitDepth, img.colorType], [size, size, 8, 6], `${name}-${size}.png`);
      }
    });
  }

  test('tray icons have a transparent background (no box on the panel)', () => {
    for (const state of TRAY_ICONS) {
      const img = png(`tray-${state}`, 22);
      assert.equal(img.rgba[3], 0, `tray-${state}: top-left corner is not transparent`);
      assert.equal(img.rgba[img.rgba.length - 1], 0, `tray-${state}: bottom-right corner is not transparent`);
    }
  });

  test('the four tray states differ by shape at panel size, not only by colour', () => {
    for (const size of [16, 22]) {
      for (const [i, a] of TRAY_ICONS.entries()) {
        for (const b of TRAY_ICONS.slice(i + 1)) {
          const d = maskDifference(png(`tray-${a}`, size), png(`tray-${b}`, size));
          assert.ok(d >= 0.08, `${a} and ${b} at ${size} px: only ${(d * 100).toFixed(1)}% of the outline differs`);
        }
      }
    }
  });

  test('and by colour too', () => {
    for (const [i, a] of TRAY_ICONS.entries()) {
      for (const b of TRAY_ICONS.slice(i + 1)) {
        const [ca, cb] = [meanColour(png(`tray-${a}`, 22)), meanColour(png(`tray-${b}`, 22))];
        const distance = Math.hypot(ca[0] - cb[0], ca[1] - cb[1], ca[2] - cb[2]);
        assert.ok(distance >= 40, `${a} and ${b}: mean colours only ${distance.toFixed(0)} apart`);
      }
    }
  });

  test('generate.sh renders the committed PNGs from the SVGs, pixel for pixel', { skip: rsvgMissing || false }, () => {
    const out = mkdtempSync(join(tmpdir(), 'headroom-icons-'));
    try {
      const r = spawnSync('sh', [join(ICONS, 'generate.sh'), out], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      for (const name of NAMES) {
        for (const size of SIZES) {
          const [committed, fresh] = [png(name, size), png(name, size, out)];
          assert.ok(Buffer.from(committed.rgba).equals(Buffer.from(fresh.rgba)), `${name}-${size}.png differs from what generate.sh renders from ${name}.svg: run it and commit`);
        }
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
