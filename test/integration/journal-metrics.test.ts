// The adapters that report to the engines admins run (agent/io/journal.ts, agent/io/metrics-file.ts).
// The journal half talks to a real systemd-journald: started here in a mount namespace of its
// own (tmpfs on /run/systemd and /run/log), so the host's /run is never touched; the entries go
// through the real `logger --journald` and are read back with journalctl -o json.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import parse from 'parse-prometheus-text-format';
import { killEntry, MESSAGE_IDS, stateEntry } from '../../agent/core/journal-entry.js';
import { journalReport, openJournal } from '../../agent/io/journal.js';
import { metricsFileName, openMetricsFile } from '../../agent/io/metrics-file.js';
import { killRecord, pressureRecord } from '../support/tray-fixtures.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'headroom-report-'));
const JOURNALD = ['/lib/systemd/systemd-journald', '/usr/lib/systemd/systemd-journald'].find((p) => existsSync(p));
const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const journaldMissing = process.getuid?.() !== 0 ? 'needs root (a mount namespace for a private journald)'
  : JOURNALD === undefined ? 'no systemd-journald (apt-get install systemd)'
  : !['unshare', 'nsenter', 'logger', 'journalctl'].every(has) ? 'needs unshare, nsenter, logger and journalctl'
  : null;
if (journaldMissing !== null && process.env.CI === 'true') throw new Error(`journal tests cannot run in CI: ${journaldMissing}`);

/** A systemd-journald of our own: its namespace is reached through /proc/PID. */
class PrivateJournald {
  #child: ChildProcess | null = null;
  get pid(): number {
    return this.#child!.pid!;
  }
  get socket(): string {
    return `/proc/${this.pid}/root/run/systemd/journal/socket`;
  }
  /** Run a command in the journald's mount namespace. */
  inside(...argv: string[]): string[] {
    return ['nsenter', `--mount=/proc/${this.pid}/ns/mnt`, ...argv];
  }
  async start(): Promise<void> {
    const mounts = 'mount -t tmpfs tmpfs /run/systemd && mount -t tmpfs tmpfs /run/log && mkdir -p /run/systemd/journal ' +
      '&& { [ ! -d /var/log/journal ] || mount -t tmpfs tmpfs /var/log/journal; }';
    this.#child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `mkdir -p /run/systemd /run/log && ${mounts} && exec "$0"`, JOURNALD!], { stdio: 'ignore' });
    for (let i = 0; i < 100 && !existsSync(this.socket); i++) await sleep(50);
    assert.ok(existsSync(this.socket), 'the private journald made its socket');
  }
  /** Every entry with this MESSAGE_ID, as journalctl -o json prints it. */
  read(match: string): Record<string, unknown>[] {
    const [cmd, ...args] = this.inside('journalctl', '-D', '/run/log/journal', '--no-pager', '-o', 'json', match);
    const out = spawnSync(cmd!, args, { encoding: 'utf8' });
    return out.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
  }
  stop(): void {
    this.#child?.kill('SIGKILL');
  }
}

describe('journal', { skip: journaldMissing ?? false }, () => {
  const journald = new PrivateJournald();
  before(() => journald.start());
  after(() => journald.stop());

  test('a kill reaches journald as one entry with its fields; a name with newlines forges none', async () => {
    const warnings: string[] = [];
    const journal = openJournal({ socket: journald.socket, command: journald.inside('logger', '--journald'), pid: 4242, warn: (m) => warnings.push(m) });
    assert.ok(journal, 'the socket exists: entries are sent');
    const evil = 'Evil\nPRIORITY=0\nMESSAGE_ID=d989611b15e44c9dbf31e3c81256e4ed';
    const report = journalReport(journal);
    report.killed(killRecord('hog', 'killed', { id: 'k-int-1', unit: 'app-headroom-hog-1.scope', displayName: evil, because: 'full stall 40 % for 2 s' }));
    report.stateChanged('critical', 'elevated', 'runway gone', pressureRecord({ memAvailableBytes: 12345 }));
    await journal.drained();
    assert.deepEqual(warnings, []);
    // journald may take a moment to write what it received.
    let kills: Record<string, unknown>[] = [];
    for (let i = 0; i < 40 && kills.length === 0; i++, await sleep(50)) kills = journald.read(`MESSAGE_ID=${MESSAGE_IDS.kill}`);
    assert.equal(kills.length, 1);
    const k = kills[0]!;
    assert.equal(k.PRIORITY, '4');
    assert.equal(k.SYSLOG_IDENTIFIER, 'headroom');
    assert.equal(k.SYSLOG_PID, '4242');
    assert.equal(k._TRANSPORT, 'journal', 'the native protocol, not a stream line');
    assert.equal(k.HEADROOM_EVENT_ID, 'k-int-1');
    assert.equal(k.HEADROOM_APP_ID, 'hog');
    assert.equal(k.HEADROOM_UNIT, 'app-headroom-hog-1.scope');
    assert.equal(k.HEADROOM_OUTCOME, 'killed');
    assert.equal(k.HEADROOM_REASON, 'pressure');
    assert.equal(k.HEADROOM_APP_NAME, 'Evil\\x0aPRIORITY=0\\x0aMESSAGE_ID=d989611b15e44c9dbf31e3c81256e4ed');
    assert.deepEqual(journald.read('MESSAGE_ID=d989611b15e44c9dbf31e3c81256e4ed'), [], 'no forged oomd entry');
    // Every field of the entry arrived, each once (a repeated field would read as an array).
    for (const [name, value] of killEntry(killRecord('hog', 'killed'))) {
      if (name === 'MESSAGE' || name.startsWith('HEADROOM_') || name === 'PRIORITY') assert.equal(typeof k[name], 'string', `${name} (${value})`);
    }
    const states = journald.read(`MESSAGE_ID=${MESSAGE_IDS.stateChanged}`);
    assert.deepEqual(states.map((s) => [s.HEADROOM_STATE, s.HEADROOM_PREVIOUS_STATE, s.HEADROOM_MEM_AVAILABLE_BYTES]), [['critical', 'elevated', '12345']]);
    assert.ok(Number(states[0]!.__REALTIME_TIMESTAMP) > Number(k.__REALTIME_TIMESTAMP), 'entries go in the order they were sent');
  });

  test('many entries at once arrive in order', async () => {
    const journal = openJournal({ socket: journald.socket, command: journald.inside('logger', '--journald'), warn: (m) => assert.fail(m) })!;
    for (let i = 0; i < 10; i++) journal.send(stateEntry('elevated', 'calm', `burst ${i}`, pressureRecord()));
    await journal.drained();
    await sleep(200);
    const got = journald.read('HEADROOM_STATE=elevated').map((e) => e.HEADROOM_BECAUSE);
    assert.deepEqual(got, Array.from({ length: 10 }, (_, i) => `burst ${i}`));
  });
});

describe('journal fallback', () => {
  test('without a journal socket nothing is sent: the log lines alone remain', () => {
    assert.equal(openJournal({ socket: join(tmp(), 'no-socket'), warn: () => assert.fail('no warning') }), null);
  });

  test('a sender that fails is said once, until one goes through; a missing one does not crash', async () => {
    const dir = tmp();
    const socket = join(dir, 'socket');
    writeFileSync(socket, '');
    const flag = join(dir, 'ok');
    const got = join(dir, 'got');
    const script = `cat >>"${got}"; [ -e "${flag}" ] || { echo "journald entry could not be written" >&2; exit 1; }`;
    const warnings: string[] = [];
    const journal = openJournal({ socket, command: ['sh', '-c', script], warn: (m) => warnings.push(m) })!;
    const entry = stateEntry('elevated', 'calm', 'x', pressureRecord());
    journal.send(entry);
    journal.send(entry);
    await journal.drained();
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /exited 1: journald entry could not be written/);
    writeFileSync(flag, '');
    journal.send(entry);
    await journal.drained();
    rmSync(flag);
    journal.send(entry);
    await journal.drained();
    assert.equal(warnings.length, 2, 'a new failure after a success is said again');
    assert.equal(readFileSync(got, 'utf8').split('MESSAGE_ID=').length - 1, 4, 'each entry went to the sender');

    const missing: string[] = [];
    const none = openJournal({ socket, command: ['/nonexistent/logger'], warn: (m) => missing.push(m) })!;
    none.send(entry);
    await none.drained();
    assert.match(missing[0] ?? '', /cannot run \/nonexistent\/logger/);
  });
});

describe('metrics file', () => {
  const clock = { ms: 1_700_000_000_000 };
  const now = (): number => clock.ms;
  const uid = 1000;

  test('off by default: no directory, no file, no timer', async () => {
    const m = openMetricsFile({ dir: '', uid, warn: () => assert.fail('no warning') });
    m.killed(killRecord('hog', 'killed'));
    await m.flushed();
    assert.equal(m.path(), null);
  });

  test('written at once on an event, atomically, readable by node_exporter (0644), no temp file left', async () => {
    const dir = tmp();
    const m = openMetricsFile({ dir, uid, now, warn: () => assert.fail('no warning') });
    await m.flushed();
    const path = join(dir, metricsFileName(uid));
    assert.equal(m.path(), path);
    assert.equal(statSync(path).mode & 0o777, 0o644);
    m.killed(killRecord('hog', 'killed'));
    await m.flushed();
    const kills = parse(readFileSync(path, 'utf8')).find((f) => f.name === 'headroom_kills_total');
    assert.deepEqual(kills?.metrics, [{ value: '1', labels: { uid: '1000', app: 'hog', reason: 'pressure', outcome: 'killed' } }]);
    assert.deepEqual(readdirSync(dir), [metricsFileName(uid)]);
    await m.stop();
  });

  test('calm looks never write; looks while not calm write at most every busyWriteMs', async () => {
    const dir = tmp();
    const path = join(dir, metricsFileName(uid));
    const m = openMetricsFile({ dir, uid, now, busyWriteMs: 5000, warn: () => assert.fail('no warning') });
    await m.flushed();
    const updated = (): string => /^headroom_last_update_timestamp_seconds\S* (\S+)$/m.exec(readFileSync(path, 'utf8'))?.[1] ?? '';
    const first = updated();
    for (let i = 0; i < 5; i++) {
      clock.ms += 10_000;
      m.looked('calm', pressureRecord());
      await m.flushed();
    }
    assert.equal(updated(), first, 'calm looks leave the file alone');
    clock.ms += 1000;
    m.looked('elevated', pressureRecord({ memAvailableBytes: 777 }));
    await m.flushed();
    const busy = updated();
    assert.notEqual(busy, first, 'a look while elevated writes');
    assert.match(readFileSync(path, 'utf8'), /^headroom_mem_available_bytes\{uid="1000"\} 777$/m);
    clock.ms += 1000;
    m.looked('elevated', pressureRecord());
    await m.flushed();
    assert.equal(updated(), busy, 'not again within busyWriteMs');
    clock.ms += 5000;
    m.looked('critical', pressureRecord());
    await m.flushed();
    assert.notEqual(updated(), busy);
    await m.stop();
  });

  test('the heartbeat rewrites the file whatever the state; stop() says headroom_up 0', async () => {
    const dir = tmp();
    const path = join(dir, metricsFileName(uid));
    const m = openMetricsFile({ dir, uid, heartbeatMs: 50, warn: () => assert.fail('no warning') });
    await m.flushed();
    const before = statSync(path).mtimeMs;
    await sleep(200);
    assert.ok(statSync(path).mtimeMs > before, 'rewritten by the heartbeat');
    await m.stop();
    assert.match(readFileSync(path, 'utf8'), /^headroom_up\{uid="1000"\} 0$/m);
    const stopped = statSync(path).mtimeMs;
    await sleep(150);
    assert.equal(statSync(path).mtimeMs, stopped, 'no heartbeat after stop');
  });

  test('an unwritable directory is said once; a reload that names a good one recovers', async () => {
    const warnings: string[] = [];
    // Not a read-only directory: root writes there anyway. A file where the directory should be fails for everyone.
    const blocked = join(tmp(), 'file');
    writeFileSync(blocked, '');
    const m = openMetricsFile({ dir: join(blocked, 'sub'), uid, warn: (w) => warnings.push(w) });
    await m.flushed();
    m.killed(killRecord('a', 'killed'));
    await m.flushed();
    m.warned(killRecord('a', 'warned'));
    await m.flushed();
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /^metrics: cannot write .*headroom-1000\.prom: /);
    const good = tmp();
    m.setDir(good);
    await m.flushed();
    const text = readFileSync(join(good, metricsFileName(uid)), 'utf8');
    assert.match(text, /^headroom_warnings_total\{uid="1000"\} 1$/m, 'the counts survived the failing writes');
    m.setDir('');
    assert.equal(m.path(), null);
    await m.stop();
  });
});
