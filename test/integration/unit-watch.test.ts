// watchUnits on a real cgroup v2 hierarchy: the kernel's own mkdir and rmdir events, a slice
// made after the watch began, and what it does not report (a scope's inner cgroups, files).
import assert from 'node:assert/strict';
import { mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, test } from 'node:test';
import { watchUnits } from '../../agent/cgroup/unit-watch.js';
import { CgroupTree, cgroupTreeUnavailable } from '../support/cgroup-tree.js';

const unavailable = cgroupTreeUnavailable();

/** Count onChange calls; `settled` waits until none came for a while (inotify is asynchronous). */
function counter() {
  let n = 0;
  return {
    onChange: () => void n++,
    get n() {
      return n;
    },
    async settled(): Promise<number> {
      let last = -1;
      while (last !== n) {
        last = n;
        await sleep(150);
      }
      return n;
    },
  };
}

describe('watchUnits on real cgroups', { skip: unavailable || false }, () => {
  const tree = unavailable ? null : new CgroupTree();
  after(async () => tree?.remove());

  test('a scope made or removed in a slice, and in a slice made after the watch began, is reported; files and inner cgroups are not', async () => {
    const t = tree!;
    const c = counter();
    const w = watchUnits(t.path, c.onChange);
    try {
      assert.equal(w.watching, true);
      assert.equal(w.slices, 3, 'the tree, app.slice and session.slice');

      t.unit('app.slice/app-gnome-editor-1.scope');
      assert.ok((await c.settled()) >= 1, 'a new scope in app.slice');

      let before = c.n;
      const nested = 'app.slice/app-org.gnome.Terminal.slice';
      mkdirSync(join(t.path, nested));
      assert.ok((await c.settled()) > before, 'a new slice');
      assert.equal(w.slices, 4, 'and it is watched');
      before = c.n;
      t.unit(`${nested}/vte-spawn-0b4a6f1e-7a55-4bc6-9d0b-2d5b1e4b9a11.scope`);
      assert.ok((await c.settled()) > before, 'a terminal tab in the new slice');

      // What happens inside a unit is the app's: neither its own cgroups nor writes are units coming or going.
      before = c.n;
      t.unit('app.slice/app-gnome-editor-1.scope/worker');
      writeFileSync(join(t.path, 'app.slice', 'app-gnome-editor-1.scope', 'cgroup.procs'), '');
      await c.settled();
      assert.equal(c.n, before);
      rmdirSync(join(t.path, 'app.slice', 'app-gnome-editor-1.scope', 'worker'));

      before = c.n;
      rmdirSync(join(t.path, 'app.slice', 'app-gnome-editor-1.scope'));
      assert.ok((await c.settled()) > before, 'a scope removed');

      before = c.n;
      rmdirSync(join(t.path, nested, 'vte-spawn-0b4a6f1e-7a55-4bc6-9d0b-2d5b1e4b9a11.scope'));
      rmdirSync(join(t.path, nested));
      assert.ok((await c.settled()) > before, 'the tab and its slice removed');
      assert.equal(w.slices, 3, 'the removed slice is no longer watched');
      assert.equal(w.watching, true);
    } finally {
      w.close();
    }
    const before = c.n;
    t.unit('app.slice/app-gnome-late-2.scope');
    await c.settled();
    assert.equal(c.n, before, 'nothing after close');
    assert.equal(w.watching, false);
  });

  test('a tree that is not there is not watched, and says why', () => {
    const w = watchUnits(join(tree!.path, 'no-such.slice'), () => undefined);
    assert.equal(w.watching, false);
    assert.match(w.why, /ENOENT/);
    w.close();
  });
});
