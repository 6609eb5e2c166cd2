import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { ParseError } from '../../agent/core/parse-error.js';
import { parsePressure, stallPct } from '../../agent/core/psi.js';

const fixture = (name: string): string =>
  readFileSync(fileURLToPath(new URL(`../../../test/fixtures/parsers/${name}`, import.meta.url)), 'utf8');

describe('parsePressure', () => {
  test('idle /proc/pressure/memory captured on this machine', () => {
    assert.deepEqual(parsePressure(fixture('pressure-memory-idle.txt'), '/proc/pressure/memory'), {
      some: { avg10: 0, avg60: 0, avg300: 0, totalUs: 0 },
      full: { avg10: 0, avg60: 0, avg300: 0, totalUs: 0 },
    });
  });

  test('idle cgroup memory.pressure captured on this machine', () => {
    const p = parsePressure(fixture('cgroup-memory-pressure-idle.txt'));
    assert.equal(p.some.totalUs, 0);
    assert.equal(p.full.avg300, 0);
  });

  test('busy /proc/pressure/memory: every figure lands in its own field', () => {
    assert.deepEqual(parsePressure(fixture('pressure-memory-busy.txt')), {
      some: { avg10: 23.41, avg60: 11.87, avg300: 3.02, totalUs: 187345921 },
      full: { avg10: 17.95, avg60: 8.66, avg300: 2.11, totalUs: 129876543 },
    });
  });

  test('busy cgroup memory.pressure', () => {
    assert.deepEqual(parsePressure(fixture('cgroup-memory-pressure-busy.txt')), {
      some: { avg10: 61.2, avg60: 34.05, avg300: 9.77, totalUs: 48213390 },
      full: { avg10: 55.13, avg60: 29.91, avg300: 8.4, totalUs: 41007662 },
    });
  });

  test('line order and a trailing blank line do not matter', () => {
    const text = 'full avg10=1.00 avg60=2.00 avg300=3.00 total=4\nsome avg10=5.00 avg60=6.00 avg300=7.00 total=8\n\n';
    const p = parsePressure(text);
    assert.equal(p.some.totalUs, 8);
    assert.equal(p.full.totalUs, 4);
  });

  test('a file without a "full" line is rejected, naming the source', () => {
    assert.throws(() => parsePressure(fixture('pressure-cpu-no-full.txt'), '/proc/pressure/cpu'), (err: unknown) => {
      assert.ok(err instanceof ParseError);
      assert.equal(err.source, '/proc/pressure/cpu');
      assert.match(err.message, /^\/proc\/pressure\/cpu: .*"full"/);
      return true;
    });
  });

  test('a file without a "some" line is rejected', () => {
    assert.throws(() => parsePressure('full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n', 'x/memory.pressure'), {
      name: 'ParseError',
      message: /^x\/memory\.pressure: .*"some"/,
    });
  });

  test('empty text is rejected', () => {
    assert.throws(() => parsePressure(''), ParseError);
  });

  test('a garbage line is rejected, naming the source and quoting the line', () => {
    const source = '/sys/fs/cgroup/user.slice/memory.pressure';
    assert.throws(() => parsePressure(fixture('pressure-garbage.txt'), source), (err: unknown) => {
      assert.ok(err instanceof ParseError);
      assert.equal(err.source, source);
      assert.ok(err.message.startsWith(`${source}: `), err.message);
      assert.ok(err.message.includes('avg60=oops'), err.message);
      return true;
    });
  });

  test('the default source name appears when none is given', () => {
    assert.throws(() => parsePressure('nonsense'), { message: /^memory\.pressure: / });
  });

  for (const bad of [
    'some avg10=0.00 avg60=0.00 avg300=0.00',
    'some avg10=0.00 avg60=0.00 avg300=0.00 total=-5',
    'every avg10=0.00 avg60=0.00 avg300=0.00 total=0',
    'some avg10=1e3 avg60=0.00 avg300=0.00 total=0',
  ]) {
    test(`rejects malformed line ${JSON.stringify(bad)}`, () => {
      assert.throws(() => parsePressure(`${bad}\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n`), ParseError);
    });
  }
});

describe('stallPct', () => {
  const cases: { name: string; prev: number; now: number; elapsedMs: number; want: number }[] = [
    { name: 'half of one second stalled', prev: 1_000_000, now: 1_500_000, elapsedMs: 1000, want: 50 },
    { name: 'a quarter over 250 ms', prev: 0, now: 62_500, elapsedMs: 250, want: 25 },
    { name: 'no stall', prev: 42, now: 42, elapsedMs: 1000, want: 0 },
    { name: 'counter reset (went backwards)', prev: 9_000_000, now: 100, elapsedMs: 1000, want: 0 },
    { name: 'zero elapsed', prev: 0, now: 1_000, elapsedMs: 0, want: 0 },
    { name: 'negative elapsed (clock stepped back)', prev: 0, now: 1_000, elapsedMs: -250, want: 0 },
    { name: 'more stall than wall time is capped at 100', prev: 0, now: 3_000_000, elapsedMs: 1000, want: 100 },
    { name: 'exactly all of the interval', prev: 10, now: 2_000_010, elapsedMs: 2000, want: 100 },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.equal(stallPct(c.prev, c.now, c.elapsedMs), c.want);
    });
  }

  test('works on the totals of two real-looking samples', () => {
    const a = parsePressure('some avg10=0.00 avg60=0.00 avg300=0.00 total=100000000\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=50000000\n');
    const b = parsePressure(fixture('pressure-memory-busy.txt'));
    // full: 129876543 - 50000000 µs over 100 s = 79.876543 %
    assert.ok(Math.abs(stallPct(a.full.totalUs, b.full.totalUs, 100_000) - 79.876543) < 1e-9);
  });
});
