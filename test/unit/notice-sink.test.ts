// The kill notice's "Reopen": when it is offered, what the action does, and how the fact of a
// reopen reaches the ranking (ReopenLedger → AppUnit.reopenedAtMs).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { REOPEN_SPARE_MS } from '../../agent/core/constants.js';
import { ACTION_AVOID, ACTION_CLOSE, ACTION_DETAILS, ACTION_REOPEN, killNotice, type Notice } from '../../agent/core/notices.js';
import { rankVictims } from '../../agent/core/rank.js';
import type { Notifier, SentNotice } from '../../agent/bus/notifications.js';
import { ReopenLedger } from '../../agent/desktop/reopen-ledger.js';
import type { Logger } from '../../agent/io/log.js';
import { createNoticeSink, handleNoticeAction, mayOfferReopen, REOPEN_CHECK_MAX_MS, type NoticeActions, type NoticeContext } from '../../agent/notice-sink.js';
import type { EventRecord } from '../../shared/records.js';
import { app, GiB, MiB } from '../support/snapshots.js';

const kill = (over: Partial<EventRecord> = {}): EventRecord => ({
  id: 'k1', unit: 'app-gnome-org.example.Editor-1.scope', appId: 'org.example.Editor', displayName: 'Editor', reason: 'exhaustion', because: '',
  outcome: 'killed', dryRun: false, processCount: 3, processesLeft: 0, memoryFreedBytes: 1.5 * GiB, swapFreedBytes: 0,
  graceMs: 0, durationMs: 100, childPid: 0, childKind: '', pausedUntilMs: 0, someAvg10: 0, fullAvg10: 0, fullRecentPct: 0, memAvailableBytes: 100 * MiB,
  swapFreeBytes: 0, atMs: 0, candidates: [], ...over,
});
const editor = app('app-gnome-org.example.Editor-1.scope', { desktopEntry: 'org.example.Editor', displayName: 'Editor' });

interface Sent { notice: Notice; context: NoticeContext; replaces: number }
function recorder(): { notifier: Notifier<NoticeContext>; sent: Sent[]; next(): Promise<Sent> } {
  const sent: Sent[] = [];
  const waiters: ((s: Sent) => void)[] = [];
  return {
    sent,
    notifier: {
      send(notice, context, replaces = 0) {
        const s = { notice, context, replaces };
        sent.push(s);
        waiters.shift()?.(s);
        return Promise.resolve(sent.length);
      },
      close: () => Promise.resolve(),
    },
    next: () => new Promise((resolve) => waiters.push(resolve)),
  };
}
const logs: string[] = [];
const log: Logger = { error: (m) => logs.push(`error ${m}`), warn: (m) => logs.push(`warn ${m}`), info: (m) => logs.push(`info ${m}`), debug: () => undefined };

describe('the kill notice offers Reopen', () => {
  test('killNotice: "Reopen" after "Don\'t kill … again", before "Details"; only when asked', () => {
    assert.deepEqual(killNotice(kill(), editor, { reopen: true, details: true }).actions, [[ACTION_AVOID, "Don't kill Editor again"], [ACTION_REOPEN, 'Reopen'], [ACTION_DETAILS, 'Details']]);
    assert.deepEqual(killNotice(kill({ reason: 'manual' }), editor, { reopen: true }).actions, [[ACTION_REOPEN, 'Reopen']]);
    assert.deepEqual(killNotice(kill(), editor).actions.map(([key]) => key), [ACTION_AVOID]);
  });

  test('mayOfferReopen: a complete kill of a unit whose desktop entry is its own', () => {
    assert.equal(mayOfferReopen(kill(), editor), true);
    assert.equal(mayOfferReopen(kill(), { ...editor, kind: 'snap' }), true);
    assert.equal(mayOfferReopen(kill(), { ...editor, kind: 'dbus' }), true);
    assert.equal(mayOfferReopen(kill(), { ...editor, desktopEntry: '' }), false, 'no desktop entry: nothing to launch');
    assert.equal(mayOfferReopen(kill(), { ...editor, kind: 'terminal-tab' }), false, "a tab's entry is its terminal's, not the job's");
    assert.equal(mayOfferReopen(kill({ outcome: 'partial', processesLeft: 1 }), editor), false, 'survivors may be the app itself');
    assert.equal(mayOfferReopen(kill({ outcome: 'failed' }), editor), false);
    assert.equal(mayOfferReopen(kill({ outcome: 'child-killed', childPid: 42, childKind: 'renderer' }), editor), false, 'one tab was stopped: the app still runs');
  });

  test('the sink offers it when the launcher can launch the entry, and carries the entry in the context', async () => {
    const r = recorder();
    const asked: string[] = [];
    const sink = createNoticeSink(r.notifier, log, Date.now, () => false, (entry) => { asked.push(entry); return Promise.resolve(true); });
    const sent = r.next();
    sink.killed(kill(), editor);
    const s = await sent;
    assert.deepEqual(asked, ['org.example.Editor']);
    assert.deepEqual(s.notice.actions.map(([key]) => key), [ACTION_AVOID, ACTION_REOPEN]);
    assert.deepEqual(s.context, { unit: editor.unit, appId: 'org.example.Editor', killId: 'k1', desktopEntry: 'org.example.Editor' });
  });

  test('not offered when the entry cannot be launched, the check fails, or it may not be offered at all (then nothing is asked)', async () => {
    for (const [canReopen, record, unit] of [
      [() => Promise.resolve(false), kill(), editor],
      [() => Promise.reject(new Error('EIO')), kill(), editor],
      [() => { throw new Error('must not be asked'); }, kill(), { ...editor, kind: 'terminal-tab' as const }],
      [() => { throw new Error('must not be asked'); }, kill({ outcome: 'partial', processesLeft: 2 }), editor],
    ] as const) {
      const r = recorder();
      const sent = r.next();
      createNoticeSink(r.notifier, log, Date.now, () => false, canReopen).killed(record, unit);
      const s = await sent;
      assert.equal(s.notice.actions.some(([key]) => key === ACTION_REOPEN), false);
      assert.equal(s.context.desktopEntry, '');
    }
  });

  test(`a check that does not answer within ${REOPEN_CHECK_MAX_MS} ms does not hold the notice back`, async () => {
    const r = recorder();
    const started = Date.now();
    const sent = r.next();
    createNoticeSink(r.notifier, log, Date.now, () => false, () => new Promise<boolean>(() => undefined)).killed(kill(), editor);
    const s = await sent;
    const tookMs = Date.now() - started;
    assert.ok(tookMs >= REOPEN_CHECK_MAX_MS - 5 && tookMs < REOPEN_CHECK_MAX_MS + 500, `sent after ${tookMs} ms`);
    assert.deepEqual(s.notice.actions.map(([key]) => key), [ACTION_AVOID]);
  });
});

describe('handleNoticeAction', () => {
  const calls: string[] = [];
  const actions: NoticeActions = {
    setPreference: (appId, pref) => { calls.push(`pref ${appId} ${pref}`); return Promise.resolve(); },
    killApp: (target) => { calls.push(`kill ${target}`); return Promise.resolve(); },
    showDetails: (killId) => { calls.push(`details ${killId}`); return Promise.resolve(); },
    resumeApp: (unit) => { calls.push(`resume ${unit}`); return Promise.resolve(); },
    quitApp: (unit, force) => { calls.push(`quit ${unit} ${force ? 'force' : 'term'}`); return Promise.resolve(); },
    reopen: (entry) => { calls.push(`reopen ${entry}`); return entry === 'broken' ? Promise.reject(new Error('no desktop entry broken.desktop')) : Promise.resolve('app-headroom-x-0123456789abcdef.scope'); },
  };
  const sent = (context: Partial<NoticeContext>): SentNotice<NoticeContext> =>
    ({ id: 7, notice: killNotice(kill(), editor), context: { unit: editor.unit, appId: 'org.example.Editor', killId: 'k1', desktopEntry: 'org.example.Editor', ...context } });
  const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

  test('each action key reaches its own action; Reopen launches the entry from the context', () => {
    calls.length = 0;
    handleNoticeAction(ACTION_REOPEN, sent({}), actions, log);
    handleNoticeAction(ACTION_AVOID, sent({}), actions, log);
    handleNoticeAction(ACTION_CLOSE, sent({}), actions, log);
    handleNoticeAction(ACTION_DETAILS, sent({}), actions, log);
    handleNoticeAction('default', sent({}), actions, log);
    assert.deepEqual(calls, ['reopen org.example.Editor', 'pref org.example.Editor avoid', `kill ${editor.unit}`, 'details k1']);
  });

  test('Reopen on a notice that did not offer it launches nothing; a failed launch is logged, not thrown', async () => {
    calls.length = 0;
    logs.length = 0;
    handleNoticeAction(ACTION_REOPEN, sent({ desktopEntry: '' }), actions, log);
    assert.deepEqual(calls, []);
    handleNoticeAction(ACTION_REOPEN, sent({ desktopEntry: 'broken' }), actions, log);
    await settle();
    assert.deepEqual(calls, ['reopen broken']);
    assert.match(logs.join('\n'), /^warn notification action reopen broken after the kill of app-gnome-org\.example\.Editor-1\.scope failed: no desktop entry broken\.desktop$/m);
  });
});

describe('ReopenLedger', () => {
  const mine = app('app-headroom-org.example.Editor-0123456789abcdef.scope');

  test('stamps the unit Reopen launched, and only that one, with the time of the click', () => {
    const ledger = new ReopenLedger();
    const other = app('app-gnome-org.example.Editor-99.scope'); // the same app, started otherwise
    ledger.expect('org.example.Editor', 5000);
    ledger.settle('org.example.Editor', mine.unit);
    const stamped = ledger.stamp([mine, other], 6000);
    assert.equal(stamped[0]?.reopenedAtMs, 5000);
    assert.equal('reopenedAtMs' in stamped[1]!, false);
  });

  test('before Launch names the unit, a new Headroom scope of that entry counts at once; afterwards only the named one', () => {
    const ledger = new ReopenLedger();
    const earlier = app('app-headroom-org.example.Editor-1111111111111111.scope'); // running before the click
    const stray = app('app-headroom-org.example.Editor-2222222222222222.scope'); // started by someone else meanwhile
    ledger.stamp([earlier], 0);
    ledger.expect('org.example.Editor', 1000);
    const during = ledger.stamp([earlier, mine, stray], 1500);
    assert.deepEqual(during.map((a) => a.reopenedAtMs), [undefined, 1000, 1000]);
    ledger.settle('org.example.Editor', mine.unit);
    assert.deepEqual(ledger.stamp([earlier, mine, stray], 2500).map((a) => a.reopenedAtMs), [undefined, 1000, undefined]);
  });

  test('a failed Reopen leaves nothing behind', () => {
    const ledger = new ReopenLedger();
    ledger.expect('org.example.Editor', 1000);
    ledger.stamp([mine], 1500);
    ledger.settle('org.example.Editor', null);
    assert.equal(ledger.stamp([mine], 2000)[0]?.reopenedAtMs, undefined);
    assert.equal(ledger.size, 0);
  });

  test('forgets a reopen once the window has passed', () => {
    const ledger = new ReopenLedger();
    for (const [unit, atMs] of [['app-headroom-a-0123456789abcdef.scope', 0], ['app-headroom-b-0123456789abcdef.scope', 60_000]] as const) {
      ledger.expect(unit, atMs);
      ledger.settle(unit, unit);
    }
    ledger.stamp([], REOPEN_SPARE_MS - 1);
    assert.equal(ledger.size, 2);
    ledger.stamp([], REOPEN_SPARE_MS);
    assert.equal(ledger.size, 1);
  });

  test('what it stamps is what the ranking spares', () => {
    const ledger = new ReopenLedger();
    const reopened = app('app-headroom-big-0123456789abcdef.scope', { memoryBytes: 1800 * MiB });
    const bystander = app('app-gnome-small-1.scope', { memoryBytes: 1000 * MiB });
    assert.equal(rankVictims(ledger.stamp([reopened, bystander], 1000), new Map(), 1000)[0]?.app.unit, reopened.unit);
    ledger.expect('big', 1000);
    ledger.settle('big', reopened.unit);
    assert.equal(rankVictims(ledger.stamp([reopened, bystander], 2000), new Map(), 2000)[0]?.app.unit, bystander.unit);
  });
});
