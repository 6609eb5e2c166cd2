// D-Bus fuzz of the real agent (issue 13): every method, with random types, sizes and unicode,
// for a fixed number of calls from a fixed seed. Each call must be answered (a reply or a
// D-Bus error), and the agent must be alive afterwards with its memory bounded.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { callRaw, connectSessionBus, type MessageBus } from '../../agent/bus/dbus.js';
import { AGENT_BUS_NAME, AGENT_INTERFACE, AGENT_OBJECT_PATH } from '../../shared/names.js';
import { AgentProcess, makeHome, ProcRoot, type Home } from '../support/agent-process.js';
import { CgroupTree, cgroupTreeUnavailable } from '../support/cgroup-tree.js';
import { dbusDaemonAvailable, startPrivateBus, type PrivateBus } from '../support/private-bus.js';

const unavailable = cgroupTreeUnavailable() || (dbusDaemonAvailable() ? '' : 'dbus-daemon is not installed');
const CALLS = 400;
const SEED = 0x5eed;
const MiB = 1024 * 1024;

/** mulberry32: a small seeded generator, so a failing sequence can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const METHODS: [string, string][] = [
  ['ListApps', ''], ['GetHistory', 'u'], ['GetPressureHistory', 'u'], ['ListLaunchers', ''], ['Launch', 'sas'], ['Explain', ''],
  ['KillApp', 's'], ['SetPreference', 'ss'], ['GetPreferences', ''], ['Reload', ''], ['ResumeApp', 's'], ['QuitApp', 'sb'],
  ['NoSuchMethod', 's'],
];
const SIGNATURES = ['', 's', 'u', 'i', 'b', 'd', 'ss', 'sas', 'as', 'us', 'a{ss}'];
// Scripts, emoji, right-to-left marks, combining marks, escape-like text: anything but NUL.
const ALPHABET = ['a', 'Z', '-', '.', '/', '\\', '@', ':', '%', ' ', '\n', '\t', '\u001b', 'é', 'ß', '日', '本', '🦊', '👩‍💻', '\u202e', '\u0301', '\uFFFD', '\\x2f', '..', 'constructor', '__proto__', 'omit', 'avoid'];

describe('D-Bus fuzz of the agent', { skip: unavailable || false }, () => {
  let bus: PrivateBus;
  let tree: CgroupTree;
  let home: Home;
  let agent: AgentProcess;
  let client: MessageBus;

  before(async () => {
    bus = await startPrivateBus();
    tree = new CgroupTree();
    const proc = new ProcRoot(50);
    home = makeHome(bus.address);
    agent = await AgentProcess.start(home, ['--user-tree', tree.path, '--proc-root', proc.path]);
    client = connectSessionBus(bus.address);
  });
  after(async () => {
    client?.disconnect();
    await agent?.stop();
    await tree?.remove();
    await bus?.stop();
  });

  test(`${CALLS} calls with random types, sizes and unicode: every one answered, the agent alive and bounded`, async () => {
    const rand = rng(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const str = (): string => {
      const len = pick([0, 1, 8, 64, 255, 256, 1000, 4096, 70_000, rand() < 0.05 ? 2 * MiB : 10]);
      let s = '';
      while (s.length < len) s += pick(ALPHABET);
      return s.slice(0, len).replace(/[\uD800-\uDFFF]+$/, ''); // no half a surrogate pair at the cut
    };
    const value = (t: string): unknown => {
      switch (t) {
        case 's': return str();
        case 'u': return pick([0, 1, 5, 1000, 0xffffffff, Math.floor(rand() * 1e6)]);
        case 'i': return pick([0, -1, 2 ** 31 - 1, -(2 ** 31)]);
        case 'b': return rand() < 0.5;
        case 'd': return pick([0, -1.5, 1e308, Number.MIN_VALUE]);
        case 'as': return Array.from({ length: pick([0, 1, 3, 70, 5000]) }, () => str().slice(0, 300));
        case 'a{ss}': return Object.fromEntries(Array.from({ length: pick([0, 2, 50]) }, () => [str().slice(0, 40), str().slice(0, 40)]));
        default: throw new Error(`no generator for ${t}`);
      }
    };
    const types = (sig: string): string[] => sig.match(/a\{ss\}|as|[a-z]/g) ?? [];
    let replies = 0;
    let errors = 0;
    for (let i = 0; i < CALLS; i++) {
      const [member, right] = pick(METHODS);
      const signature = rand() < 0.7 ? right : pick(SIGNATURES);
      const body = types(signature).map(value);
      const answer = await Promise.race([
        callRaw(client, { destination: AGENT_BUS_NAME, path: AGENT_OBJECT_PATH, interface: AGENT_INTERFACE, member, signature, body })
          .then(() => 'reply', (err: unknown) => (err instanceof Error && err.name === 'DBusError' ? 'error' : `client: ${String(err)}`)),
        new Promise<string>((r) => setTimeout(() => r('timeout'), 15_000)),
      ]);
      assert.ok(answer === 'reply' || answer === 'error', `call ${i}: ${member}(${signature}) got ${answer}`);
      if (answer === 'reply') replies++;
      else errors++;
      assert.equal(agent.child.exitCode, null, `the agent is alive after call ${i} (${member}(${signature}))`);
    }
    assert.ok(replies > 50 && errors > 50, `both answers seen (${replies} replies, ${errors} errors)`);
    const [state] = await callRaw(client, { destination: AGENT_BUS_NAME, path: AGENT_OBJECT_PATH, interface: 'org.freedesktop.DBus.Properties', member: 'Get', signature: 'ss', body: [AGENT_INTERFACE, 'State'] });
    assert.ok(state, 'still answers');
    const rssKiB = Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${agentPid(agent)}/status`, 'utf8'))?.[1]);
    assert.ok(rssKiB < 200 * 1024, `resident memory bounded (${Math.round(rssKiB / 1024)} MiB)`);
  });
});

/** The Node process behind bin/headroom (the shim execs it, so the pid is the same). */
const agentPid = (a: AgentProcess): number => a.child.pid!;
