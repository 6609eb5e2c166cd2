// The lab harness's reading of the guest's pace (lab/guest/lib.sh, lab_measure_pace):
// the slowest pace reported stretches the boot's limit, within bounds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadFelt, MAX_PACE, slowestPace } from '../../lab/guest.js';

test('the slowest reported pace counts, as a factor between 1 and MAX_PACE', () => {
  assert.equal(slowestPace(''), null);
  assert.equal(slowestPace('something else\n'), null);
  assert.equal(slowestPace('pace_pct=100 work_ms=90 uptime=14.2 at=boot\n'), 1);
  assert.equal(slowestPace('pace_pct=180 work_ms=180 uptime=30.1 at=boot\npace_pct=130 work_ms=130 uptime=60.0\n'), 1.8);
  assert.equal(slowestPace('pace_pct=40 work_ms=40 uptime=9\n'), 1, 'a faster host than the reference gets the idle budget, not less');
  assert.equal(slowestPace('pace_pct=9000 work_ms=9000 uptime=9\n'), MAX_PACE, 'a runaway measure cannot stretch without end');
  assert.equal(slowestPace('xpace_pct=300\n pace_pct=300\n'), null, 'only whole lines');
});

test('a busy boot counts as loaded when it is 10 % slower than the quiet one, or at 1.25', () => {
  assert.deepEqual(loadFelt(1.29, 1), { felt: true, yardstick: 1.1 }, 'CI of stop 19: 1.29 under load is load felt');
  assert.equal(loadFelt(1.05, 1).felt, false, 'as fast as the quiet boot: the load was not felt');
  assert.equal(loadFelt(1.2, 1.15).felt, false, 'a slow quiet boot raises the bar');
  assert.equal(loadFelt(1.27, 1.15).felt, true);
  assert.equal(loadFelt(1.25, 2).felt, true, 'a quiet boot that was itself slow asks no more than 1.25');
  assert.equal(loadFelt(1.09, undefined).felt, false, 'without a quiet boot: against an idle host');
  assert.equal(loadFelt(1.1, undefined).felt, true);
  assert.equal(loadFelt(null, 1).felt, false, 'no pace reported proves nothing');
});
