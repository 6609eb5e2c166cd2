// Parse a cgroup's memory.stat (flat "key value" lines) for the fields the policy reads.
import { ParseError } from './parse-error.js';

export interface MemoryStat {
  anonBytes: number;
  fileBytes: number;
  /** tmpfs, memfd and shared anonymous pages: counted in `file`, but reclaim can only swap them. */
  shmemBytes: number;
  /** Pages scanned by reclaim, kswapd and direct together: a rising count means this cgroup is being squeezed. */
  pgscan: number;
}

export function parseMemoryStat(text: string, source = 'memory.stat'): MemoryStat {
  const values = new Map<string, number>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const m = /^(\w+) (\d+)$/.exec(line);
    if (!m) throw new ParseError(source, `unexpected line ${JSON.stringify(line)}`);
    values.set(m[1]!, Number(m[2]));
  }
  const need = (key: string): number => {
    const v = values.get(key);
    if (v === undefined) throw new ParseError(source, `no ${key} line`);
    return v;
  };
  return { anonBytes: need('anon'), fileBytes: need('file'), shmemBytes: need('shmem'), pgscan: need('pgscan') };
}
