import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { parseMeminfo } from '../../agent/core/meminfo.js';
import { ParseError } from '../../agent/core/parse-error.js';

const fixture = (name: string): string =>
  readFileSync(fileURLToPath(new URL(`../../../test/fixtures/parsers/${name}`, import.meta.url)), 'utf8');

describe('parseMeminfo', () => {
  test('desktop capture with swap: kB become bytes (×1024)', () => {
    assert.deepEqual(parseMeminfo(fixture('meminfo-desktop-swap.txt')), {
      memTotalBytes: 16203104 * 1024,
      memAvailableBytes: 1873452 * 1024,
      swapTotalBytes: 8388604 * 1024,
      swapFreeBytes: 1048572 * 1024,
    });
  });

  test('capture from this machine (no swap): SwapTotal and SwapFree are 0', () => {
    const m = parseMeminfo(fixture('meminfo-noswap.txt'));
    assert.equal(m.memTotalBytes, 24684084 * 1024);
    assert.equal(m.memAvailableBytes, 24278224 * 1024);
    assert.equal(m.swapTotalBytes, 0);
    assert.equal(m.swapFreeBytes, 0);
  });

  test('MemFree is not mistaken for MemAvailable', () => {
    const m = parseMeminfo(fixture('meminfo-desktop-swap.txt'));
    assert.notEqual(m.memAvailableBytes, 412808 * 1024);
  });

  test('missing MemAvailable (pre-3.14 kernel) is a ParseError naming the field and file', () => {
    assert.throws(() => parseMeminfo(fixture('meminfo-no-memavailable.txt')), (err: unknown) => {
      assert.ok(err instanceof ParseError);
      assert.equal(err.source, '/proc/meminfo');
      assert.match(err.message, /^\/proc\/meminfo: .*\bMemAvailable\b/);
      return true;
    });
  });

  for (const field of ['MemTotal', 'MemAvailable', 'SwapTotal', 'SwapFree']) {
    test(`missing ${field} is named in the error`, () => {
      const text = fixture('meminfo-desktop-swap.txt').split('\n').filter((l) => !l.startsWith(`${field}:`)).join('\n');
      assert.throws(() => parseMeminfo(text, '/host/proc/meminfo'), {
        name: 'ParseError',
        message: new RegExp(`^/host/proc/meminfo: .*\\b${field}\\b`),
      });
    });
  }

  test('empty text is rejected', () => {
    assert.throws(() => parseMeminfo(''), ParseError);
  });

  test('a malformed value for a needed field does not count as present', () => {
    const text = fixture('meminfo-desktop-swap.txt').replace(/^MemAvailable:.*$/m, 'MemAvailable:   lots kB');
    assert.throws(() => parseMeminfo(text), { name: 'ParseError', message: /MemAvailable/ });
  });
});
