// Poll until a probe answers: the integration tests' one wait for something the agent does.

/** `probe()` until it returns a value; after `timeoutMs`, an error naming `what` and `detail()`. */
export async function waitFor<T>(probe: () => T | undefined, what: string, timeoutMs: number, detail: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${detail()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
