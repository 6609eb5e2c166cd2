// The layer rules must reject what they promise to (a rule that never fires proves nothing).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
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
    ['agent/io/x.ts', "import dbus from '@particle/dbus-next';", /only behind agent\/bus\/dbus\.ts/],
    ['agent/io/x.ts', "import { readFile } from 'node:fs';", null],
    ['agent/bus/dbus.ts', "import dbus from '@particle/dbus-next';", null],
    ['agent/cli/x.ts', "import { Tray } from 'electron';", /Electron belongs/],
    ['tray-app/main/x.ts', "import { Tray } from 'electron';", null],
    ['tray-app/main/x.ts', "import { AgentClient } from '../../agent/bus/agent-client.js';", null],
    ['tray-app/main/x.ts', "import dbus from '@particle/dbus-next';", /only behind agent\/bus\/dbus\.ts/],
    ['tray-app/main/x.ts', "import { decide } from '../../agent/core/decide.js';", /over the bus/],
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
  for (const [file, code, expected] of cases) {
    test(`${file}: ${code}`, async () => {
      const messages = await violations(file, code);
      if (expected === null) assert.deepEqual(messages, []);
      else assert.ok(messages.some((m) => expected.test(m)), `expected ${expected}, got ${JSON.stringify(messages)}`);
    });
  }
});
