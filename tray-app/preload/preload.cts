// The dashboard window's preload: the DashboardBridge (shared/bridge.ts) over Electron IPC.
// CommonJS (.cts): a sandboxed preload is run as a plain script with a limited require(), so
// it imports nothing at run time but 'electron'; the page sees only window.headroomBridge.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS import form TypeScript requires in a .cts under verbatimModuleSyntax
import electron = require('electron');
import type { BridgeEvent, BridgeMethod, DashboardBridge, DashboardState } from '../../shared/bridge.js';
import type { Preference } from '../../shared/names.js';
import type { LauncherRecord } from '../../shared/records.js';

const { contextBridge, ipcRenderer } = electron;

const call = <T,>(method: BridgeMethod, ...params: unknown[]): Promise<T> =>
  ipcRenderer.invoke('headroom:call', method, params) as Promise<T>;

const bridge: DashboardBridge = {
  load: () => call<DashboardState>('load'),
  setPreference: (appId: string, preference: Preference) => call<void>('setPreference', appId, preference),
  listLaunchers: () => call<LauncherRecord[]>('listLaunchers'),
  launch: (desktopId: string) => call<string>('launch', desktopId),
  subscribe(listener: (event: BridgeEvent) => void): () => void {
    // Wrapped, so the page never receives Electron's IpcRendererEvent (it holds the sender).
    const onEvent = (_e: unknown, event: BridgeEvent): void => listener(event);
    ipcRenderer.on('headroom:event', onEvent);
    return () => { ipcRenderer.removeListener('headroom:event', onEvent); };
  },
};

contextBridge.exposeInMainWorld('headroomBridge', bridge);
