/**
 * Loaded into the agent by the leak check (NODE_OPTIONS=--import=…/leak-probe.js), never by
 * the shipped agent: what only the process itself can say about its memory, written on a
 * signal to the file named by HEADROOM_LEAK_PROBE, so the check can sample it without a timer
 * of its own changing what the agent does between samples.
 *   SIGWINCH  write process.memoryUsage() and glibc's mallinfo2() (all arenas summed)
 *   SIGURG    a full GC (where --expose-gc) and malloc_trim(0) first, then write: how much
 *             of RSS is garbage, or malloc's free memory that glibc had not handed back
 * glibc's numbers come through koffi (the agent's own FFI, agent/io/libc.ts).
 */
import { renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export interface ProbeSample {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** mallinfo2: bytes malloc holds from the kernel in its arenas (brk heap + thread arenas). */
  mallocArena: number;
  /** mallinfo2: bytes in malloc's own mmap()ed chunks (large allocations). */
  mallocMmapped: number;
  /** mallinfo2: bytes in use in the arenas. */
  mallocInUse: number;
  /** mallinfo2: free bytes held in the arenas (fragmentation, or not yet trimmed). */
  mallocFree: number;
  /** Whether malloc_trim(0) said it released memory (SIGURG), else null (SIGWINCH). */
  trimmed: boolean | null;
}

const out = process.env.HEADROOM_LEAK_PROBE;
if (out !== undefined && out !== '') {
  const require = createRequire(import.meta.url);
  // koffi's dynamic API has no types that survive strict mode; these are its documented calls.
  const koffi = require('koffi') as {
    load(name: string): { func(signature: string): (...args: unknown[]) => unknown };
    struct(name: string, fields: Record<string, string>): unknown;
  };
  koffi.struct('mallinfo2_t', {
    arena: 'size_t', ordblks: 'size_t', smblks: 'size_t', hblks: 'size_t', hblkhd: 'size_t',
    usmblks: 'size_t', fsmblks: 'size_t', uordblks: 'size_t', fordblks: 'size_t', keepcost: 'size_t',
  });
  const libc = koffi.load('libc.so.6');
  const mallinfo2 = libc.func('mallinfo2_t mallinfo2()') as () => Record<string, number | bigint>;
  const mallocTrim = libc.func('int malloc_trim(size_t)') as (pad: number) => number;
  const write = (trimmed: boolean | null): void => {
    const m = process.memoryUsage();
    const mi = mallinfo2();
    const sample: ProbeSample = {
      rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers,
      mallocArena: Number(mi.arena), mallocMmapped: Number(mi.hblkhd), mallocInUse: Number(mi.uordblks), mallocFree: Number(mi.fordblks),
      trimmed,
    };
    writeFileSync(`${out}.tmp`, JSON.stringify(sample));
    renameSync(`${out}.tmp`, out);
  };
  process.on('SIGWINCH', () => write(null));
  // With --expose-gc, a full collection first: what is left is what is live.
  const gc = (globalThis as { gc?: () => void }).gc;
  process.on('SIGURG', () => {
    gc?.();
    write(mallocTrim(0) === 1);
  });
}
