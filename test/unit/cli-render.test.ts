// The CLI's history lines for a pause and a resume (agent/cli/render.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderKill } from '../../agent/cli/render.js';
import { GiB, killRecord } from '../support/tray-fixtures.js';

describe('headroom history words', () => {
  const at = Date.UTC(2026, 11, 2, 14, 5, 0);
  test('a pause says what the app held and until when it waits for an answer', () => {
    const k = killRecord('firefox', 'paused', { displayName: 'Firefox', atMs: at, memoryFreedBytes: GiB, swapFreedBytes: 0.2 * GiB, pausedUntilMs: at + 60_000, because: 'memory runs out in 40 s' });
    assert.equal(renderKill(k), '2026-12-02 14:05:00Z  paused Firefox (1.2 GiB, 3 processes) until 2026-12-02 14:06:00Z [pressure]: memory runs out in 40 s');
  });

  test('a resume says resumed, and why', () => {
    const k = killRecord('firefox', 'resumed', { displayName: 'Firefox', atMs: at, because: 'resumed by the user' });
    assert.equal(renderKill(k), '2026-12-02 14:05:00Z  resumed Firefox [pressure]: resumed by the user');
  });

  test('a kill still reads as before', () => {
    assert.match(renderKill(killRecord('hog', 'killed', { atMs: at })), /^2026-12-02 14:05:00Z {2}killed hog \(2\.0 GiB, 3 processes\)/);
  });
});
