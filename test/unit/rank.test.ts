import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compareVictims, exclusionOf, rankVictims, selectVictim, type RankedCandidate } from '../../agent/core/rank.js';
import { app, MiB } from '../support/snapshots.js';

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
    const ranked = rankVictims(apps);
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
    const ranked = rankVictims([app('app-only-1.scope', { preference: 'omit', memoryBytes: 4096 * MiB })]);
    assert.equal(selectVictim(ranked), null);
    assert.equal(ranked[0]?.excluded, 'omit');
  });

  test('avoid is selected only when nothing else is left', () => {
    const withOther = rankVictims([
      app('app-editor-1.scope', { preference: 'avoid', memoryBytes: 6000 * MiB }),
      app('app-tiny-2.scope', { memoryBytes: 1 * MiB }),
    ]);
    assert.equal(selectVictim(withOther)?.app.unit, 'app-tiny-2.scope');
    const alone = rankVictims([
      app('app-editor-1.scope', { preference: 'avoid', memoryBytes: 6000 * MiB }),
      app('app-never-2.scope', { preference: 'omit' }),
    ]);
    assert.equal(selectVictim(alone)?.app.unit, 'app-editor-1.scope');
  });

  test('ties on footprint break by unit name, so the order never depends on input order', () => {
    const a = app('app-a-1.scope');
    const b = app('app-b-1.scope');
    assert.deepEqual(rankVictims([b, a]).map((c) => c.app.unit), ['app-a-1.scope', 'app-b-1.scope']);
    assert.deepEqual(rankVictims([a, b]).map((c) => c.app.unit), ['app-a-1.scope', 'app-b-1.scope']);
  });

  test('page cache is no footprint: the anonymous hog outranks an app holding a bigger file cache', () => {
    const ranked = rankVictims([
      app('app-indexer-1.scope', { memoryBytes: 1500 * MiB, fileBytes: 1400 * MiB, anonBytes: 100 * MiB, unreclaimableBytes: 100 * MiB }),
      app('app-hog-2.scope', { memoryBytes: 900 * MiB, anonBytes: 900 * MiB, unreclaimableBytes: 900 * MiB }),
    ]);
    assert.equal(selectVictim(ranked)?.app.unit, 'app-hog-2.scope');
  });

  test('recent growth is evidence of the runaway: of two alike, the growing one goes first', () => {
    const growth = new Map([['app-growing-2.scope', 60 * MiB]]);
    const ranked = rankVictims([app('app-steady-1.scope', { memoryBytes: 700 * MiB }), app('app-growing-2.scope', { memoryBytes: 500 * MiB })], growth);
    assert.deepEqual(ranked.map((c) => c.app.unit), ['app-growing-2.scope', 'app-steady-1.scope'], '500 MiB + 5 s at 60 MiB/s outweighs 700 MiB');
    assert.equal(ranked[0]!.growthBytesPerSec, 60 * MiB);
    // Growth does not make a small app outrank a far heavier one.
    const big = rankVictims([app('app-steady-1.scope', { memoryBytes: 3000 * MiB }), app('app-growing-2.scope', { memoryBytes: 500 * MiB })], growth);
    assert.equal(selectVictim(big)?.app.unit, 'app-steady-1.scope');
    // Shrinking counts as no growth, never as a bonus the other way.
    const shrinking = rankVictims([app('app-a-1.scope', { memoryBytes: 500 * MiB }), app('app-b-2.scope', { memoryBytes: 500 * MiB })], new Map([['app-a-1.scope', -90 * MiB]]));
    assert.deepEqual(shrinking.map((c) => c.growthBytesPerSec), [0, 0]);
  });

  test('exclusionOf names the reason', () => {
    assert.equal(exclusionOf(app('app-x-1.scope')), '');
    assert.equal(exclusionOf(app('app-x-1.scope', { preference: 'omit' })), 'omit');
    assert.equal(exclusionOf(app('app-x-1.scope', { processCount: 0 })), 'empty');
    assert.equal(exclusionOf(app('app-x-1.scope', { protectedBecause: 'part of headroom', preference: 'omit' })), 'part of headroom');
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
            const a = app(`app-p${n++}-1.scope`, { preference, memoryBytes, swapBytes, processCount });
            pool.push({ app: a, excluded: exclusionOf(a), growthBytesPerSec });
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
    const expected = rankVictims(pool.map((c) => c.app)).map((c) => c.app.unit);
    for (let seed = 1; seed <= 20; seed++) {
      const shuffled = [...pool].map((c) => c.app);
      let s = seed;
      for (let i = shuffled.length - 1; i > 0; i--) {
        s = (s * 1103515245 + 12345) % 2147483648;
        const j = s % (i + 1);
        [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
      }
      assert.deepEqual(rankVictims(shuffled).map((c) => c.app.unit), expected);
    }
  });
});
