/**
 * Lab smoke test: boots the real-session guest once and checks that it has what
 * Headroom's kill path relies on (cgroup v2, PSI, a lingering user manager with memory
 * delegated, user scopes the user can kill via cgroup.kill, unprivileged PSI triggers,
 * node, zram). Skips where the lab cannot run, except in CI, where that is a failure.
 * HEADROOM_LAB=0 skips it everywhere.
 */
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';

import { bootGuest, ensureLabImage, labAvailable, parseKeyValues } from '../../lab/guest.js';

const BOOT_TIMEOUT_MS = 240_000;

test('lab guest: cgroup v2, PSI, user manager, scope kill, PSI triggers', { timeout: 20 * 60_000 }, async (t) => {
  if (process.env.HEADROOM_LAB === '0') {
    t.skip('HEADROOM_LAB=0');
    return;
  }
  const available = labAvailable();
  if (!available.ok) {
    if (process.env.CI === 'true') assert.fail(`lab unavailable in CI: ${available.why}`);
    t.skip(available.why);
    return;
  }

  const buildStart = Date.now();
  const image = await ensureLabImage();
  t.diagnostic(`image ${image.dir} ready in ${((Date.now() - buildStart) / 1000).toFixed(1)} s`);

  const result = await bootGuest({ script: 'test/lab/guest/smoke.sh', timeoutMs: BOOT_TIMEOUT_MS });
  t.diagnostic(
    `boot-to-script ${result.bootSeconds?.toFixed(1) ?? 'never'} s, total ${result.totalSeconds.toFixed(1)} s, out ${result.outDir}`,
  );

  const smoke = await readFile(join(result.outDir, 'smoke.txt'), 'utf8').catch(() => '');
  const failing = [...parseKeyValues(smoke)].filter(([, v]) => v === 'FAIL').map(([k]) => k);
  const context =
    `\n--- smoke.txt ---\n${smoke}` +
    `\n--- script.log (tail) ---\n${(await readFile(join(result.outDir, 'script.log'), 'utf8').catch(() => '')).slice(-3000)}` +
    `\n--- console (tail) ---\n${result.consoleLog.slice(-3000)}` +
    (result.qemuStderr !== '' ? `\n--- qemu stderr ---\n${result.qemuStderr}` : '');

  assert.equal(result.timedOut, false, `guest timed out after ${BOOT_TIMEOUT_MS} ms${context}`);
  assert.equal(result.exitCode, 0, `smoke.sh exit ${String(result.exitCode)}; failing: ${failing.join(', ')}${context}`);
  assert.match(smoke, /^result=PASS$/m, `no PASS in smoke.txt${context}`);
  // Keep the evidence of failures (and of any run with HEADROOM_LAB_KEEP=1) only.
  if (process.env.HEADROOM_LAB_KEEP !== '1') await rm(result.outDir, { recursive: true, force: true });
});
