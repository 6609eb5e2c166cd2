/** A kernel or config file did not have the shape we expect. `source` names the file. */
export class ParseError extends Error {
  override name = 'ParseError';
  constructor(readonly source: string, message: string) {
    super(`${source}: ${message}`);
  }
}
