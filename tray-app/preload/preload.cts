// The dashboard window's preload: the DashboardBridge (shared/bridge.ts) over Electron IPC.
// CommonJS (.cts): a sandboxed preload is run as a plain script with a limited require(), so
// it imports nothing at run time but 'electron'; the page sees only window.headroomBridge, and
// checks what it answers (shared/bridge-answers.ts) as it does the WebSocket's.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS import form TypeScript requires in a .cts under verbatimModuleSyntax
import electron = require('electron');
import type { UncheckedBridge } from '../../shared/bridge-answers.js';
import type { BridgeMethod } from '../../shared/bridge.js';
import type { Preference } from '../../shared/names.js';

const { contextBridge, ipcRenderer } = electron;

const call = (method: BridgeMethod, ...params: unknown[]): Promise<unknown> => ipcRenderer.invoke('headroom:call', method, params);

const bridge: UncheckedBridge = {
  load: () => call('load'),
  setPreference: (appId: string, preference: Preference) => call('setPreference', appId, preference),
  listLaunchers: () => call('listLaunchers'),
  launch: (desktopId: string) => call('launch', desktopId),
  resumeApp: (target: string) => call('resumeApp', target),
  quitApp: (target: string, force: boolean) => call('quitApp', target, force),
  subscribe(listener: (event: unknown) => void): () => void {
    // Wrapped, so the page never receives Electron's IpcRendererEvent (it holds the sender).
    const onEvent = (_e: unknown, event: unknown): void => listener(event);
    ipcRenderer.on('headroom:event', onEvent);
    return () => { ipcRenderer.removeListener('headroom:event', onEvent); };
  },
};

contextBridge.exposeInMainWorld('headroomBridge', bridge);
