import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { formatBytes, formatPct, formatSeconds } from '../../shared/format.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const TiB = 1024 * GiB;

describe('formatBytes', () => {
  const cases: [number, string][] = [
    [0, '0 B'],
    [1, '1 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [10 * KiB - 1, '10 KiB'], // 9.999 KiB rounds to 10: shown without the decimal
    [10 * KiB, '10 KiB'],
    [MiB - 1, '1.0 MiB'], // would round to "1024 KiB"
    [MiB, '1.0 MiB'],
    [1.5 * MiB, '1.5 MiB'],
    [512 * MiB, '512 MiB'],
    [GiB - 1, '1.0 GiB'],
    [10 * GiB, '10 GiB'],
    [15.25 * GiB, '15 GiB'],
    [TiB, '1.0 TiB'],
    [2048 * TiB, '2048 TiB'], // no unit above TiB
    [-5, '0 B'],
  ];
  for (const [bytes, want] of cases) {
    test(`${bytes} → ${want}`, () => {
      assert.equal(formatBytes(bytes), want);
    });
  }
});

describe('formatPct', () => {
  const cases: [number, string][] = [
    [0, '0.0%'],
    [4, '4.0%'],
    [9.94, '9.9%'],
    [9.96, '10%'], // rounds to 10: no "10.0%"
    [10, '10%'],
    [42.4, '42%'],
    [100, '100%'],
  ];
  for (const [pct, want] of cases) {
    test(`${pct} → ${want}`, () => {
      assert.equal(formatPct(pct), want);
    });
  }
});

describe('formatSeconds', () => {
  const cases: [number, string][] = [
    [0, '0.0 s'],
    [250, '0.3 s'],
    [1500, '1.5 s'],
    [2000, '2.0 s'],
    [61_000, '61.0 s'],
  ];
  for (const [ms, want] of cases) {
    test(`${ms} ms → ${want}`, () => {
      assert.equal(formatSeconds(ms), want);
    });
  }
});
