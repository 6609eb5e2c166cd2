// The main side of the preload bridge: what a renderer may ask over 'headroom:call', checked
// before anything reaches the agent. The page is ours, but a compromised page must still not
// be able to call anything but the four bridge methods, with well-formed arguments.
import { isBridgeMethod, type DashboardBridge } from '../../shared/bridge.js';
import { isPreference, type Preference } from '../../shared/names.js';

export type BridgeCall =
  | { method: 'load'; params: [] }
  | { method: 'setPreference'; params: [string, Preference] }
  | { method: 'listLaunchers'; params: [] }
  | { method: 'launch'; params: [string] };

export class BridgeCallError extends Error {
  override name = 'BridgeCallError';
}

/** Longer than any app id or desktop id (systemd unit names stop at 255). */
const MAX_ID_LENGTH = 255;

function id(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '' || value.length > MAX_ID_LENGTH) {
    throw new BridgeCallError(`${what}: expected a non-empty string of at most ${MAX_ID_LENGTH} characters`);
  }
  return value;
}

export function parseBridgeCall(method: unknown, params: unknown): BridgeCall {
  if (!isBridgeMethod(method)) throw new BridgeCallError(`unknown method ${JSON.stringify(method)}`);
  if (!Array.isArray(params)) throw new BridgeCallError(`${method}: params must be an array`);
  const arity = (n: number): void => {
    if (params.length !== n) throw new BridgeCallError(`${method}: expected ${n} parameter(s), got ${params.length}`);
  };
  switch (method) {
    case 'load':
    case 'listLaunchers':
      arity(0);
      return { method, params: [] };
    case 'setPreference': {
      arity(2);
      const preference: unknown = params[1];
      if (typeof preference !== 'string' || !isPreference(preference)) throw new BridgeCallError(`setPreference: expected none, avoid or omit, got ${JSON.stringify(preference)}`);
      return { method, params: [id(params[0], 'setPreference app id'), preference] };
    }
    case 'launch':
      arity(1);
      return { method, params: [id(params[0], 'launch desktop id')] };
  }
}

/** Run a checked call against the backend. */
export function dispatchBridgeCall(bridge: DashboardBridge, call: BridgeCall): Promise<unknown> {
  switch (call.method) {
    case 'load': return bridge.load();
    case 'setPreference': return bridge.setPreference(...call.params);
    case 'listLaunchers': return bridge.listLaunchers();
    case 'launch': return bridge.launch(...call.params);
  }
}
