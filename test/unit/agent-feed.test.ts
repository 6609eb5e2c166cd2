// The agent feed (agent/feed/agent-feed.ts) against a stand-in client: which calls a refresh
// costs once the signals have told the rest, and how signals and the agent's coming and going
// change what the pages are given. The real bus and agent: test/integration/dashboard.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AgentFeed, type FeedClient } from '../../agent/feed/agent-feed.js';
import { AgentCallError } from '../../agent/bus/agent-client.js';
import type { BridgeEvent, SystemFacts } from '../../shared/bridge.js';
import type { AgentState, Preference } from '../../shared/names.js';
import type { AppRecord, ExplanationRecord, EventRecord, PressureRecord } from '../../shared/records.js';
import { GiB, appRecord, killRecord, pressureRecord } from '../support/tray-fixtures.js';

const T0 = 1_700_000_000_000;

/** An agent behind a client that writes down every call it is asked. */
class StandInAgent implements FeedClient {
  readonly calls: string[] = [];
  state_: AgentState = 'calm';
  apps: AppRecord[] = [appRecord('firefox', 2 * GiB), appRecord('gimp', GiB)];
  savedHistory: EventRecord[] = [killRecord('old', 'killed')];
  samples: PressureRecord[] = [pressureRecord({ sampledAtMs: T0 - 4000 }), pressureRecord({ sampledAtMs: T0 - 2000 })];
  latest = pressureRecord({ sampledAtMs: T0 - 2000 });
  hasPressureHistory = true;
  /** Run while GetHistory is out (a signal racing the seed). */
  duringHistory: () => void = () => undefined;
  readonly on: {
    killed?: (k: EventRecord) => void; wouldKill?: (k: EventRecord) => void; warned?: (k: EventRecord) => void;
    paused?: (k: EventRecord) => void; resumed?: (k: EventRecord) => void;
    state?: (s: AgentState, p: AgentState, because: string, pressure: PressureRecord) => void;
    pressure?: (p: PressureRecord) => void; preference?: (id: string, p: Preference) => void;
  } = {};

  private answer<T>(call: string, value: T): Promise<T> {
    this.calls.push(call);
    return Promise.resolve(value);
  }
  state(): Promise<AgentState> { return this.answer('State', this.state_); }
  version(): Promise<string> { return this.answer('Version', '0.1.0'); }
  dryRun(): Promise<boolean> { return this.answer('DryRun', false); }
  pressure(): Promise<PressureRecord> { return this.answer('Pressure', this.latest); }
  listApps(): Promise<AppRecord[]> { return this.answer('ListApps', this.apps); }
  explain(): Promise<ExplanationRecord> { return this.answer('Explain', { state: this.state_, because: 'fine', unit: '', appId: '', displayName: '', candidates: [] }); }
  history(limit = 0): Promise<EventRecord[]> {
    const saved = this.savedHistory;
    this.duringHistory();
    return this.answer(`GetHistory ${limit}`, saved);
  }
  pressureHistory(seconds = 0): Promise<PressureRecord[]> {
    if (!this.hasPressureHistory) {
      this.calls.push(`GetPressureHistory ${seconds}`);
      return Promise.reject(new AgentCallError('org.freedesktop.DBus.Error.UnknownMethod', 'no such method'));
    }
    return this.answer(`GetPressureHistory ${seconds}`, this.samples);
  }
  setPreference(appId: string, p: Preference): Promise<void> { return this.answer(`SetPreference ${appId} ${p}`, undefined); }
  listLaunchers(): Promise<never[]> { return this.answer('ListLaunchers', []); }
  launch(id: string): Promise<string> { return this.answer(`Launch ${id}`, `app-headroom-${id}-1.scope`); }
  resumeApp(target: string): Promise<EventRecord> { return this.answer(`ResumeApp ${target}`, killRecord('firefox', 'resumed')); }
  quitApp(target: string, force: boolean): Promise<EventRecord> { return this.answer(`QuitApp ${target} ${force}`, killRecord('firefox', 'killed')); }
  onKilled(cb: (k: EventRecord) => void): void { this.on.killed = cb; }
  onWouldKill(cb: (k: EventRecord) => void): void { this.on.wouldKill = cb; }
  onWarned(cb: (k: EventRecord) => void): void { this.on.warned = cb; }
  onPaused(cb: (k: EventRecord) => void): void { this.on.paused = cb; }
  onResumed(cb: (k: EventRecord) => void): void { this.on.resumed = cb; }
  onStateChanged(cb: (s: AgentState, p: AgentState, because: string, pressure: PressureRecord) => void): void { this.on.state = cb; }
  onPressureChanged(cb: (p: PressureRecord) => void): void { this.on.pressure = cb; }
  onPreferenceChanged(cb: (id: string, p: Preference) => void): void { this.on.preference = cb; }
  close(): void { this.calls.push('close'); }
}

interface Setup { agent: StandInAgent; feed: AgentFeed; events: BridgeEvent[]; clock: { now: number }; nameOwner: (running: boolean) => void; factsAsked: () => number }

async function setup(running = true): Promise<Setup> {
  const agent = new StandInAgent();
  const clock = { now: T0 };
  let asked = 0;
  const facts: SystemFacts = { hostname: 'h', os: 'Debian', kernel: '6.1', cpus: 4, memTotalBytes: 16 * GiB, swapTotalBytes: 0 };
  const feed = new AgentFeed(agent, () => { asked += 1; return Promise.resolve(facts); }, () => clock.now);
  let nameOwner: (running: boolean) => void = () => undefined;
  await feed.follow((onChange) => { nameOwner = onChange; return Promise.resolve(running); });
  const events: BridgeEvent[] = [];
  feed.subscribe((e) => events.push(e));
  return { agent, feed, events, clock, nameOwner: (r) => nameOwner(r), factsAsked: () => asked };
}

/** The calls one step costs, and nothing before it. */
async function callsOf(agent: StandInAgent, step: () => Promise<unknown>): Promise<string[]> {
  agent.calls.length = 0;
  await step();
  return [...agent.calls].sort();
}

describe('what a refresh costs', () => {
  test('the first load reads the agent once (the seed); the next asks only what has no signal', async () => {
    const { agent, feed } = await setup();
    assert.deepEqual(await callsOf(agent, () => feed.load()), [
      'DryRun', 'Explain', 'GetHistory 50', 'GetPressureHistory 0', 'ListApps', 'Pressure', 'State', 'Version',
    ]);
    assert.deepEqual(await callsOf(agent, () => feed.load()), ['DryRun', 'Explain', 'ListApps']);
  });

  test('while calm (no pressure signals) a later load catches up on the samples since the newest', async () => {
    const { agent, feed, clock } = await setup();
    await feed.load();
    clock.now = T0 + 8000;
    agent.samples = [pressureRecord({ sampledAtMs: T0 + 6000, fullAvg10: 1 })];
    assert.deepEqual(await callsOf(agent, () => feed.load()), ['DryRun', 'Explain', 'GetPressureHistory 12', 'ListApps']);
    const d = await feed.load();
    assert.deepEqual(d.pressureHistory.map((p) => p.sampledAtMs - T0), [-4000, -2000, 6000]);
    assert.equal(d.pressure?.fullAvg10, 1);
  });

  test('a pressure signal in the last seconds makes the catch-up unnecessary', async () => {
    const { agent, feed, clock } = await setup();
    await feed.load();
    clock.now = T0 + 8000;
    agent.on.pressure!(pressureRecord({ sampledAtMs: T0 + 7500, fullAvg10: 30 }));
    assert.deepEqual(await callsOf(agent, () => feed.load()), ['DryRun', 'Explain', 'ListApps']);
    assert.equal((await feed.load()).pressure?.fullAvg10, 30);
  });

  test("the tray's load asks no Explain and no facts", async () => {
    const { agent, feed, factsAsked } = await setup();
    await feed.loadWithoutExplanation();
    assert.deepEqual(await callsOf(agent, () => feed.loadWithoutExplanation()), ['DryRun', 'ListApps']);
    const d = await feed.loadWithoutExplanation();
    assert.deepEqual([d.explanation, d.facts, factsAsked()], [null, null, 0]);
    assert.equal((await feed.load()).facts?.hostname, 'h');
    await feed.load();
    assert.equal(factsAsked(), 1, 'facts are asked once');
  });

  test('the tray and the window loading at once share one ListApps', async () => {
    const { agent, feed } = await setup();
    await feed.load();
    const calls = await callsOf(agent, () => Promise.all([feed.load(), feed.loadWithoutExplanation()]));
    assert.deepEqual(calls.filter((c) => c === 'ListApps'), ['ListApps']);
  });

  test('an agent without GetPressureHistory gives its latest sample instead', async () => {
    const { agent, feed } = await setup();
    agent.hasPressureHistory = false;
    const d = await feed.load();
    assert.deepEqual(d.pressureHistory.map((p) => p.sampledAtMs - T0), [-2000]);
  });
});

describe('signals', () => {
  test('StateChanged, kills and preferences change what the next load gives without asking for them', async () => {
    const { agent, feed, events } = await setup();
    await feed.load();
    agent.on.state!('elevated', 'calm', 'tight', pressureRecord({ sampledAtMs: T0 + 500 }));
    const kill = killRecord('firefox', 'killed', { unit: agent.apps[0]!.unit });
    agent.on.killed!(kill);
    agent.on.warned!(killRecord('gimp', 'warned'));
    agent.on.preference!('gimp', 'avoid');
    assert.deepEqual(events.map((e) => e.kind), ['state', 'killed', 'warned', 'preference']);
    const calls = await callsOf(agent, () => feed.load());
    assert.ok(!calls.includes('State') && !calls.some((c) => c.startsWith('GetHistory')), calls.join());
    const d = await feed.load();
    assert.equal(d.state, 'elevated');
    assert.deepEqual(d.history.map((k) => k.outcome), ['warned', 'killed', 'killed']);
    assert.equal(d.pressure?.sampledAtMs, T0 + 500);
  });

  test('Paused and Resumed are passed on as events and kept in the history', async () => {
    const { agent, feed, events } = await setup();
    await feed.load();
    agent.on.paused!(killRecord('firefox', 'paused', { pausedUntilMs: T0 + 60_000 }));
    agent.on.resumed!(killRecord('firefox', 'resumed'));
    assert.deepEqual(events.map((e) => e.kind), ['paused', 'resumed']);
    assert.deepEqual((await feed.load()).history.map((k) => k.outcome), ['resumed', 'paused', 'killed']);
  });

  test('resume and quit go to the agent as asked, force included', async () => {
    const { agent, feed } = await setup();
    assert.deepEqual(await callsOf(agent, () => feed.resumeApp('app-gnome-firefox-1234.scope')), ['ResumeApp app-gnome-firefox-1234.scope']);
    assert.deepEqual(await callsOf(agent, () => feed.quitApp('firefox', false)), ['QuitApp firefox false']);
    assert.deepEqual(await callsOf(agent, () => feed.quitApp('firefox', true)), ['QuitApp firefox true']);
  });

  test('a kill signalled while the seed asks for the history is kept', async () => {
    const { agent, feed } = await setup();
    const racing = killRecord('gimp', 'killed');
    agent.duringHistory = () => agent.on.killed!(racing);
    const d = await feed.load();
    assert.deepEqual(d.history.map((k) => k.id), [racing.id, agent.savedHistory[0]!.id]);
  });
});

describe('the agent coming and going', () => {
  test('gone: said at once, no calls, the ring and history kept; back: read again', async () => {
    const { agent, feed, events, nameOwner } = await setup();
    await feed.load();
    agent.on.killed!(killRecord('firefox', 'killed'));
    nameOwner(false);
    assert.deepEqual(events.at(-1), { kind: 'agent', running: false });
    const calls = await callsOf(agent, () => feed.load());
    const gone = await feed.load();
    assert.deepEqual(calls, []);
    assert.deepEqual([gone.agentRunning, gone.state, gone.apps.length, gone.history.length, gone.pressureHistory.length], [false, '', 0, 2, 2]);
    nameOwner(true);
    assert.deepEqual(events.at(-1), { kind: 'agent', running: true });
    assert.ok((await callsOf(agent, () => feed.load())).includes('Version'), 'a new agent is seeded');
  });

  test('not running at start: the page is told so, nothing is asked', async () => {
    const { agent, feed } = await setup(false);
    assert.deepEqual(await callsOf(agent, () => feed.load()), []);
    assert.equal((await feed.load()).agentRunning, false);
  });

  test('a bad preference never reaches the agent', async () => {
    const { agent, feed } = await setup();
    await assert.rejects(feed.setPreference('', 'avoid'), /bad preference/);
    await feed.setPreference('gimp', 'omit');
    assert.deepEqual(agent.calls, ['SetPreference gimp omit']);
  });
});
