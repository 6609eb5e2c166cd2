// The page's side of the bridge (shared/bridge-answers.ts): what either transport delivers is
// checked against the records' specs before the page uses it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BridgeAnswerError, checkedBridge, parseBridgeEvent, parseBridgeMessage, parseDashboardState, parseLaunchers, plainRecord, type UncheckedBridge } from '../../shared/bridge-answers.js';
import { toJsonSafe, PressureSpec } from '../../shared/records.js';
import { appRecord, dashboardState, killRecord, launcherRecord, pressureRecord } from '../support/tray-fixtures.js';

/** What the WebSocket carries: JSON, BigInt and all turned into plain numbers. */
const overJson = (v: unknown): unknown => JSON.parse(JSON.stringify(toJsonSafe(v))) as unknown;

describe('load answers', () => {
  test('a full state comes through unchanged', () => {
    const d = dashboardState({
      apps: [appRecord('firefox', 1024, { preference: 'avoid' })], history: [killRecord('x', 'killed')], pressureHistory: [pressureRecord()],
      explanation: { state: 'calm', because: 'fine', unit: '', appId: '', displayName: '', candidates: [] },
      facts: { hostname: 'h', os: 'Debian', kernel: '6.1', cpus: 4, memTotalBytes: 8, swapTotalBytes: 0 },
    });
    assert.deepEqual(parseDashboardState(overJson(d)), d);
  });
  test('the agent not running: nulls and empty lists', () => {
    const d = dashboardState({ agentRunning: false, state: '', pressure: null, facts: null });
    assert.deepEqual(parseDashboardState(overJson(d)), d);
  });
  test('fields a newer side adds are left out, as on the bus', () => {
    const p = plainRecord(PressureSpec, { ...pressureRecord(), extra: 1 });
    assert.equal('extra' in p, false);
  });
  const broken: [string, (d: Record<string, unknown>) => unknown, RegExp][] = [
    ['not an object', () => [], /load: expected an object/],
    ['an unknown state', (d) => ({ ...d, state: 'panic' }), /state: expected an agent state/],
    ['a missing field', (d) => ({ ...d, error: undefined }), /error: expected a string/],
    ['a number as a string', (d) => ({ ...d, pressure: { ...(d.pressure as object), fullAvg10: '3' } }), /pressure\.fullAvg10: expected a number/],
    ['a bad app in the list', (d) => ({ ...d, apps: [{ unit: 'x' }] }), /apps\[0\]\.kind: expected a string/],
    ['a bad candidate inside a kill', (d) => ({ ...d, history: [{ ...killRecord('a', 'killed'), candidates: [1] }] }), /history\[0\]\.candidates\[0\]: expected an object/],
  ];
  for (const [what, change, why] of broken) {
    test(`refuses ${what}`, () => {
      const d = overJson(dashboardState()) as Record<string, unknown>;
      assert.throws(() => parseDashboardState(change(d)), (err: unknown) => err instanceof BridgeAnswerError && why.test(err.message));
    });
  }
  test('launchers', () => {
    assert.deepEqual(parseLaunchers([launcherRecord('a', 'A', true)]), [launcherRecord('a', 'A', true)]);
    assert.throws(() => parseLaunchers([{ desktopId: 'a' }]), /launchers\[0\]\.name/);
  });
});

describe('events and messages', () => {
  test('each kind of event comes through', () => {
    const events = [
      { kind: 'killed', kill: killRecord('a', 'killed') }, { kind: 'would-kill', kill: killRecord('a', 'dry-run') }, { kind: 'warned', kill: killRecord('a', 'warned') },
      { kind: 'state', state: 'elevated', previous: 'calm', because: 'tight', pressure: pressureRecord() }, { kind: 'pressure', pressure: pressureRecord() },
      { kind: 'preference', appId: 'a', preference: 'omit' }, { kind: 'agent', running: false },
    ];
    for (const e of events) assert.deepEqual(parseBridgeEvent(overJson(e)), e);
  });
  test('refuses unknown kinds, states and preferences', () => {
    assert.throws(() => parseBridgeEvent({ kind: 'exploded' }), /event\.kind/);
    assert.throws(() => parseBridgeEvent({ kind: 'state', state: 'calm', previous: 'x', because: '', pressure: pressureRecord() }), /agent states/);
    assert.throws(() => parseBridgeEvent({ kind: 'preference', appId: 'a', preference: 'kill' }), /none, avoid or omit/);
  });
  test('the envelope: a session grant, an event (inside unchecked), an answer, a refusal', () => {
    assert.deepEqual(parseBridgeMessage({ session: { id: 's', expiresAtMs: 5 } }), { session: { id: 's', expiresAtMs: 5 } });
    assert.deepEqual(parseBridgeMessage({ event: { kind: 'whatever' } }), { event: { kind: 'whatever' } });
    assert.deepEqual(parseBridgeMessage({ id: 3, ok: true, result: [1] }), { id: 3, ok: true, result: [1] });
    assert.deepEqual(parseBridgeMessage({ id: 3, ok: false, error: 'no' }), { id: 3, ok: false, error: 'no' });
    assert.throws(() => parseBridgeMessage({ id: 'x', ok: true }), /id: expected a number/);
    assert.throws(() => parseBridgeMessage('hello'), /message: expected an object/);
  });
});

describe('checkedBridge', () => {
  const raw = (answers: { load?: unknown; launch?: unknown; resume?: unknown }, events: unknown[] = []): UncheckedBridge => ({
    load: () => Promise.resolve(answers.load),
    setPreference: () => Promise.resolve(null),
    listLaunchers: () => Promise.resolve([]),
    launch: () => Promise.resolve(answers.launch),
    resumeApp: () => Promise.resolve(answers.resume),
    quitApp: () => Promise.resolve(answers.resume),
    subscribe: (listener) => { for (const e of events) listener(e); return () => undefined; },
  });
  test('answers are parsed; one that is not what it should be fails its call', async () => {
    const d = dashboardState();
    assert.deepEqual(await checkedBridge(raw({ load: overJson(d) })).load(), d);
    await assert.rejects(checkedBridge(raw({ load: { agentRunning: 'yes' } })).load(), BridgeAnswerError);
    assert.equal(await checkedBridge(raw({ launch: 'app-headroom-a-1.scope' })).launch('a'), 'app-headroom-a-1.scope');
    await assert.rejects(checkedBridge(raw({ launch: 42 })).launch('a'), /launch: expected a string/);
  });
  test('an event that does not parse is dropped, the rest arrive', () => {
    const seen: string[] = [];
    checkedBridge(raw({}, [{ kind: 'agent', running: true }, { kind: 'bogus' }, null, { kind: 'agent', running: false }])).subscribe((e) => seen.push(e.kind));
    assert.deepEqual(seen, ['agent', 'agent']);
  });
});
