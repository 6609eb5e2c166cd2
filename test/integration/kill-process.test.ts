// killProcess against real processes in a real cgroup: one renderer of a browser-like app is
// stopped by pidfd, the app and its other tabs live; a pid that no longer names the process the
// snapshot saw is never signalled.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { killProcess, ProcessGoneError } from '../../agent/cgroup/kill-process.js';
import { parseProcStat } from '../../agent/core/proc-stat.js';
import { readFileSync } from 'node:fs';
import { CGROUP2_ROOT, CgroupTree, cgroupTreeUnavailable, isAlive } from '../support/cgroup-tree.js';

const unavailable = cgroupTreeUnavailable();
const startTicksOf = (pid: number): number => parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8')).startTicks;

describe('killProcess on real cgroups', { skip: unavailable || false }, () => {
  let tree: CgroupTree;
  before(() => { tree = new CgroupTree(); });
  after(() => tree.remove());
  const opts = (rel: string) => ({ unitDir: join(tree.path, rel), userTree: tree.path });

  test('the marked renderer is stopped; the main process and the other tabs live', async () => {
    const rel = 'app.slice/app-gnome-chromium-1001.scope';
    const main = await tree.start(rel, 'browser', ['8', '24', '8', '8']);
    const [hog, ...others] = main.readyLine.split(' ').map(Number);
    const r = await killProcess({ pid: hog!, startTicks: startTicksOf(hog!) }, opts(rel));
    assert.equal(r.exited, true);
    assert.equal(isAlive(hog!), false, 'the renderer is gone');
    assert.equal(main.alive(), true, 'the browser runs on');
    for (const pid of others) assert.equal(isAlive(pid), true, `tab ${pid} is untouched`);
  });

  test('a pid whose start time is not the one the snapshot saw (a reused pid) is not signalled', async () => {
    const rel = 'app.slice/app-gnome-chromium-1002.scope';
    const main = await tree.start(rel, 'browser', ['8', '8']);
    const tab = Number(main.readyLine);
    await assert.rejects(killProcess({ pid: tab, startTicks: startTicksOf(tab) - 1 }, opts(rel)), ProcessGoneError);
    assert.equal(isAlive(tab), true, 'a stranger behind a known pid lives');
  });

  test('a process that left the unit is not signalled in its name', async () => {
    const rel = 'app.slice/app-gnome-chromium-1003.scope';
    const elsewhere = 'app.slice/app-gnome-other-1004.scope';
    const main = await tree.start(rel, 'browser', ['8', '8']);
    const tab = Number(main.readyLine);
    writeFileSync(join(tree.unit(elsewhere), 'cgroup.procs'), String(tab));
    await assert.rejects(killProcess({ pid: tab, startTicks: startTicksOf(tab) }, opts(rel)), /no longer in .*app-gnome-chromium-1003\.scope/);
    assert.equal(isAlive(tab), true);
  });

  test('a process that exited is gone, not an error of the kill', async () => {
    const rel = 'app.slice/app-gnome-chromium-1005.scope';
    const main = await tree.start(rel, 'browser', ['8', '8']);
    const tab = Number(main.readyLine);
    const ticks = startTicksOf(tab);
    process.kill(tab, 'SIGKILL');
    while (isAlive(tab)) await new Promise((r) => setTimeout(r, 10));
    await assert.rejects(killProcess({ pid: tab, startTicks: ticks }, opts(rel)), ProcessGoneError);
  });

  test('only inside the user\'s tree', async () => {
    await assert.rejects(killProcess({ pid: process.pid, startTicks: startTicksOf(process.pid) }, { unitDir: CGROUP2_ROOT, userTree: tree.path }), /not inside the user's tree/);
  });
});
