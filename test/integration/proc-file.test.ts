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

  test('/proc/meminfo: whole at every read, and it follows the kernel (a 64 MiB allocation shows)', () => {
    const r = openProcFile('/proc/meminfo');
    try {
      const first = parseMeminfo(r.read());
      const hold = Buffer.alloc(64 * 1024 * 1024, 1);
      const second = parseMeminfo(r.read());
      assert.equal(hold[hold.length - 1], 1);
      assert.equal(second.memTotalBytes, first.memTotalBytes);
      assert.notEqual(second.memAvailableBytes, first.memAvailableBytes, 'the same descriptor read again gives the kernel\'s figures now');
      for (let i = 0; i < 50; i++) assert.ok(r.read().startsWith('MemTotal:'));
      r.close();
      assert.ok(r.read().startsWith('MemTotal:'), 'after close a read opens it again');
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
