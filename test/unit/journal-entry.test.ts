// The journal entries' fields and their encoding for `logger --journald` (agent/core/journal-entry.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeForLogger, killEntry, MAX_FIELD_CHARS, MESSAGE_IDS, outOfReachEntry, stateEntry, warningEntry, type JournalEntry } from '../../agent/core/journal-entry.js';
import { GiB, killRecord, MiB, pressureRecord } from '../support/tray-fixtures.js';

const fields = (e: JournalEntry): Map<string, string> => new Map(e);
/** What journald would store: logger's reading of the text, one field per line. */
const asLoggerReadsIt = (text: string): [string, string][] =>
  text.split('\n').filter((l) => l !== '').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]);

describe('MESSAGE_IDs', () => {
  test('one per event kind, 128-bit ids as systemd-id128 writes them, all different', () => {
    const ids = Object.values(MESSAGE_IDS);
    for (const id of ids) assert.match(id, /^[0-9a-f]{32}$/);
    assert.equal(new Set(ids).size, ids.length);
  });
  test('they never change: tools and alert rules match on them (README lists them)', () => {
    assert.deepEqual(MESSAGE_IDS, {
      kill: 'ea58a7f8cc504472a359b24c3660aef1',
      wouldKill: 'b2ff1355384b470aa26c8a6d81877000',
      warning: '48855185cc37483291f8b6a7ab201f51',
      outOfReach: '49b0d0a5e993461882dcb4cf030575ea',
      stateChanged: 'f4867bf5d2d1409ab770a1a7b4c2faa6',
      paused: 'b590784aa4104a0eb061ca05b570a27c',
      resumed: 'c1c5adf62f5f425a915ae0c75ff152c9',
    });
  });
});

describe('entries', () => {
  test('a kill carries the app, unit, reason, outcome, freed bytes and memory left', () => {
    const f = fields(killEntry(killRecord('firefox', 'killed', { id: 'k-1', unit: 'app-firefox-1.scope', displayName: 'Firefox', memoryFreedBytes: 2 * GiB, swapFreedBytes: 512 * MiB, memAvailableBytes: 90 * MiB, because: 'full stall 40 % for 2 s' })));
    assert.equal(f.get('MESSAGE_ID'), MESSAGE_IDS.kill);
    assert.equal(f.get('PRIORITY'), '4');
    assert.equal(f.get('SYSLOG_IDENTIFIER'), 'headroom');
    assert.equal(f.get('HEADROOM_EVENT_ID'), 'k-1');
    assert.equal(f.get('HEADROOM_APP_ID'), 'firefox');
    assert.equal(f.get('HEADROOM_APP_NAME'), 'Firefox');
    assert.equal(f.get('HEADROOM_UNIT'), 'app-firefox-1.scope');
    assert.equal(f.get('HEADROOM_REASON'), 'pressure');
    assert.equal(f.get('HEADROOM_OUTCOME'), 'killed');
    assert.equal(f.get('HEADROOM_FREED_BYTES'), String(2.5 * GiB));
    assert.equal(f.get('HEADROOM_SWAP_FREED_BYTES'), String(512 * MiB));
    assert.equal(f.get('HEADROOM_MEM_AVAILABLE_BYTES'), String(90 * MiB));
    assert.equal(f.get('HEADROOM_BECAUSE'), 'full stall 40 % for 2 s');
    assert.equal(f.get('HEADROOM_DRY_RUN'), '0');
    assert.equal(f.get('MESSAGE'), 'Killed Firefox (app-firefox-1.scope) for pressure, freeing 2.5 GiB: full stall 40 % for 2 s');
  });

  test('partial and failed kills are errors under the same id; a dry run has its own', () => {
    const partial = fields(killEntry(killRecord('a', 'partial')));
    assert.deepEqual([partial.get('MESSAGE_ID'), partial.get('PRIORITY'), partial.get('HEADROOM_OUTCOME')], [MESSAGE_IDS.kill, '3', 'partial']);
    assert.match(partial.get('MESSAGE') ?? '', /only in part \(1 of 3 processes left\)/);
    const failed = fields(killEntry(killRecord('a', 'failed')));
    assert.deepEqual([failed.get('MESSAGE_ID'), failed.get('PRIORITY')], [MESSAGE_IDS.kill, '3']);
    const dry = fields(killEntry(killRecord('a', 'dry-run')));
    assert.deepEqual([dry.get('MESSAGE_ID'), dry.get('HEADROOM_OUTCOME'), dry.get('HEADROOM_DRY_RUN')], [MESSAGE_IDS.wouldKill, 'dry-run', '1']);
    assert.match(dry.get('MESSAGE') ?? '', /^Dry-run: would kill /);
  });

  test('a warning, a state change and an out-of-reach notice', () => {
    const w = fields(warningEntry(killRecord('code', 'warned')));
    assert.deepEqual([w.get('MESSAGE_ID'), w.get('PRIORITY'), w.get('HEADROOM_APP_ID')], [MESSAGE_IDS.warning, '5', 'code']);
    const p = pressureRecord({ memAvailableBytes: 300 * MiB, fullAvg10: 12.5 });
    const s = fields(stateEntry('critical', 'elevated', 'runway 1 % of RAM', p));
    assert.deepEqual([s.get('MESSAGE_ID'), s.get('HEADROOM_STATE'), s.get('HEADROOM_PREVIOUS_STATE'), s.get('HEADROOM_MEM_AVAILABLE_BYTES'), s.get('HEADROOM_PRESSURE_FULL_AVG10')],
      [MESSAGE_IDS.stateChanged, 'critical', 'elevated', String(300 * MiB), '12.5']);
    const o = fields(outOfReachEntry({ cgroup: '/user.slice/user-1000.slice/session-3.scope', label: 'your login session 3', unreclaimableBytes: GiB, topComm: 'hog', topPid: 42 }, 'not stopping the smaller x', p));
    assert.deepEqual([o.get('MESSAGE_ID'), o.get('PRIORITY'), o.get('HEADROOM_CGROUP'), o.get('HEADROOM_TOP_COMM'), o.get('HEADROOM_TOP_PID')],
      [MESSAGE_IDS.outOfReach, '4', '/user.slice/user-1000.slice/session-3.scope', 'hog', '42']);
  });

  test('every field name is one journald accepts and no entry repeats a field', () => {
    const p = pressureRecord();
    const entries = [killEntry(killRecord('a', 'killed')), warningEntry(killRecord('a', 'warned')), stateEntry('calm', 'elevated', 'ok', p),
      outOfReachEntry({ cgroup: '/x', label: 'x', unreclaimableBytes: 1, topComm: '', topPid: 0 }, 'b', p)];
    for (const e of entries) {
      for (const [name] of e) assert.match(name, /^[A-Z][A-Z0-9_]{0,63}$/);
      assert.equal(new Set(e.map(([n]) => n)).size, e.length, e.map(([n]) => n).join(' '));
    }
  });
});

describe('encodeForLogger', () => {
  test('one FIELD=value line per field', () => {
    assert.equal(encodeForLogger([['MESSAGE', 'hi'], ['HEADROOM_APP_ID', 'a=b']]), 'MESSAGE=hi\nHEADROOM_APP_ID=a=b\n');
  });

  test('a name with a newline cannot forge a field, a second MESSAGE or an empty line that ends the entry', () => {
    const evil = 'Evil\nPRIORITY=0\n\nMESSAGE_ID=d989611b15e44c9dbf31e3c81256e4ed\rMESSAGE=x';
    const text = encodeForLogger(killEntry(killRecord('evil', 'killed', { displayName: evil, appId: evil, unit: 'app-x.scope' })));
    const read = asLoggerReadsIt(text);
    assert.deepEqual(read.map(([n]) => n), killEntry(killRecord('a', 'killed')).map(([n]) => n), 'the same fields, no more');
    assert.equal(new Map(read).get('PRIORITY'), '4');
    assert.equal(new Map(read).get('MESSAGE_ID'), MESSAGE_IDS.kill);
    assert.equal(new Map(read).get('HEADROOM_APP_ID'), 'Evil\\x0aPRIORITY=0\\x0a\\x0aMESSAGE_ID=d989611b15e44c9dbf31e3c81256e4ed\\x0dMESSAGE=x');
    assert.ok(!text.includes('\n\n'));
  });

  test('any script and emoji pass; a value is cut at MAX_FIELD_CHARS', () => {
    assert.equal(encodeForLogger([['HEADROOM_APP_NAME', 'Café 日本語 🦊']]), 'HEADROOM_APP_NAME=Café 日本語 🦊\n');
    const long = encodeForLogger([['HEADROOM_BECAUSE', 'x'.repeat(10_000)]]);
    assert.equal(long.length, 'HEADROOM_BECAUSE='.length + MAX_FIELD_CHARS + 1);
    assert.ok(long.endsWith('…\n'));
  });
});
