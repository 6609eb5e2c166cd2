// The installed package's root (where package.json and assets/ live), found from this module's
// own location so it works from dist/, from a global npm install and from an app bundle.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | null = null;

export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'headroom') return (cached = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the headroom package root above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

export const assetPath = (name: string): string => join(packageRoot(), 'assets', name);

export const packageVersion = (): string =>
  (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
