import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseProcSwaps, parseZramMmStat, swapAbsorbBytes, zramTotals, type SwapDevice } from '../../agent/core/swap.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

describe('parseProcSwaps', () => {
  test('zram and disk swap, sizes in KiB, an escaped space in a file name', () => {
    const text = [
      'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority',
      '/dev/zram0                              partition\t2097148\t\t524288\t\t100',
      '/var/swap\\040file                       file\t\t1048572\t\t0\t\t-2',
      '',
    ].join('\n');
    assert.deepEqual(parseProcSwaps(text), [
      { path: '/dev/zram0', kind: 'zram', sizeBytes: 2097148 * 1024, usedBytes: 512 * MiB },
      { path: '/var/swap file', kind: 'disk', sizeBytes: 1048572 * 1024, usedBytes: 0 },
    ]);
  });
  test('no swap is the header alone', () => {
    assert.deepEqual(parseProcSwaps('Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n'), []);
  });
  test('garbage is an error naming the file', () => {
    assert.throws(() => parseProcSwaps('nonsense\n'), { name: 'ParseError', message: /^\/proc\/swaps: no header line/ });
    assert.throws(() => parseProcSwaps('Filename Type Size Used Priority\n/dev/zram0 partition lots 0 100\n'), { name: 'ParseError' });
  });
});

describe('parseZramMmStat', () => {
  test('orig, mem_used_total and mem_limit from the kernel\'s nine fields', () => {
    // Linux 6.1: orig_data_size compr_data_size mem_used_total mem_limit mem_used_max same_pages pages_compacted huge_pages huge_pages_since
    assert.deepEqual(parseZramMmStat('314572800 94371840 104857600        0 104857600     1024        0        7        7\n'),
      { origBytes: 300 * MiB, sameBytes: 4 * MiB, memUsedBytes: 100 * MiB, memLimitBytes: 0 });
  });
  test('same_pages counts in pages of the kernel\'s size; kernels without it have none', () => {
    assert.equal(parseZramMmStat('314572800 94371840 104857600 0 104857600 1024 0 7 7', 'mm_stat', 16384).sameBytes, 16 * MiB);
    assert.equal(parseZramMmStat('314572800 94371840 104857600 0').sameBytes, 0, 'four fields: an old kernel');
  });
  test('a short or non-numeric line is an error', () => {
    assert.throws(() => parseZramMmStat('1 2 3'), { name: 'ParseError' });
    assert.throws(() => parseZramMmStat('a b c d e'), { name: 'ParseError' });
  });
});

describe('swapAbsorbBytes', () => {
  const zram = (usedBytes: number, memLimitBytes = 0, memUsedBytes = 0): SwapDevice =>
    ({ path: '/dev/zram0', kind: 'zram', sizeBytes: 2 * GiB, usedBytes, zram: { origBytes: usedBytes, sameBytes: 0, memUsedBytes, memLimitBytes } });
  test('zram: free space × (1 − 1/ratio); nothing without a ratio or at 1:1', () => {
    assert.equal(swapAbsorbBytes([zram(512 * MiB)], 4), 1.5 * GiB * 0.75);
    assert.equal(swapAbsorbBytes([zram(512 * MiB)], null), 0);
    assert.equal(swapAbsorbBytes([zram(512 * MiB)], 1), 0);
    assert.equal(swapAbsorbBytes([zram(512 * MiB)], 1.4), 0, 'below 1.5:1 zram wins nothing worth counting');
  });
  test('zram\'s RAM limit bounds what it can still take', () => {
    // 64 MiB of RAM left under the limit at 3:1 holds 192 MiB more, which wins 128 MiB.
    assert.equal(swapAbsorbBytes([zram(512 * MiB, 200 * MiB, 136 * MiB)], 3), 128 * MiB);
  });
  test('disk swap: its free space; devices add up', () => {
    const disk: SwapDevice = { path: '/swapfile', kind: 'disk', sizeBytes: 4 * GiB, usedBytes: 1 * GiB, zram: null };
    assert.equal(swapAbsorbBytes([disk], null), 3 * GiB);
    assert.equal(swapAbsorbBytes([disk, zram(1 * GiB)], 2), 3 * GiB + 0.5 * GiB);
  });
  test('zramTotals sums the zram devices only', () => {
    const disk: SwapDevice = { path: '/swapfile', kind: 'disk', sizeBytes: GiB, usedBytes: 0, zram: null };
    assert.deepEqual(zramTotals([zram(3 * MiB, 0, 1 * MiB), zram(5 * MiB, 0, 2 * MiB), disk]), { dataBytes: 8 * MiB, memUsedBytes: 3 * MiB });
  });
  test('zramTotals leaves same-filled pages out of the data: they cost zram nothing', () => {
    const withSame: SwapDevice = { ...zram(20 * MiB, 0, 2 * MiB), zram: { origBytes: 20 * MiB, sameBytes: 14 * MiB, memUsedBytes: 2 * MiB, memLimitBytes: 0 } };
    assert.deepEqual(zramTotals([withSame]), { dataBytes: 6 * MiB, memUsedBytes: 2 * MiB });
  });
});
