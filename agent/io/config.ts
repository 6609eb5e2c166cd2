// The agent's config: one TOML file, every knob optional and documented in
// assets/config.example.toml. Validation names the key and its line; a bad file at reload
// keeps the last good config (the caller decides, this module only reports).
import { parse as parseToml, TomlError } from 'smol-toml';
import { z } from 'zod';
import { DEFAULT_POLICY, type PolicyConfig } from '../core/constants.js';
import { readTextIfExists } from './files.js';

const pct = z.number().min(0).max(100);
const ms = z.number().int().min(0).max(3_600_000);
/** An absolute directory, or '' for none. */
const directory = z.string()
  .refine((v) => v === '' || v.startsWith('/'), 'must be an absolute path, or "" for none')
  // eslint-disable-next-line no-control-regex
  .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), 'must not hold control characters');

const ConfigSchema = z.strictObject({
  pressure: z.strictObject({
    full_limit_pct: pct.optional(),
    duration_ms: ms.min(100).optional(),
  }).optional(),
  exhaustion: z.strictObject({
    mem_available_pct: pct.optional(),
    swap_free_pct: pct.optional(),
    horizon_ms: ms.optional(),
  }).optional(),
  elevated: z.strictObject({
    mem_available_pct: pct.optional(),
    full_pct: pct.optional(),
    some_pct: pct.optional(),
  }).optional(),
  kill: z.strictObject({
    cooldown_ms: ms.optional(),
    grace_ms: ms.max(30_000).optional(),
    dry_run: z.boolean().optional(),
  }).optional(),
  watch: z.strictObject({
    psi_triggers: z.boolean().optional(),
  }).optional(),
  metrics: z.strictObject({
    textfile_dir: directory.optional(),
  }).optional(),
  pause: z.strictObject({
    answer_seconds: z.number().int().min(0).max(600).optional(),
  }).optional(),
});
type ConfigFile = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const KEY_PART = String.raw`(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')`;
const KEY_LINE = new RegExp(String.raw`^(${KEY_PART}(?:\s*\.\s*${KEY_PART})*)\s*=`);
const splitKey = (key: string): string[] =>
  (key.match(new RegExp(KEY_PART, 'g')) ?? []).map((k) => (/^["']/.test(k) ? k.slice(1, -1) : k));

/**
 * 1-based line of the key at `path` (e.g. ['kill', 'grace_ms']), for error messages. Handles
 * `[section]` headers, top-level keys, dotted keys and inline tables; when the key itself is
 * not written out, the nearest enclosing one (usually the section header) is the answer.
 */
export function lineOf(text: string, path: readonly (string | number)[]): number | null {
  const want = path.map(String);
  if (want.length === 0) return null;
  const lines = text.split('\n');
  let table: string[] = [];
  let best: { line: number; depth: number } | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    let at: string[];
    const header = /^\[\[?([^\]]+)\]/.exec(line);
    if (header) {
      at = table = splitKey(header[1]!);
    } else {
      const key = KEY_LINE.exec(line);
      if (!key) continue;
      at = [...table, ...splitKey(key[1]!)];
    }
    // Only a line on the way to the wanted key (or below it) counts; the deepest, then first, wins.
    const depth = Math.min(at.length, want.length);
    if (depth === 0 || at.slice(0, depth).some((k, j) => k !== want[j])) continue;
    if (best === null || depth > best.depth) best = { line: i + 1, depth };
  }
  return best?.line ?? null;
}

export function parseConfig(text: string, source: string): PolicyConfig {
  let raw: unknown;
  try {
    raw = parseToml(text);
  } catch (err) {
    if (err instanceof TomlError) throw new ConfigError(`${source}:${err.line}: ${err.message.split('\n')[0]}`);
    throw err;
  }
  const result = ConfigSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const keys = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : issue.path;
    const line = lineOf(text, keys.filter((k): k is string | number => typeof k !== 'symbol'));
    const where = `${source}${line === null ? '' : `:${line}`}`;
    const name = keys.join('.');
    const what = issue.code === 'unrecognized_keys' ? 'unknown key' : issue.message;
    throw new ConfigError(`${where}: ${name}: ${what}`);
  }
  return toPolicy(result.data);
}

function toPolicy(c: ConfigFile): PolicyConfig {
  const d = DEFAULT_POLICY;
  return {
    pressureFullLimitPct: c.pressure?.full_limit_pct ?? d.pressureFullLimitPct,
    pressureDurationMs: c.pressure?.duration_ms ?? d.pressureDurationMs,
    memAvailableCriticalPct: c.exhaustion?.mem_available_pct ?? d.memAvailableCriticalPct,
    swapFreeCriticalPct: c.exhaustion?.swap_free_pct ?? d.swapFreeCriticalPct,
    exhaustionHorizonMs: c.exhaustion?.horizon_ms ?? d.exhaustionHorizonMs,
    memAvailableElevatedPct: c.elevated?.mem_available_pct ?? d.memAvailableElevatedPct,
    elevatedFullPct: c.elevated?.full_pct ?? d.elevatedFullPct,
    elevatedSomePct: c.elevated?.some_pct ?? d.elevatedSomePct,
    cooldownMs: c.kill?.cooldown_ms ?? d.cooldownMs,
    killGraceMs: c.kill?.grace_ms ?? d.killGraceMs,
    dryRun: c.kill?.dry_run ?? d.dryRun,
    psiTriggers: c.watch?.psi_triggers ?? d.psiTriggers,
    metricsTextfileDir: c.metrics?.textfile_dir ?? d.metricsTextfileDir,
    pauseAnswerMs: c.pause?.answer_seconds !== undefined ? c.pause.answer_seconds * 1000 : d.pauseAnswerMs,
  };
}

/** Load the config file; a missing file means the defaults. */
export async function loadConfig(path: string): Promise<PolicyConfig> {
  const text = await readTextIfExists(path);
  return text === null ? { ...DEFAULT_POLICY } : parseConfig(text, path);
}
