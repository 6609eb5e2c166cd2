import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { CandidateSpec, KillSpec, PressureSpec, RecordDecodeError, decodeRecord, encodeRecord, toJsonSafe } from '../../shared/records.js';
import type { CandidateRecord, EventRecord, PressureRecord, Tagged } from '../../shared/records.js';

const candidate = (over: Partial<CandidateRecord> = {}): CandidateRecord => ({
  unit: 'app-flatpak-org.mozilla.firefox-12345.scope',
  appId: 'org.mozilla.firefox',
  displayName: 'Firefox',
  preference: 'none',
  memoryBytes: 3_221_225_472,
  swapBytes: 536_870_912,
  processCount: 14,
  excluded: '',
  ...over,
});

const KILL: EventRecord = {
  id: 'k-1718000000000-1',
  unit: 'app-flatpak-org.mozilla.firefox-12345.scope',
  appId: 'org.mozilla.firefox',
  displayName: 'Firefox',
  reason: 'pressure',
  because: 'memory stalled 42% of the last 2.0 s',
  outcome: 'killed',
  dryRun: false,
  processCount: 14,
  processesLeft: 0,
  memoryFreedBytes: 3_221_225_472,
  swapFreedBytes: 536_870_912,
  graceMs: 2000,
  durationMs: 1834,
  childPid: 0,
  childKind: '', pausedUntilMs: 0,
  someAvg10: 61.2,
  fullAvg10: 55.13,
  fullRecentPct: 42.5,
  memAvailableBytes: 268_435_456,
  swapFreeBytes: 0,
  atMs: 1_718_000_000_000,
  candidates: [
    candidate(),
    candidate({ unit: 'app-gnome-org.gnome.Terminal-1234.scope', appId: 'org.gnome.Terminal', displayName: 'Terminal', preference: 'avoid', memoryBytes: 104_857_600, swapBytes: 0, processCount: 3 }),
    candidate({ unit: 'app-headroom-headroom\\x2dtray-0123456789abcdef.scope', appId: 'headroom-tray', displayName: 'Headroom', preference: 'omit', memoryBytes: 0, swapBytes: 0, processCount: 1, excluded: 'part of Headroom' }),
  ],
};

const entries = (r: Record<string, Tagged>): Record<string, Tagged> => r;
const isTagged = (v: unknown): v is Tagged => typeof v === 'object' && v !== null && 'signature' in v && 'value' in v;

describe('encodeRecord', () => {
  test('every field is tagged with its signature; t/x become BigInt, u stays a number', () => {
    const wire = encodeRecord(KillSpec, KILL);
    assert.deepEqual(Object.keys(wire), Object.keys(KillSpec));
    assert.deepEqual(wire.id, { signature: 's', value: 'k-1718000000000-1' });
    assert.deepEqual(wire.dryRun, { signature: 'b', value: false });
    assert.deepEqual(wire.memoryFreedBytes, { signature: 't', value: 3_221_225_472n });
    assert.deepEqual(wire.atMs, { signature: 'x', value: 1_718_000_000_000n });
    assert.deepEqual(wire.processCount, { signature: 'u', value: 14 });
    assert.deepEqual(wire.fullAvg10, { signature: 'd', value: 55.13 });
    assert.equal(wire.candidates?.signature, 'aa{sv}');
  });

  test('nested candidates are encoded records too', () => {
    const list = encodeRecord(KillSpec, KILL).candidates?.value;
    assert.ok(Array.isArray(list));
    assert.equal(list.length, 3);
    const first: unknown = list[0];
    assert.ok(first !== null && typeof first === 'object');
    const memory = (first as Record<string, unknown>).memoryBytes;
    assert.ok(isTagged(memory));
    assert.equal(memory.signature, 't');
    assert.equal(memory.value, 3_221_225_472n);
  });

  test('JSON.stringify cannot take the encoded form (why decode must undo BigInt)', () => {
    assert.throws(() => JSON.stringify(encodeRecord(KillSpec, KILL)), TypeError);
  });

  test('t and u clamp negatives to 0 and round; x and i keep the sign', () => {
    const p: PressureRecord = {
      someAvg10: 0, fullAvg10: 0, someAvg60: 0, fullAvg60: 0, fullRecentPct: 0, appsSomeAvg10: 0, appsFullAvg10: 0,
      memTotalBytes: 1024.4, memAvailableBytes: -5, swapTotalBytes: 0, swapFreeBytes: 0, sampledAtMs: -1000,
    };
    const wire = encodeRecord(PressureSpec, p);
    assert.equal(wire.memTotalBytes?.value, 1024n);
    assert.equal(wire.memAvailableBytes?.value, 0n);
    assert.equal(wire.sampledAtMs?.value, -1000n);
  });

  test('a non-number for an integer field is rejected, naming it', () => {
    const bad = { ...KILL, memoryFreedBytes: Number.NaN };
    assert.throws(() => encodeRecord(KillSpec, bad), { name: 'RecordDecodeError', message: /memoryFreedBytes/ });
  });
});

describe('decodeRecord', () => {
  test('round trip of a EventRecord with nested candidates', () => {
    assert.deepEqual(decodeRecord(KillSpec, encodeRecord(KillSpec, KILL)), KILL);
  });

  test('decoded values are plain numbers and survive JSON.stringify', () => {
    const back = decodeRecord(KillSpec, encodeRecord(KillSpec, KILL));
    assert.equal(typeof back.atMs, 'number');
    assert.equal(typeof back.candidates[0]?.memoryBytes, 'number');
    assert.deepEqual(JSON.parse(JSON.stringify(back)), KILL);
  });

  test('unknown extra fields are ignored (a newer agent may add some)', () => {
    const wire = { ...entries(encodeRecord(CandidateSpec, candidate())), futureField: { signature: 's', value: 'x' } };
    const back = decodeRecord(CandidateSpec, wire);
    assert.deepEqual(back, candidate());
    assert.ok(!('futureField' in back));
  });

  test('a wrong signature is rejected, naming field and both signatures', () => {
    const wire = { ...encodeRecord(CandidateSpec, candidate()), memoryBytes: { signature: 'u', value: 5 } };
    assert.throws(() => decodeRecord(CandidateSpec, wire), (err: unknown) => {
      assert.ok(err instanceof RecordDecodeError);
      assert.match(err.message, /memoryBytes/);
      assert.match(err.message, /expected signature t, got u/);
      return true;
    });
  });

  test('a missing field is rejected, naming it', () => {
    const wire: Record<string, Tagged> = { ...encodeRecord(CandidateSpec, candidate()) };
    delete wire.displayName;
    assert.throws(() => decodeRecord(CandidateSpec, wire), { name: 'RecordDecodeError', message: 'missing field displayName' });
  });

  test('a missing field inside a nested candidate is named', () => {
    const wire = encodeRecord(KillSpec, KILL);
    const list = wire.candidates?.value as Record<string, Tagged>[];
    delete list[1]?.excluded;
    assert.throws(() => decodeRecord(KillSpec, wire), { name: 'RecordDecodeError', message: /excluded/ });
  });

  test('a string where a number is expected is rejected, naming the field', () => {
    const wire = { ...encodeRecord(CandidateSpec, candidate()), processCount: { signature: 'u', value: '14' } };
    assert.throws(() => decodeRecord(CandidateSpec, wire), { name: 'RecordDecodeError', message: /processCount: expected a number/ });
  });

  const mistyped: [string, string, unknown][] = [
    ['unit', 's', 5],
    ['dryRun', 'b', 'false'],
    ['atMs', 'x', null],
    ['fullAvg10', 'd', '1.5'],
    ['candidates', 'aa{sv}', {}],
  ];
  for (const [field, signature, value] of mistyped) {
    test(`mistyped ${field} (${JSON.stringify(value)}) is rejected, naming it`, () => {
      const wire = { ...encodeRecord(KillSpec, KILL), [field]: { signature, value } };
      assert.throws(() => decodeRecord(KillSpec, wire), { name: 'RecordDecodeError', message: new RegExp(`field ${field}: `) });
    });
  }

  test('a non-dictionary is rejected', () => {
    for (const v of [null, undefined, 42, 'x']) {
      assert.throws(() => decodeRecord(KillSpec, v), { name: 'RecordDecodeError', message: 'expected a dictionary' });
    }
  });

  test('a plain number on the wire for t is accepted as is', () => {
    const wire = { ...encodeRecord(CandidateSpec, candidate()), memoryBytes: { signature: 't', value: 77 } };
    assert.equal(decodeRecord(CandidateSpec, wire).memoryBytes, 77);
  });
});

describe('toJsonSafe', () => {
  test('turns nested BigInt into numbers and leaves the rest', () => {
    const v = { a: 1n, b: [2n, { c: 3n, d: 'x' }], e: null, f: true, g: 1.5 };
    assert.deepEqual(toJsonSafe(v), { a: 1, b: [2, { c: 3, d: 'x' }], e: null, f: true, g: 1.5 });
  });

  test('makes an encoded record serialisable', () => {
    const safe = toJsonSafe(encodeRecord(KillSpec, KILL));
    const json = JSON.stringify(safe);
    const parsed = JSON.parse(json) as { atMs: Tagged; candidates: { value: { memoryBytes: Tagged }[] } };
    assert.deepEqual(parsed.atMs, { signature: 'x', value: 1_718_000_000_000 });
    assert.equal(parsed.candidates.value[0]?.memoryBytes.value, 3_221_225_472);
  });

  test('a bare BigInt', () => {
    assert.equal(toJsonSafe(5n), 5);
  });
});
