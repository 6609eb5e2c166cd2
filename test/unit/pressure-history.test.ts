// The agent's 30-minute pressure ring (agent/pressure-history.ts): one sample a step, the
// oldest dropped past the cap, and the window GetPressureHistory asks for.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PRESSURE_HISTORY_SAMPLES, PRESSURE_HISTORY_STEP_MS } from '../../agent/core/constants.js';
import { PressureHistory } from '../../agent/pressure-history.js';
import { pressureRecord } from '../support/tray-fixtures.js';

const sample = (sampledAtMs: number) => pressureRecord({ sampledAtMs });
const times = (ring: PressureHistory, seconds = 0): number[] => ring.since(seconds).map((p) => p.sampledAtMs);

describe('PressureHistory', () => {
  test('keeps one sample a step: a sooner one, or one a little older than the newest, is dropped', () => {
    const ring = new PressureHistory();
    const step = PRESSURE_HISTORY_STEP_MS;
    for (const at of [0, step - 1, step, step + 10, step - 500, 2 * step]) ring.note(sample(at));
    assert.deepEqual(times(ring), [0, step, 2 * step]);
  });

  test('a sample far older than the newest is the wall clock set back: it is kept', () => {
    const ring = new PressureHistory();
    ring.note(sample(100_000));
    ring.note(sample(100_000 - 3 * PRESSURE_HISTORY_STEP_MS));
    assert.deepEqual(times(ring), [100_000, 100_000 - 3 * PRESSURE_HISTORY_STEP_MS]);
  });

  test('keeps the newest PRESSURE_HISTORY_SAMPLES, and answers the last `seconds` before the newest', () => {
    const ring = new PressureHistory();
    for (let i = 0; i < PRESSURE_HISTORY_SAMPLES + 5; i++) ring.note(sample(i * PRESSURE_HISTORY_STEP_MS));
    const all = times(ring);
    assert.equal(all.length, PRESSURE_HISTORY_SAMPLES);
    assert.equal(all[0], 5 * PRESSURE_HISTORY_STEP_MS);
    const newest = all[all.length - 1]!;
    assert.deepEqual(times(ring, (2 * PRESSURE_HISTORY_STEP_MS) / 1000), [newest - 2 * PRESSURE_HISTORY_STEP_MS, newest - PRESSURE_HISTORY_STEP_MS, newest]);
    assert.deepEqual(new PressureHistory().since(60), []);
  });
});
