// The main side of the preload bridge: what a renderer may ask over 'headroom:call', checked
// (shared/bridge.ts checkBridgeCall, as the WebSocket transport does) before anything reaches
// the agent.
import { callBridge, checkBridgeCall, isBridgeMethod, type BridgeCall, type DashboardBridge } from '../../shared/bridge.js';

export type { BridgeCall };

export class BridgeCallError extends Error {
  override name = 'BridgeCallError';
}

export function parseBridgeCall(method: unknown, params: unknown): BridgeCall {
  if (!isBridgeMethod(method)) throw new BridgeCallError(`unknown method ${JSON.stringify(method)}`);
  if (!Array.isArray(params)) throw new BridgeCallError(`${method}: params must be an array`);
  const call = checkBridgeCall(method, params);
  if (typeof call === 'string') throw new BridgeCallError(call);
  return call;
}

/** Run a checked call against the feed (agent/feed/agent-feed.ts). */
export const dispatchBridgeCall = (bridge: DashboardBridge, call: BridgeCall): Promise<unknown> => callBridge(bridge, call);
