import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { parseMemoryStat } from '../../agent/core/memory-stat.js';
import { ParseError } from '../../agent/core/parse-error.js';

const fixture = (name: string): string =>
  readFileSync(fileURLToPath(new URL(`../../../test/fixtures/parsers/${name}`, import.meta.url)), 'utf8');

describe('parseMemoryStat', () => {
  test('realistic cgroup v2 memory.stat: anon, file and the pgscan total (not a per-source count)', () => {
    assert.deepEqual(parseMemoryStat(fixture('memory-stat-app-scope.txt')), {
      anonBytes: 1873285120,
      fileBytes: 912355328,
      shmemBytes: 98328576,
      pgscan: 1843127,
    });
  });

  test('keys in a different order with blank lines', () => {
    assert.deepEqual(parseMemoryStat('\npgscan 7\nfile_mapped 99\nshmem 2\nfile 5\n\nanon 3\n'), { anonBytes: 3, fileBytes: 5, shmemBytes: 2, pgscan: 7 });
  });

  test('missing pgscan is a ParseError even though pgscan_kswapd/pgscan_direct exist', () => {
    const source = '/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/memory.stat';
    assert.throws(() => parseMemoryStat(fixture('memory-stat-no-pgscan.txt'), source), (err: unknown) => {
      assert.ok(err instanceof ParseError);
      assert.equal(err.source, source);
      assert.ok(err.message.startsWith(`${source}: `), err.message);
      assert.match(err.message, /\bpgscan\b/);
      return true;
    });
  });

  for (const key of ['anon', 'file', 'shmem']) {
    test(`missing ${key} is named`, () => {
      const text = fixture('memory-stat-app-scope.txt').split('\n').filter((l) => !l.startsWith(`${key} `)).join('\n');
      assert.throws(() => parseMemoryStat(text), { name: 'ParseError', message: new RegExp(`^memory\\.stat: no ${key} line`) });
    });
  }

  test('a malformed line is a ParseError quoting the line', () => {
    assert.throws(() => parseMemoryStat(fixture('memory-stat-malformed.txt'), 'x/memory.stat'), {
      name: 'ParseError',
      message: /^x\/memory\.stat: .*file_dirty 2347008 kB/,
    });
  });

  for (const bad of ['anon', 'anon -5', 'anon: 5', 'anon 5 6', 'anon 0x10']) {
    test(`rejects ${JSON.stringify(bad)}`, () => {
      assert.throws(() => parseMemoryStat(`${bad}\nfile 1\npgscan 2\n`), ParseError);
    });
  }
});
