import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { parseProcStatus, parseUnifiedCgroup } from '../../agent/core/proc-status.js';

const fixture = (name: string): string =>
  readFileSync(fileURLToPath(new URL(`../../../test/fixtures/parsers/${name}`, import.meta.url)), 'utf8');

describe('parseProcStatus', () => {
  test('a content process with resident, anonymous, shared and swapped memory, and its name with a space', () => {
    assert.deepEqual(parseProcStatus(fixture('status-content-process.txt')), {
      name: 'Isolated Web Co',
      rssBytes: 812344 * 1024,
      anonBytes: 640112 * 1024,
      shmemBytes: 53412 * 1024,
      swapBytes: 20480 * 1024,
    });
  });

  test('capture of cat on this machine: VmRSS, not VmHWM or RssFile; RssAnon, not RssFile', () => {
    assert.deepEqual(parseProcStatus(fixture('status-cat.txt')), { name: 'cat', rssBytes: 1672 * 1024, anonBytes: 112 * 1024, shmemBytes: 0, swapBytes: 0 });
  });

  test('kernel thread (kthreadd capture) has no memory lines: zeros, and its name', () => {
    assert.deepEqual(parseProcStatus(fixture('status-kthread.txt')), { name: 'kthreadd', rssBytes: 0, anonBytes: 0, shmemBytes: 0, swapBytes: 0 });
  });

  test('empty text (process exited mid-read): zeros and no name', () => {
    assert.deepEqual(parseProcStatus(''), { name: '', rssBytes: 0, anonBytes: 0, shmemBytes: 0, swapBytes: 0 });
  });
});

describe('parseUnifiedCgroup', () => {
  const cases: { name: string; text: string; want: string | null }[] = [
    { name: 'pure v2 app scope', text: fixture('cgroup-v2-app-scope.txt'), want: '/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-org.gnome.Terminal-4321.scope' },
    { name: 'v1 only', text: fixture('cgroup-v1-only.txt'), want: null },
    { name: 'hybrid: v1 lines plus 0::, user path', text: fixture('cgroup-hybrid-user.txt'), want: '/user.slice/user-1000.slice/user@1000.service/app.slice/app-flatpak-org.mozilla.firefox-12345.scope' },
    { name: 'hybrid captured on this machine (root cgroup)', text: fixture('cgroup-hybrid.txt'), want: '/' },
    { name: 'hierarchy 10 is not hierarchy 0', text: '10::/not-unified\n', want: null },
    { name: 'empty', text: '', want: null },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.equal(parseUnifiedCgroup(c.text), c.want);
    });
  }
});
