// openProcFile on the real /proc and on a regular file: the kept-open descriptor must give the
// kernel's text anew at every read, and a stand-in replaced by rename must be read anew too.
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { openProcFile } from '../../agent/io/proc-file.js';
import { parseMeminfo } from '../../agent/core/meminfo.js';

describe('openProcFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'headroom-procfile-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('/proc/meminfo: whole at every read, the same descriptor over and over', () => {
    const r = openProcFile('/proc/meminfo');
    try {
      const first = parseMeminfo(r.read());
      assert.ok(first.memTotalBytes > 0 && first.memAvailableBytes > 0);
      for (let i = 0; i < 50; i++) {
        const text = r.read();
        assert.ok(text.startsWith('MemTotal:') && text.endsWith('\n'), 'a whole text, not a tail');
        assert.equal(parseMeminfo(text).memTotalBytes, first.memTotalBytes);
      }
      r.close();
      assert.ok(r.read().startsWith('MemTotal:'), 'after close a read opens it again');
    } finally {
      r.close();
    }
  });

  // That a read gives the kernel's figures now, not the first read's: shown on this process's own
  // resident size, which the kernel counts exactly per page touched. MemAvailable is no witness:
  // on a host with per-CPU page lists tuned high (Linux 6.7 on), a 64 MiB allocation can be served
  // from pages the free count already left out, and CI once saw MemAvailable not move at all.
  test('procfs read again on the kept descriptor follows the kernel (64 MiB touched shows in VmRSS)', () => {
    const r = openProcFile('/proc/self/status');
    const vmRssKiB = (): number => {
      const m = /^VmRSS:\s+(\d+) kB$/m.exec(r.read());
      assert.ok(m, 'VmRSS in /proc/self/status');
      return Number(m[1]);
    };
    try {
      const before = vmRssKiB();
      const hold = Buffer.alloc(64 * 1024 * 1024, 1);
      const after = vmRssKiB();
      assert.equal(hold[hold.length - 1], 1);
      assert.ok(after - before >= 48 * 1024, `VmRSS grew by ${after - before} KiB, not by the 64 MiB touched`);
    } finally {
      r.close();
    }
  });

  test('a regular file replaced by rename is read anew, and a missing one throws ENOENT', () => {
    const path = join(dir, 'meminfo');
    writeFileSync(path, 'one');
    const r = openProcFile(path);
    assert.equal(r.read(), 'one');
    writeFileSync(join(dir, 'meminfo.tmp'), 'two');
    renameSync(join(dir, 'meminfo.tmp'), path);
    assert.equal(r.read(), 'two');
    rmSync(path);
    assert.throws(() => r.read(), { code: 'ENOENT' });
    r.close();
  });
});
