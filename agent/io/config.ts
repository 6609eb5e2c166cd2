// The agent's config: one TOML file, every knob optional and documented in
// assets/config.example.toml. Validation names the key and its line; a bad file at reload
// keeps the last good config (the caller decides, this module only reports).
import { parse as parseToml, TomlError } from 'smol-toml';
import { z } from 'zod';
import { DEFAULT_POLICY, type PolicyConfig } from '../core/constants.js';
import { readTextIfExists } from './files.js';

const pct = z.number().min(0).max(100);
const ms = z.number().int().min(0).max(3_600_000);

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
});
type ConfigFile = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** 1-based line of `key` inside `[section]` (or of the section header), for error messages. */
export function lineOf(text: string, path: readonly (string | number)[]): number | null {
  const [section, key] = path.map(String);
  const lines = text.split('\n');
  let inSection = section === undefined;
  let sectionLine: number | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    const header = /^\[\s*([^\]]+?)\s*\]/.exec(line);
    if (header) {
      inSection = header[1] === section;
      if (inSection) sectionLine = i + 1;
      continue;
    }
    if (inSection && key !== undefined && new RegExp(`^"?${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"?\\s*=`).test(line)) return i + 1;
  }
  return sectionLine;
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
  };
}

/** Load the config file; a missing file means the defaults. */
export async function loadConfig(path: string): Promise<PolicyConfig> {
  const text = await readTextIfExists(path);
  return text === null ? { ...DEFAULT_POLICY } : parseConfig(text, path);
}
