// The runtime layers, as lint rules (see docs/layout.md). Kept in their own module so that
// test/unit/layers.test.ts can prove they reject what they must.
//   shared/        pure TS: no Node, no Electron, no DOM, no D-Bus library
//   agent/core/    pure policy and parsers: no IO of any kind, not even the rest of agent/
//   agent/*/core/  a subject's pure part (agent/desktop/core, agent/install/core): no IO either;
//                  it sees agent/core/, other core/ folders and shared/, never the adapters
//                  beside it (agent/desktop/*.ts import agent/desktop/core, not the reverse)
//   agent/         Node: never Electron, never the tray
//   agent/feed/    the UIs' link to the agent, a client of its bus API: agent/bus/ and shared/,
//                  never the agent itself (agent.ts, core/, io/), the CLI or the HTTP transport
//   tray-app/main/      Electron main: Node + Electron; talks to the agent only through
//                       agent/feed/ and agent/bus/ (never the D-Bus library)
//   tray-app/preload/   Electron preload: contextBridge + ipcRenderer, shared/ types; nothing else
//   tray-app/renderer/  browser code: shared/ and itself only; no Node, no Electron, no agent
//   lab/           Node: the qemu harness of the real-session lab; none of the project, no Electron
//   bench/         Node: the benchmark; the lab through lab/, never test/'s tests or test/lab
// tsconfig.{shared,core}.json back this up with "types": [] so Node globals fail to typecheck
// (tsconfig.core.json holds agent/core/ and every agent/*/core/).
// !!! Do not relax these rules: a leak here is how IO ends up inside the kill decision. !!!
const nodeBuiltins = ['node:*', 'fs', 'fs/*', 'path', 'os', 'child_process', 'net', 'events', 'util', 'stream', 'crypto', 'process', 'url', 'timers', 'timers/*'];
const noNode = { group: nodeBuiltins, message: 'Pure layer: no Node built-ins. Pass data in via the snapshot instead.' };
const noElectron = { group: ['electron', 'electron/*'], message: 'Electron belongs in tray-app/main and tray-app/preload only.' };
const noAgent = { group: ['**/agent/**'], message: 'Browser and preload code reach the agent only through the DashboardBridge (shared/bridge.ts).' };
const corePolicyOnly = 'agent/core/ is the pure policy: it may import only agent/core/ and shared/.';
const subjectCoreOnly = "A subject's core/ is pure: it may import only agent/core/, other core/ folders and shared/, never the adapters beside it.";
const trayOverBus = 'The tray reaches the agent over the bus: agent/feed/ and agent/bus/ only.';
const noDbus = { group: ['@particle/dbus-next', 'dbus-next'], message: 'The D-Bus library is used only behind agent/bus/dbus.ts.' };

export const layerRules = [
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [noNode, noElectron, noDbus,
        { group: ['**/agent/**', '**/tray-app/**'], message: 'shared/ is imported by both sides; it imports neither.' }] }],
    },
  },
  {
    files: ['agent/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [noNode, noElectron, noDbus,
        { group: ['../io/*', '../bus/*', '../cli/*', '../*.js', '**/agent/io/**', '**/agent/bus/**', '**/tray-app/**'], message: corePolicyOnly },
        // Anything above agent/core/ but shared/: the subject folders (agent/desktop/, agent/cgroup/...) included.
        { regex: '^\\.\\./(?!\\.\\./shared/)', message: corePolicyOnly }] }],
    },
  },
  {
    files: ['agent/*/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [noNode, noElectron, noDbus,
        // ../x.js is the subject's own adapter (agent/desktop/app-launcher.ts): it imports this, not the reverse.
        { regex: '^\\.\\./(?!\\.\\./)', message: subjectCoreOnly },
        { regex: '^\\.\\./\\.\\./(?!core/|[^./][^/]*/core/|\\.\\./shared/)', message: subjectCoreOnly },
        { group: ['**/tray-app/**'], message: subjectCoreOnly }] }],
    },
  },
  {
    files: ['agent/**/*.ts'],
    ignores: ['agent/core/**', 'agent/*/core/**', 'agent/bus/dbus.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [noElectron, noDbus,
        { group: ['**/tray-app/**'], message: 'The agent never depends on the tray.' }] }],
    },
  },
  {
    files: ['agent/feed/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [noElectron, noDbus,
        { group: ['**/tray-app/**', '**/agent/agent.js', '../agent.js', '**/agent/core/**', '../core/*', '**/agent/io/**', '../io/*', '**/agent/cli/**', '../cli/*', '**/agent/dashboard/**', '../dashboard/*',
          '**/agent/cgroup/**', '../cgroup/*', '**/agent/desktop/**', '../desktop/*', '**/agent/install/**', '../install/*'],
          message: 'agent/feed/ is a client of the agent bus API: it may import agent/bus/ and shared/ only.' }] }],
    },
  },
  {
    files: ['tray-app/main/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [noDbus,
        { group: ['**/renderer/**', '**/preload/**'], message: 'The main process loads the page and the preload by path; it never imports them.' },
        { group: ['**/agent/core/**', '**/agent/io/**', '**/agent/agent.js', '**/agent/cli/**', '**/agent/dashboard/**'], message: trayOverBus },
        // Every other room of the agent too (agent/cgroup/, agent/desktop/, agent/install/...): only feed/ and bus/.
        { regex: '(^|/)agent/(?!bus/|feed/)', message: trayOverBus }] }],
    },
  },
  {
    files: ['tray-app/preload/**/*.ts', 'tray-app/preload/**/*.cts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [noNode, noDbus, noAgent,
        { group: ['**/main/**', '**/renderer/**'], message: 'The preload is only the IPC side of the bridge.' }] }],
    },
  },
  {
    files: ['tray-app/renderer/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [noNode, noElectron, noDbus, noAgent,
        { group: ['**/tray-app/main/**', '**/main/**', '**/preload/**'], message: 'The page runs in a browser: it sees the bridge (shared/bridge.ts), nothing of the main process.' }] }],
    },
  },
  {
    files: ['lab/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [noElectron, noDbus,
        { group: ['**/agent/**', '**/shared/**', '**/tray-app/**', '**/test/**', '**/bench/**'],
          message: 'lab/ boots the guest for test/lab and bench/ alike: it imports neither them nor the app.' }] }],
    },
  },
  {
    files: ['bench/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [noElectron, noDbus,
        { regex: '(^|/)test/(?!support/)',
          message: 'bench/ reaches the lab through lab/; of test/ it may use only the fixtures in test/support/.' }] }],
    },
  },
];
