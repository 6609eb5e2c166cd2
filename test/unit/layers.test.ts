// The layer rules must reject what they promise to (a rule that never fires proves nothing),
// and every pure folder must be typechecked as pure.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import ts from 'typescript';
import { REPO } from '../support/agent-process.js';

interface LayerModule { layerRules: ESLint.Options['overrideConfig'][] }

async function violations(filePath: string, code: string): Promise<string[]> {
  const { layerRules } = (await import(new URL('eslint.layers.js', `file://${REPO}`).href)) as LayerModule;
  const eslint = new ESLint({
    cwd: REPO,
    overrideConfigFile: true,
    overrideConfig: [{ files: ['**/*.ts', '**/*.cts'], languageOptions: { parser: tseslint.parser } }, ...layerRules] as ESLint.Options['overrideConfig'],
  });
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => m.message);
}

describe('layer rules', () => {
  const cases: [string, string, RegExp | null][] = [
    ['shared/x.ts', "import { readFile } from 'node:fs';", /no Node built-ins/],
    ['shared/x.ts', "import { app } from 'electron';", /Electron belongs in tray-app\/main/],
    ['shared/x.ts', "import { Agent } from '../agent/agent.js';", /imports neither/],
    ['shared/x.ts', "import { z } from 'zod';", null],
    ['agent/core/x.ts', "import { spawn } from 'child_process';", /no Node built-ins/],
    ['agent/core/x.ts', "import { killScope } from '../io/kill-scope.js';", /pure policy/],
    ['agent/core/x.ts', "import dbus from '@particle/dbus-next';", /only behind agent\/bus\/dbus\.ts/],
    ['agent/core/x.ts', "import { rankVictims } from './rank.js';", null],
    ['agent/core/x.ts', "import { formatBytes } from '../../shared/format.js';", null],
    ['agent/core/x.ts', "import { createAppLauncher } from '../desktop/app-launcher.js';", /pure policy/],
    ['agent/core/x.ts', "import { planDesktopLaunch } from '../desktop/core/desktop-launch.js';", /pure policy/],
    ['agent/core/x.ts', "import { readProcsRecursive } from '../cgroup/cgroupfs.js';", /pure policy/],
    ['agent/desktop/core/x.ts', "import { readdir } from 'node:fs/promises';", /no Node built-ins/],
    ['agent/desktop/core/x.ts', "import { Tray } from 'electron';", /Electron belongs/],
    ['agent/desktop/core/x.ts', "import { isInstalled } from '../programs.js';", /subject's core\/ is pure/],
    ['agent/desktop/core/x.ts', "import { readTextIfExists } from '../../io/files.js';", /subject's core\/ is pure/],
    ['agent/desktop/core/x.ts', "import { Agent } from '../../agent.js';", /subject's core\/ is pure/],
    ['agent/desktop/core/x.ts', "import { menuModel } from '../../../tray-app/main/menu.js';", /subject's core\/ is pure/],
    ['agent/desktop/core/x.ts', "import { parseDesktopEntry } from './desktop-entry.js';", null],
    ['agent/desktop/core/x.ts', "import { makeScopeName } from '../../core/unit-name.js';", null],
    ['agent/desktop/core/x.ts', "import { renderUnit } from '../../install/core/install-plan.js';", null],
    ['agent/desktop/core/x.ts', "import type { LauncherRecord } from '../../../shared/records.js';", null],
    ['agent/install/core/x.ts', "import { spawn } from 'child_process';", /no Node built-ins/],
    ['agent/install/core/x.ts', "import dbus from '@particle/dbus-next';", /only behind agent\/bus\/dbus\.ts/],
    ['agent/install/core/x.ts', "import { installUnit } from '../install.js';", /subject's core\/ is pure/],
    ['agent/install/core/x.ts', "import { APPIMAGE_DIR } from '../../../shared/appimage.js';", null],
    ['agent/desktop/x.ts', "import { planDesktopLaunch } from './core/desktop-launch.js';", null],
    ['agent/bus/dbus.ts', "import dbus from '@particle/dbus-next';", null],
    ['agent/cli/x.ts', "import { Tray } from 'electron';", /Electron belongs/],
    ['tray-app/main/x.ts', "import { Tray } from 'electron';", null],
    ['tray-app/main/x.ts', "import { AgentClient } from '../../agent/bus/agent-client.js';", null],
    ['tray-app/main/x.ts', "import dbus from '@particle/dbus-next';", /only behind agent\/bus\/dbus\.ts/],
    ['tray-app/main/x.ts', "import { decide } from '../../agent/core/decide.js';", /over the bus/],
    ['tray-app/main/x.ts', "import { killScope } from '../../agent/cgroup/kill-scope.js';", /over the bus/],
    ['tray-app/main/x.ts', "import { createAppLauncher } from '../../agent/desktop/app-launcher.js';", /over the bus/],
    ['tray-app/main/x.ts', "import { readSnapshot } from '../../agent/cgroup/read-snapshot.js';", /over the bus/],
    ['agent/feed/x.ts', "import { readSnapshot } from '../cgroup/read-snapshot.js';", /client of the agent bus API/],
    ['tray-app/main/x.ts', "import { exportTray } from '../../agent/bus/tray-service.js';", null],
    ['tray-app/main/x.ts', "import { draw } from '../renderer/chart.js';", /never imports them/],
    ['tray-app/main/x.ts', "import { openAgentFeed } from '../../agent/feed/agent-feed.js';", null],
    ['tray-app/main/x.ts', "import { startDashboardServer } from '../../agent/dashboard/server.js';", /over the bus/],
    ['agent/feed/x.ts', "import { AgentClient } from '../bus/agent-client.js';", null],
    ['agent/feed/x.ts', "import { readSnapshot } from '../io/read-snapshot.js';", /client of the agent bus API/],
    ['agent/feed/x.ts', "import { Agent } from '../agent.js';", /client of the agent bus API/],
    ['agent/feed/x.ts', "import { app } from 'electron';", /Electron belongs/],
    ['tray-app/preload/x.ts', "import { contextBridge } from 'electron';", null],
    ['tray-app/preload/x.ts', "import { readFile } from 'node:fs';", /no Node built-ins/],
    ['tray-app/preload/x.cts', "import { readFile } from 'node:fs';", /no Node built-ins/],
    ['tray-app/preload/x.ts', "import { AgentClient } from '../../agent/bus/agent-client.js';", /DashboardBridge/],
    ['tray-app/renderer/x.ts', "import { ipcRenderer } from 'electron';", /Electron belongs/],
    ['tray-app/renderer/x.ts', "import { readFile } from 'fs';", /no Node built-ins/],
    ['tray-app/renderer/x.ts', "import { AgentClient } from '../../agent/bus/agent-client.js';", /DashboardBridge/],
    ['tray-app/renderer/x.ts', "import { menuModel } from '../main/menu.js';", /runs in a browser/],
    ['tray-app/renderer/x.ts', "import type { DashboardBridge } from '../../shared/bridge.js';", null],
    ['lab/x.ts', "import { spawn } from 'node:child_process';", null],
    ['lab/x.ts', "import { app } from 'electron';", /Electron belongs/],
    ['lab/x.ts', "import { Agent } from '../agent/agent.js';", /imports neither them nor the app/],
    ['lab/x.ts', "import { summarizeRun } from '../bench/run-result.js';", /imports neither them nor the app/],
    ['lab/x.ts', "import { REPO } from '../test/support/agent-process.js';", /imports neither them nor the app/],
    ['bench/x.ts', "import { bootGuest } from '../lab/guest.js';", null],
    ['bench/x.ts', "import { bootGuest } from '../test/lab/guest.js';", /through lab\//],
    ['bench/x.ts', "import { kvText } from '../test/unit/bench-lib.test.js';", /through lab\//],
    ['bench/x.ts', "import { app, snapshot } from '../test/support/snapshots.js';", null],
    ['bench/x.ts', "import { decide } from '../agent/core/decide.js';", null],
  ];
  // Every Node room of the agent: Node yes, Electron and the D-Bus library no.
  for (const room of ['agent/io', 'agent/cgroup', 'agent/desktop', 'agent/install']) {
    cases.push(
      [`${room}/x.ts`, "import { readFile } from 'node:fs';", null],
      [`${room}/x.ts`, "import { Tray } from 'electron';", /Electron belongs/],
      [`${room}/x.ts`, "import dbus from '@particle/dbus-next';", /only behind agent\/bus\/dbus\.ts/],
    );
  }
  for (const [file, code, expected] of cases) {
    test(`${file}: ${code}`, async () => {
      const messages = await violations(file, code);
      if (expected === null) assert.deepEqual(messages, []);
      else assert.ok(messages.some((m) => expected.test(m)), `expected ${expected}, got ${JSON.stringify(messages)}`);
    });
  }
});

// The lint rules see imports only; a Node global (process, Buffer) is caught by the compiler,
// in the sub-project with "types": []. Every pure folder must be in it, and only there.
describe('pure folders typecheck without Node', () => {
  const project = (name: string): { fileNames: string[]; types: string[] | undefined } => {
    const path = join(REPO, name);
    const read = ts.readConfigFile(path, (p) => ts.sys.readFile(p));
    assert.equal(read.error, undefined, `${name} reads`);
    const config: unknown = read.config;
    const parsed = ts.parseJsonConfigFileContent(config, ts.sys, REPO, undefined, path);
    return { fileNames: parsed.fileNames.map((f) => relative(REPO, f)), types: parsed.options.types };
  };
  const pureFolders = ['agent/core', ...readdirSync(join(REPO, 'agent'), { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(REPO, 'agent', e.name, 'core')))
    .map((e) => `agent/${e.name}/core`)];
  const sources = (dir: string): string[] => (readdirSync(join(REPO, dir), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts')).map((f) => `${dir}/${f}`);

  test('there are subject cores besides agent/core', () => {
    assert.ok(pureFolders.includes('agent/desktop/core') && pureFolders.includes('agent/install/core'), JSON.stringify(pureFolders));
  });
  for (const dir of pureFolders) {
    test(`${dir} is in tsconfig.core.json, not tsconfig.agent.json`, () => {
      const core = project('tsconfig.core.json');
      const agent = project('tsconfig.agent.json');
      assert.deepEqual(core.types, []);
      for (const file of sources(dir)) {
        assert.ok(core.fileNames.includes(file), `${file} typechecks without Node`);
        assert.ok(!agent.fileNames.includes(file), `${file} is not also compiled with Node's types`);
      }
    });
  }
});
