import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_POLICY, REOPEN_RUNAWAY_MIN_GROWTH_BYTES_PER_S, REOPEN_SPARE_MS } from '../../agent/core/constants.js';
import { decide, describeVictim, INITIAL_POLICY_STATE } from '../../agent/core/decide.js';
import { compareVictims, exclusionOf, rankVictims, reopenStanding, selectVictim, type RankedCandidate } from '../../agent/core/rank.js';
import { explanationRecord } from '../../agent/core/records.js';
import { app, GiB, meminfo, MiB, snapshot } from '../support/snapshots.js';

describe('rankVictims', () => {
  test('exact order: eligible by footprint, then avoided, then excluded', () => {
    const apps = [
      app('app-small-1.scope', { memoryBytes: 10 * MiB }),
      app('app-omitted-2.scope', { memoryBytes: 9000 * MiB, preference: 'omit' }),
      app('app-avoided-3.scope', { memoryBytes: 5000 * MiB, preference: 'avoid' }),
      app('app-big-4.scope', { memoryBytes: 800 * MiB }),
      app('app-swapper-5.scope', { memoryBytes: 100 * MiB, swapBytes: 900 * MiB }),
      app('app-self-6.scope', { memoryBytes: 99999 * MiB, protectedBecause: 'headroom agent' }),
      app('app-empty-7.scope', { memoryBytes: 3000 * MiB, processCount: 0 }),
      app('app-avoidsmall-8.scope', { memoryBytes: 1 * MiB, preference: 'avoid' }),
    ];
    const ranked = rankVictims(apps, new Map(), 0);
    assert.deepEqual(ranked.map((c) => c.app.unit), [
      'app-swapper-5.scope', // 100 MiB + 900 MiB swap outweighs 800 MiB resident
      'app-big-4.scope',
      'app-small-1.scope',
      'app-avoided-3.scope', // avoided: after every eligible app, however large
      'app-avoidsmall-8.scope',
      'app-self-6.scope', // excluded: last, by footprint among themselves
      'app-omitted-2.scope',
      'app-empty-7.scope',
    ]);
    assert.deepEqual(ranked.slice(5).map((c) => c.excluded).sort(), ['empty', 'headroom agent', 'omit']);
    assert.equal(selectVictim(ranked)?.app.unit, 'app-swapper-5.scope');
  });

  test('omit is never selected, even when it is the only app', () => {
    const ranked = rankVictims([app('app-only-1.scope', { preference: 'omit', memoryBytes: 4096 * MiB })], new Map(), 0);
    assert.equal(selectVictim(ranked), null);
    assert.equal(ranked[0]?.excluded, 'omit');
  });

  test('avoid is selected only when nothing else is left', () => {
    const withOther = rankVictims([
      app('app-editor-1.scope', { preference: 'avoid', memoryBytes: 6000 * MiB }),
      app('app-tiny-2.scope', { memoryBytes: 1 * MiB }),
    ], new Map(), 0);
    assert.equal(selectVictim(withOther)?.app.unit, 'app-tiny-2.scope');
    const alone = rankVictims([
      app('app-editor-1.scope', { preference: 'avoid', memoryBytes: 6000 * MiB }),
      app('app-never-2.scope', { preference: 'omit' }),
    ], new Map(), 0);
    assert.equal(selectVictim(alone)?.app.unit, 'app-editor-1.scope');
  });

  test('ties on footprint break by unit name, so the order never depends on input order', () => {
    const a = app('app-a-1.scope');
    const b = app('app-b-1.scope');
    assert.deepEqual(rankVictims([b, a], new Map(), 0).map((c) => c.app.unit), ['app-a-1.scope', 'app-b-1.scope']);
    assert.deepEqual(rankVictims([a, b], new Map(), 0).map((c) => c.app.unit), ['app-a-1.scope', 'app-b-1.scope']);
  });

  test('page cache is no footprint: the anonymous hog outranks an app holding a bigger file cache', () => {
    const ranked = rankVictims([
      app('app-indexer-1.scope', { memoryBytes: 1500 * MiB, fileBytes: 1400 * MiB, anonBytes: 100 * MiB, unreclaimableBytes: 100 * MiB }),
      app('app-hog-2.scope', { memoryBytes: 900 * MiB, anonBytes: 900 * MiB, unreclaimableBytes: 900 * MiB }),
    ], new Map(), 0);
    assert.equal(selectVictim(ranked)?.app.unit, 'app-hog-2.scope');
  });

  test('recent growth is evidence of the runaway: of two alike, the growing one goes first', () => {
    const growth = new Map([['app-growing-2.scope', 60 * MiB]]);
    const ranked = rankVictims([app('app-steady-1.scope', { memoryBytes: 700 * MiB }), app('app-growing-2.scope', { memoryBytes: 500 * MiB })], growth, 0);
    assert.deepEqual(ranked.map((c) => c.app.unit), ['app-growing-2.scope', 'app-steady-1.scope'], '500 MiB + 5 s at 60 MiB/s outweighs 700 MiB');
    assert.equal(ranked[0]!.growthBytesPerSec, 60 * MiB);
    // Growth does not make a small app outrank a far heavier one.
    const big = rankVictims([app('app-steady-1.scope', { memoryBytes: 3000 * MiB }), app('app-growing-2.scope', { memoryBytes: 500 * MiB })], growth, 0);
    assert.equal(selectVictim(big)?.app.unit, 'app-steady-1.scope');
    // Shrinking counts as no growth, never as a bonus the other way.
    const shrinking = rankVictims([app('app-a-1.scope', { memoryBytes: 500 * MiB }), app('app-b-2.scope', { memoryBytes: 500 * MiB })], new Map([['app-a-1.scope', -90 * MiB]]), 0);
    assert.deepEqual(shrinking.map((c) => c.growthBytesPerSec), [0, 0]);
  });

  test('exclusionOf names the reason', () => {
    assert.equal(exclusionOf(app('app-x-1.scope')), '');
    assert.equal(exclusionOf(app('app-x-1.scope', { preference: 'omit' })), 'omit');
    assert.equal(exclusionOf(app('app-x-1.scope', { processCount: 0 })), 'empty');
    assert.equal(exclusionOf(app('app-x-1.scope', { protectedBecause: 'part of headroom', preference: 'omit' })), 'part of headroom');
  });
});

describe('a unit reopened after a kill', () => {
  // Reopened at t = 0; the decisions below come 2 min later unless said otherwise.
  const NOW = 2 * 60_000;
  const reopened = (unit: string, over: Parameters<typeof app>[1] = {}): ReturnType<typeof app> => app(unit, { reopenedAtMs: 0, ...over });
  const order = (apps: Parameters<typeof rankVictims>[0], growth: Map<string, number> = new Map(), nowMs = NOW): string[] =>
    rankVictims(apps, growth, nowMs).map((c) => c.app.unit);

  test('within the window it goes after every other eligible unit of its preference, however heavy', () => {
    const apps = [
      reopened('app-editor-1.scope', { memoryBytes: 1900 * MiB, displayName: 'Editor' }),
      app('app-browser-2.scope', { memoryBytes: 1000 * MiB }),
      app('app-chat-3.scope', { memoryBytes: 200 * MiB }),
      app('app-omitted-4.scope', { memoryBytes: 5000 * MiB, preference: 'omit' }),
    ];
    assert.deepEqual(order(apps), ['app-browser-2.scope', 'app-chat-3.scope', 'app-editor-1.scope', 'app-omitted-4.scope']);
    const ranked = rankVictims(apps, new Map(), NOW);
    assert.deepEqual(ranked.find((c) => c.app.unit === 'app-editor-1.scope')?.reopened, { agoMs: NOW, runaway: null });
    assert.equal(ranked.find((c) => c.app.unit === 'app-browser-2.scope')?.reopened, undefined, 'only the reopened unit carries a standing');
    // Without the fact, the same units rank by footprint: the rule is what moved it.
    assert.deepEqual(order(apps.map((a) => ({ ...a, reopenedAtMs: undefined }))).slice(0, 1), ['app-editor-1.scope']);
  });

  test('the window is REOPEN_SPARE_MS: spared up to its last millisecond, ranked as any unit from then on', () => {
    const apps = [reopened('app-editor-1.scope', { memoryBytes: 1900 * MiB }), app('app-browser-2.scope', { memoryBytes: 1000 * MiB })];
    assert.equal(order(apps, new Map(), REOPEN_SPARE_MS - 1)[0], 'app-browser-2.scope');
    assert.equal(order(apps, new Map(), REOPEN_SPARE_MS)[0], 'app-editor-1.scope');
    assert.equal(rankVictims(apps, new Map(), REOPEN_SPARE_MS).find((c) => c.app.unit === 'app-editor-1.scope')?.reopened, undefined);
    assert.equal(order(apps, new Map(), Number.NaN)[0], 'app-editor-1.scope', 'an unknown time spares nothing');
    // Reopened a moment after the decision's clock (units read after the gauges): spared, 0 s ago.
    assert.deepEqual(rankVictims(apps, new Map(), -5).find((c) => c.reopened)?.reopened, { agoMs: 0, runaway: null });
  });

  test('again the runaway by size: at twice the projected footprint of every other candidate it is not spared', () => {
    const twice = [reopened('app-editor-1.scope', { memoryBytes: 2000 * MiB }), app('app-browser-2.scope', { memoryBytes: 1000 * MiB }), app('app-chat-3.scope', { memoryBytes: 300 * MiB })];
    assert.deepEqual(order(twice), ['app-editor-1.scope', 'app-browser-2.scope', 'app-chat-3.scope']);
    assert.equal(rankVictims(twice, new Map(), NOW)[0]?.reopened?.runaway, 'heaviest');
    const justUnder = [reopened('app-editor-1.scope', { memoryBytes: 1999 * MiB }), app('app-browser-2.scope', { memoryBytes: 1000 * MiB })];
    assert.equal(order(justUnder)[0], 'app-browser-2.scope');
    // The other candidate's growth counts in its projection: 1000 MiB + 5 s at 20 MiB/s = 1100 MiB.
    assert.equal(order(twice, new Map([['app-browser-2.scope', 20 * MiB]]))[0], 'app-browser-2.scope');
  });

  test('again the runaway by growth: growing fast, and twice as fast as every other candidate', () => {
    const apps = [reopened('app-editor-1.scope', { memoryBytes: 500 * MiB }), app('app-browser-2.scope', { memoryBytes: 560 * MiB })];
    const fast = REOPEN_RUNAWAY_MIN_GROWTH_BYTES_PER_S; // 500 MiB + 5 s × 16 MiB/s = 580 MiB > 560 MiB
    assert.equal(order(apps, new Map([['app-editor-1.scope', fast]]))[0], 'app-editor-1.scope');
    assert.equal(rankVictims(apps, new Map([['app-editor-1.scope', fast]]), NOW)[0]?.reopened?.runaway, 'growing');
    // Just under the rate: still outweighs the other by projection, but spared.
    assert.equal(order(apps, new Map([['app-editor-1.scope', fast - 1]]))[0], 'app-browser-2.scope');
    // Fast, but the other grows more than half as fast: not the runaway by far.
    assert.equal(order(apps, new Map([['app-editor-1.scope', fast], ['app-browser-2.scope', fast / 2 + 1]]))[0], 'app-browser-2.scope');
    // Not spared is not promoted: a runaway by growth that a kill of the other frees more than goes after it.
    const heavier = [reopened('app-editor-1.scope', { memoryBytes: 500 * MiB }), app('app-browser-2.scope', { memoryBytes: 1000 * MiB })];
    assert.deepEqual(order(heavier, new Map([['app-editor-1.scope', 2 * fast]])), ['app-browser-2.scope', 'app-editor-1.scope']);
    assert.equal(rankVictims(heavier, new Map([['app-editor-1.scope', 2 * fast]]), NOW)[1]?.reopened?.runaway, 'growing');
  });

  test('a spared unit still goes before every avoided one; within avoid the same rule applies', () => {
    assert.deepEqual(order([reopened('app-editor-1.scope', { memoryBytes: 1900 * MiB }), app('app-mail-2.scope', { memoryBytes: 1000 * MiB, preference: 'avoid' })]),
      ['app-editor-1.scope', 'app-mail-2.scope']);
    const ranked = rankVictims([reopened('app-editor-1.scope', { memoryBytes: 1900 * MiB }), app('app-mail-2.scope', { preference: 'avoid' })], new Map(), NOW);
    assert.deepEqual(ranked[0]?.reopened, { agoMs: NOW, runaway: null }, 'alone in its preference: spared, and next all the same');
    assert.deepEqual(order([
      reopened('app-editor-1.scope', { memoryBytes: 1900 * MiB, preference: 'avoid' }),
      app('app-mail-2.scope', { memoryBytes: 1000 * MiB, preference: 'avoid' }),
      app('app-chat-3.scope', { memoryBytes: 10 * MiB }),
    ]), ['app-chat-3.scope', 'app-mail-2.scope', 'app-editor-1.scope']);
  });

  test('an excluded unit has no standing: omit stays never, whether reopened or not', () => {
    const apps = [reopened('app-editor-1.scope', { preference: 'omit' }), app('app-browser-2.scope')];
    const ranked = rankVictims(apps, new Map(), NOW);
    assert.equal(ranked.find((c) => c.app.unit === 'app-editor-1.scope')?.reopened, undefined);
    const c: RankedCandidate = { app: apps[0]!, excluded: 'omit', growthBytesPerSec: 0 };
    assert.equal(reopenStanding(c, ranked, NOW), undefined);
  });

  test('the kill, the warning and Explain say it: the reopened unit passed over, or reopened but again the runaway', () => {
    const editor = reopened('app-editor-1.scope', { memoryBytes: 1900 * MiB, displayName: 'Editor' });
    const browser = app('app-browser-2.scope', { memoryBytes: 1000 * MiB, displayName: 'Browser' });
    const d = decide(snapshot(NOW, { apps: [editor, browser], meminfo: meminfo(2) }), INITIAL_POLICY_STATE, DEFAULT_POLICY);
    assert.equal(d.action.kind, 'kill');
    assert.equal(d.action.kind === 'kill' && d.action.victim.app.unit, 'app-browser-2.scope');
    assert.match(d.because, /; Browser is the heaviest of 2 units that may be stopped \(1000 MiB that only a kill frees\); Editor \(1\.9 GiB\) would go first but was reopened after a kill 2 min ago$/);
    const calm = decide(snapshot(NOW, { apps: [editor, browser] }), INITIAL_POLICY_STATE, DEFAULT_POLICY);
    assert.match(explanationRecord(calm).because, /if memory ran out now, Browser is .*; Editor \(1\.9 GiB\) would go first but was reopened after a kill 2 min ago$/);

    const runaway = { ...editor, memoryBytes: 2 * GiB, unreclaimableBytes: 2 * GiB };
    const ranked = rankVictims([runaway, browser], new Map(), 45_000);
    assert.equal(describeVictim(ranked[0]!, ranked), 'Editor is the heaviest of 2 units that may be stopped (2.0 GiB that only a kill frees, reopened after a kill 45 s ago, but again the heaviest by far)');
    const alone = rankVictims([editor], new Map(), NOW);
    assert.match(describeVictim(alone[0]!, alone), /\(1\.9 GiB that only a kill frees, reopened after a kill 2 min ago, but nothing else may go first\)$/);
    const avoided = rankVictims([{ ...editor, preference: 'avoid' }], new Map(), NOW);
    assert.match(describeVictim(avoided[0]!, avoided), /\(1\.9 GiB that only a kill frees, avoided but nothing else is left, reopened after a kill 2 min ago\)$/);
    const growing = rankVictims([{ ...editor, memoryBytes: 1000 * MiB, unreclaimableBytes: 1000 * MiB }, browser], new Map([['app-editor-1.scope', 40 * MiB]]), NOW);
    assert.match(describeVictim(growing[0]!, growing), /^Editor is .*growing 40 MiB\/s, reopened after a kill 2 min ago, but again growing the fastest by far\)$/);
    // No reopened unit: the words are as they were.
    const plain = rankVictims([browser], new Map(), NOW);
    assert.equal(describeVictim(plain[0]!, plain), 'Browser is the heaviest of 1 unit that may be stopped (1000 MiB that only a kill frees)');
  });
});

describe('compareVictims is a total order', () => {
  // Every pair, both ways (earlyoom's permute_is_larger): antisymmetric, transitive, and
  // consistent with the position in the sorted list.
  const pool: RankedCandidate[] = [];
  const prefs = ['none', 'avoid', 'omit'] as const;
  let n = 0;
  for (const preference of prefs) {
    for (const memoryBytes of [0, 1 * MiB, 500 * MiB, 500 * MiB]) {
      for (const swapBytes of [0, 200 * MiB]) {
        for (const processCount of [0, 3]) {
          for (const growthBytesPerSec of [0, 40 * MiB]) {
            for (const spared of [false, true]) {
              // A spared candidate as rankVictims would mark it (the pool is judged pairwise).
              const a = app(`app-p${n++}-1.scope`, { preference, memoryBytes, swapBytes, processCount, ...(spared ? { reopenedAtMs: 0 } : {}) });
              pool.push({ app: a, excluded: exclusionOf(a), growthBytesPerSec, ...(spared && exclusionOf(a) === '' ? { reopened: { agoMs: 0, runaway: null } } : {}) });
            }
          }
        }
      }
    }
  }

  test('antisymmetric and reflexive', () => {
    for (const x of pool) {
      assert.equal(compareVictims(x, x), 0);
      for (const y of pool) {
        if (x === y) continue;
        const xy = Math.sign(compareVictims(x, y));
        assert.equal(xy, -Math.sign(compareVictims(y, x)), `${x.app.unit} vs ${y.app.unit}`);
        assert.notEqual(xy, 0, `distinct units must not tie: ${x.app.unit} vs ${y.app.unit}`);
      }
    }
  });

  test('transitive', () => {
    for (const x of pool) for (const y of pool) for (const z of pool) {
      if (compareVictims(x, y) < 0 && compareVictims(y, z) < 0) assert.ok(compareVictims(x, z) < 0);
    }
  });

  test('sorting any permutation gives the same order', () => {
    const expected = rankVictims(pool.map((c) => c.app), new Map(), 1000).map((c) => c.app.unit);
    for (let seed = 1; seed <= 20; seed++) {
      const shuffled = [...pool].map((c) => c.app);
      let s = seed;
      for (let i = shuffled.length - 1; i > 0; i--) {
        s = (s * 1103515245 + 12345) % 2147483648;
        const j = s % (i + 1);
        [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
      }
      assert.deepEqual(rankVictims(shuffled, new Map(), 1000).map((c) => c.app.unit), expected);
    }
  });
});
