import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { withoutLauncherEnv } from '../../agent/cli/agent-command.js';

const HEADROOM = fileURLToPath(new URL('../../../bin/headroom', import.meta.url));

describe('bin/headroom: what the session-long agent runs with', () => {
  // A stand-in for Node that prints what it was given, so the shim is tested without running the agent.
  const dir = mkdtempSync(join(tmpdir(), 'headroom-launcher-'));
  const fakeNode = join(dir, 'node');
  writeFileSync(fakeNode, '#!/bin/sh\necho "MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX-unset} MARK=${HEADROOM_MALLOC_ARENA_MAX_SET-unset} $*"\n');
  chmodSync(fakeNode, 0o755);
  after(() => rmSync(dir, { recursive: true, force: true }));
  const run = (args: string[], env: NodeJS.ProcessEnv = {}): string => {
    const r = spawnSync(HEADROOM, args, { env: { PATH: process.env.PATH, HEADROOM_NODE: fakeNode, ...env }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  };

  test('the agent gets two malloc arenas (the bench leak check: more kept growing), marked as the launcher\'s, beside the heap flags', () => {
    const out = run(['agent', '--debug']);
    assert.match(out, /^MALLOC_ARENA_MAX=2 MARK=1 --max-old-space-size=64 --max-semi-space-size=1 \S+\/dist\/agent\/cli\/main\.js agent --debug$/);
  });
  test('a MALLOC_ARENA_MAX the session set is the session\'s: kept, and not marked for the agent to drop', () => {
    assert.match(run(['agent'], { MALLOC_ARENA_MAX: '8' }), /^MALLOC_ARENA_MAX=8 MARK=unset /);
  });
  test('other commands are plain Node', () => {
    assert.match(run(['status']), /^MALLOC_ARENA_MAX=unset MARK=unset \S+main\.js status$/);
  });
});

describe('withoutLauncherEnv', () => {
  test('drops the malloc setting bin/headroom gave the agent alone, so the apps it launches do not inherit it', () => {
    assert.deepEqual(withoutLauncherEnv({ HOME: '/home/u', MALLOC_ARENA_MAX: '2', HEADROOM_MALLOC_ARENA_MAX_SET: '1' }), { HOME: '/home/u' });
  });
  test('keeps the session\'s own MALLOC_ARENA_MAX (no mark)', () => {
    assert.deepEqual(withoutLauncherEnv({ HOME: '/home/u', MALLOC_ARENA_MAX: '4' }), { HOME: '/home/u', MALLOC_ARENA_MAX: '4' });
  });
});
