// killScope against real processes in real cgroups (cgroup2 at /sys/fs/cgroup/unified).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { killScope, OutsideUserTreeError, UnitGoneError } from '../../agent/cgroup/kill-scope.js';
import { CgroupTree, cgroupTreeUnavailable, isAlive } from '../support/cgroup-tree.js';

const unavailable = cgroupTreeUnavailable();

describe('killScope on real cgroups', { skip: unavailable || false }, () => {
  let tree: CgroupTree;
  before(() => { tree = new CgroupTree(); });
  after(() => tree.remove());

  test('a polite app exits on SIGTERM within the grace: no SIGKILL needed', async () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'hr-')), 'saved');
    const rel = 'app.slice/app-headroom-polite-0000000000000001.scope';
    const p = await tree.start(rel, 'polite', [marker]);
    const r = await killScope(join(tree.path, rel), { graceMs: 3000, userTree: tree.path });
    assert.equal(r.outcome, 'killed');
    assert.equal(r.exitedOnTerm, true);
    assert.equal(r.usedCgroupKill, false);
    assert.equal(r.processCount, 1);
    assert.equal(readFileSync(marker, 'utf8'), 'saved\n', 'the app got to save before it went');
    assert.equal(p.alive(), false);
  });

  test('processes that ignore SIGTERM, with children, are all killed by cgroup.kill after the grace', async () => {
    const rel = 'app.slice/app-headroom-stubborn-0000000000000002.scope';
    const p = await tree.start(rel, 'stubborn', ['3']);
    const children = p.readyLine.split(' ').map(Number);
    assert.equal(children.length, 3);
    assert.equal(tree.pids(rel).length, 4, 'children forked inside the scope');
    const r = await killScope(join(tree.path, rel), { graceMs: 300, userTree: tree.path });
    assert.equal(r.outcome, 'killed');
    assert.equal(r.exitedOnTerm, false);
    assert.equal(r.usedCgroupKill, true);
    assert.equal(r.processCount, 4);
    assert.equal(r.processesLeft, 0);
    assert.ok(r.durationMs >= 300, `waited the grace first (${r.durationMs} ms)`);
    for (const pid of [p.pid, ...children]) assert.equal(isAlive(pid), false, `pid ${pid} is gone`);
    assert.deepEqual(tree.pids(rel), []);
  });

  test('grace 0 goes straight to SIGKILL', async () => {
    const rel = 'app.slice/app-headroom-now-0000000000000003.scope';
    await tree.start(rel, 'stubborn', ['1']);
    const r = await killScope(join(tree.path, rel), { graceMs: 0, userTree: tree.path });
    assert.equal(r.outcome, 'killed');
    assert.equal(r.usedCgroupKill, true);
    assert.ok(r.durationMs < 2000);
  });

  test('a bystander in a sibling scope survives', async () => {
    const victim = 'app.slice/app-headroom-victim-0000000000000004.scope';
    const bystander = 'app.slice/app-headroom-bystander-0000000000000005.scope';
    await tree.start(victim, 'stubborn', ['2']);
    const b = await tree.start(bystander, 'hog', ['8']);
    await killScope(join(tree.path, victim), { graceMs: 0, userTree: tree.path });
    assert.equal(b.alive(), true);
    assert.deepEqual(tree.pids(bystander), [b.pid]);
  });

  test('refuses anything outside the user tree, even through a symlink', async () => {
    const outside = new CgroupTree();
    try {
      const rel = 'app.slice/app-headroom-outsider-0000000000000006.scope';
      const p = await outside.start(rel, 'hog', ['4']);
      await assert.rejects(killScope(join(outside.path, rel), { graceMs: 0, userTree: tree.path }), OutsideUserTreeError);
      const link = join(mkdtempSync(join(tmpdir(), 'hr-')), 'sneaky');
      symlinkSync(join(outside.path, rel), link);
      await assert.rejects(killScope(link, { graceMs: 0, userTree: tree.path }), OutsideUserTreeError);
      await assert.rejects(killScope(tree.path, { graceMs: 0, userTree: tree.path }), OutsideUserTreeError, 'not the tree itself either');
      await assert.rejects(killScope(join(tree.path, '..', '..', 'unified'), { graceMs: 0, userTree: tree.path }), OutsideUserTreeError);
      assert.equal(p.alive(), true);
    } finally {
      await outside.remove();
    }
  });

  test('a scope that no longer exists is a UnitGoneError that says so, not a raw ENOENT nor a silent success', async () => {
    const gone = join(tree.path, 'app.slice', 'app-headroom-gone-0000000000000007.scope');
    assert.equal(existsSync(gone), false);
    await assert.rejects(killScope(gone, { graceMs: 0, userTree: tree.path }), (err: unknown) => {
      assert.ok(err instanceof UnitGoneError);
      assert.match(err.message, /is gone: the unit exited before it could be stopped$/);
      return true;
    });
  });

  test('SIGTERM goes to the unit while it is frozen: no pid read can have changed hands; then it is thawed to handle it', async () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'hr-')), 'saved');
    const rel = 'app.slice/app-headroom-frozen-0000000000000008.scope';
    const p = await tree.start(rel, 'polite', [marker]);
    const seen: { pids: number[]; events: string }[] = [];
    const r = await killScope(join(tree.path, rel), {
      graceMs: 3000, userTree: tree.path,
      beforeSignal: (pids) => { seen.push({ pids, events: readFileSync(join(tree.path, rel, 'cgroup.events'), 'utf8') }); },
    });
    assert.equal(seen.length, 1);
    assert.deepEqual(seen[0]!.pids, [p.pid]);
    assert.match(seen[0]!.events, /^frozen 1$/m, 'frozen while the pids were read and signalled');
    assert.equal(r.outcome, 'killed');
    assert.equal(r.exitedOnTerm, true, 'thawed: it handled SIGTERM itself');
    assert.equal(readFileSync(marker, 'utf8'), 'saved\n');
  });
});
