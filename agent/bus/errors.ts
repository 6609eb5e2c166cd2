// Errors the agent returns over the bus; names are part of the contract (assets/*.xml).
export const ERROR_NO_SUCH_APP = 'org.headroom.Agent1.Error.NoSuchApp';
export const ERROR_INVALID_ARGS = 'org.headroom.Agent1.Error.InvalidArgs';
export const ERROR_FAILED = 'org.headroom.Agent1.Error.Failed';
export const ERROR_INVALID_CONFIG = 'org.headroom.Agent1.Error.InvalidConfig';

/** An error with a D-Bus name, thrown by the agent's API and sent to the caller as such. */
export class AgentError extends Error {
  override name = 'AgentError';
  constructor(readonly busName: string, message: string) {
    super(message);
  }
}
