// What keeps the agent resident: which mappings are locked, and what the cgroup chain protects.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeProtection, keepResident, lockableMappings, lockCode, memlockLimit, readProtectionChain, type ProtectionLevel } from '../../agent/io/residency.js';
import { LibcError } from '../../agent/io/libc.js';

const MiB = 1024 * 1024;
const MAPS = [
  '00400000-00b6f000 r--p 00000000 fe:00 260689                             /usr/bin/node',
  '00b6f000-02800000 r-xp 0076f000 fe:00 260689                             /usr/bin/node',
  '02800000-02810000 rw-p 02400000 fe:00 260689                             /usr/bin/node',
  '03000000-03100000 rw-p 00000000 00:00 0                                  [heap]',
  '7f0000000000-7f0000040000 rwxp 00000000 00:00 0 ',
  '7f1000000000-7f1000100000 r-xp 00000000 fe:00 11                         /usr/lib/x86_64-linux-gnu/libc.so.6',
  '7f2000000000-7f2000001000 r--p 00000000 00:05 3                          /dev/zero',
  '7f3000000000-7f3000001000 r--p 00000000 00:01 4                          /memfd:v8 (deleted)',
  '7f4000000000-7f4000001000 r--s 00000000 fe:00 12                         /var/lib/gone.so (deleted)',
  '7ffd00000000-7ffd00002000 r-xp 00000000 00:00 0                          [vdso]',
].join('\n');

describe('residency', () => {
  test('only read-only file mappings are lockable, executable ones first', () => {
    const got = lockableMappings(MAPS).map((m) => `${m.perms} ${m.path} ${(m.end - m.start).toString(16)}`);
    assert.deepEqual(got, [
      'r-xp /usr/bin/node 1c91000',
      'r-xp /usr/lib/x86_64-linux-gnu/libc.so.6 100000',
      'r--p /usr/bin/node 76f000',
    ], 'never the heap, anonymous or writable mappings (V8 and malloc release those), /dev, memfd, deleted files or the vdso');
  });

  test('a refusal (RLIMIT_MEMLOCK) leaves the rest locked and is reported', () => {
    const locked: number[] = [];
    const r = lockCode({
      maps: () => MAPS,
      lock: (addr, len) => {
        if (len > 16 * MiB) throw new LibcError('mlock2', 12);
        locked.push(addr);
      },
    });
    assert.deepEqual(locked, [0x7f1000000000, 0x00400000], 'the smaller mappings after the refused one');
    assert.equal(r.lockedBytes, 0x100000 + 0x76f000);
    assert.equal(r.unlockedBytes, 0x1c91000);
    assert.equal(r.error, 'mlock2 failed: errno 12 (ENOMEM)');
  });

  test('memory.min of the unit is void while an ancestor has none, and in force when every level has it', () => {
    const chain = (top: number): ProtectionLevel[] => [
      { cgroup: '/user.slice', min: top, low: 0 },
      { cgroup: '/user.slice/user-1000.slice', min: 96 * MiB, low: 0 },
      { cgroup: '/user.slice/user-1000.slice/user@1000.service', min: 96 * MiB, low: 0 },
      { cgroup: '/user.slice/user-1000.slice/user@1000.service/session.slice', min: 96 * MiB, low: 0 },
      { cgroup: '/user.slice/user-1000.slice/user@1000.service/session.slice/headroom-agent.service', min: 96 * MiB, low: 0 },
    ];
    const capped = describeProtection(chain(0));
    assert.equal(capped.minBytes, 0);
    assert.equal(capped.cappedBy?.cgroup, '/user.slice');
    assert.match(capped.text, /^memory\.min 96 MiB on headroom-agent\.service is capped at 0 B by user\.slice/);
    const full = describeProtection(chain(96 * MiB));
    assert.equal(full.minBytes, 96 * MiB);
    assert.equal(full.cappedBy, null);
    assert.equal(full.text, 'memory.min 96 MiB in force along user.slice → user-1000.slice → user@1000.service → session.slice → headroom-agent.service');
    assert.match(describeProtection([{ cgroup: '/a.service', min: 0, low: 0 }]).text, /^no memory\.min or memory\.low on a\.service/);
    assert.equal(describeProtection([{ cgroup: '/s', min: 0, low: 0 }, { cgroup: '/s/a.service', min: 0, low: 64 * MiB }]).text,
      'no memory.min on a.service; memory.low 64 MiB, 0 B along the chain (best effort)');
  });

  test('the chain is read from the root\'s child down to the agent; "max" and unreadable files', () => {
    const files: Record<string, string> = {
      '/cg/user.slice/memory.min': 'max\n', '/cg/user.slice/memory.low': '0\n',
      '/cg/user.slice/a.service/memory.min': '1048576\n',
    };
    const read = (f: string): string => {
      const text = files[f];
      if (text === undefined) throw new Error(`ENOENT ${f}`);
      return text;
    };
    assert.deepEqual(readProtectionChain('/cg', '/user.slice/a.service', read), [
      { cgroup: '/user.slice', min: Infinity, low: 0 },
      { cgroup: '/user.slice/a.service', min: MiB, low: null },
    ]);
  });

  test('the start line says what is in force, the limit beside a refusal', () => {
    const limits = 'Limit                     Soft Limit           Hard Limit           Units\nMax locked memory         8388608              8388608              bytes\n';
    assert.equal(memlockLimit(limits), 8 * MiB);
    assert.equal(memlockLimit('Max locked memory         unlimited            unlimited            bytes'), Infinity);
    const r = keepResident({
      cgroupRoot: '/cg', selfCgroup: '/user.slice/a.service',
      lock: () => ({ lockedBytes: 6 * MiB, unlockedBytes: 82 * MiB, error: 'mlock2 failed: errno 12 (ENOMEM)' }),
      read: (f) => (f === '/proc/self/limits' ? limits : f.endsWith('memory.min') ? String(64 * MiB) : '0'),
    });
    assert.equal(r.line, 'residency: code locked on fault: 6.0 MiB of file mappings, 82 MiB not (mlock2 failed: errno 12 (ENOMEM), RLIMIT_MEMLOCK 8.0 MiB); memory.min 64 MiB in force along user.slice → a.service');
    assert.equal(r.unprotected, false);
  });
});
