/**
 * Real-session lab: boots a throw-away Debian 12 guest (real systemd, cgroup v2, PSI)
 * under qemu and runs one scenario script in it. See lab/README.md.
 *
 * Only node: built-ins. The image is built and cached by lab/image/ensure.sh.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, open, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface LabImage {
  /** Cache directory of this image: <cache>/<key>/ */
  dir: string;
  kernel: string;
  initrd: string;
  rootfs: string;
}

export interface BootOptions {
  /** Scenario script, relative to the repository root, e.g. 'test/lab/guest/smoke.sh'. */
  script: string;
  /** Exported to the script (written to <outDir>/env.sh, sourced by the guest runner). */
  env?: Record<string, string>;
  /**
   * Limit for the whole boot, from qemu start to qemu exit, as it would be on an idle host;
   * qemu gets SIGKILL. Once the guest reports its pace (lab_measure_pace in
   * lab/guest/lib.sh: how much slower than idle this boot runs), the limit is stretched
   * by it, up to MAX_PACE times.
   */
  timeoutMs: number;
  /** Guest memory (default 2048). */
  memoryMiB?: number;
  /** Guest vCPUs (default 2). */
  cpus?: number;
  /** Writable directory shared as /mnt/out (default: a fresh temp dir). */
  outDir?: string;
  /** Extra kernel command-line words. */
  kernelArgs?: string[];
  /** Stops the guest early (qemu gets SIGKILL), e.g. when the host sees it frozen. */
  signal?: AbortSignal;
}

export interface BootResult {
  /** Exit status of the scenario script, null if it never reported one. */
  exitCode: number | null;
  /** qemu was killed because timeoutMs (stretched by the pace) elapsed. */
  timedOut: boolean;
  /** The slowest pace the guest reported (1 = as fast as on an idle host), null if none. */
  pace: number | null;
  /** The limit the boot ended with, in ms: timeoutMs stretched by the pace. */
  limitMs: number;
  /** qemu was killed because opts.signal aborted. */
  aborted: boolean;
  /** The guest's serial console (also in <outDir>/console.log). */
  consoleLog: string;
  outDir: string;
  /** Seconds from qemu start until the guest runner started the script; null if it never did. */
  bootSeconds: number | null;
  /** Seconds from qemu start until qemu exited. */
  totalSeconds: number;
  /** qemu's exit status (null when killed by a signal). */
  qemuExitCode: number | null;
  /** qemu's own stderr (errors starting the VM). */
  qemuStderr: string;
}

const DEFAULT_CACHE = '/var/cache/headroom-lab';
/** Time allowed between the script's exit code appearing and qemu exiting. */
const POWEROFF_GRACE_MS = 30_000;
/** The guest stops the script this long before the host's hard timeout. */
const GUEST_DEADLINE_MARGIN_S = 15;
/** The most a boot's limit is stretched by a slow pace (lib.sh's LAB_MAX_PACE_PCT / 100). */
export const MAX_PACE = 4;

/**
 * Whether a boot under host load was slowed enough to have tested the paced budgets: 10 % slower
 * than the quiet boot of the same run on the same host (without one, than an idle host's 1), and
 * never more than 1.25 asked, which no idle host measures. A fixed 1.3 failed CI at 1.29 (stop
 * 19) on a host where the same load had measured 1.40-1.60 here.
 */
export function loadFelt(busyPace: number | null, quietPace: number | undefined): { felt: boolean; yardstick: number } {
  const yardstick = Math.min(1.25, Math.max(1, quietPace ?? 1) * 1.1);
  return { felt: busyPace !== null && busyPace >= yardstick, yardstick };
}

/** The slowest pace in the guest's pace.txt ("pace_pct=N …" lines), as a factor; null if none. */
export function slowestPace(text: string): number | null {
  let worst: number | null = null;
  for (const m of text.matchAll(/^pace_pct=(\d+)\b/gm)) {
    const pace = Math.min(MAX_PACE, Math.max(1, Number(m[1]) / 100));
    if (worst === null || pace > worst) worst = pace;
  }
  return worst;
}
const POLL_MS = 200;

let cachedRoot: string | undefined;

function isHeadroomRoot(dir: string): boolean {
  const pkg = join(dir, 'package.json');
  if (!existsSync(pkg)) return false;
  try {
    const parsed: unknown = JSON.parse(readFileSync(pkg, 'utf8'));
    return typeof parsed === 'object' && parsed !== null && 'name' in parsed && parsed.name === 'headroom';
  } catch {
    return false;
  }
}

function findUp(start: string): string | undefined {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    if (isHeadroomRoot(dir)) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * The repository root: $HEADROOM_REPO if set, else the nearest ancestor of this module
 * (dist/lab/ normally), else of the working directory, whose package.json is named
 * "headroom". The whole root is shared read-only with the guest.
 */
export function repoRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  const here = dirname(fileURLToPath(import.meta.url));
  const found = process.env.HEADROOM_REPO ?? findUp(here) ?? findUp(process.cwd());
  if (found === undefined) throw new Error(`lab: no package.json named "headroom" above ${here} or ${process.cwd()}`);
  cachedRoot = found;
  return found;
}

function ensureScript(): string {
  return join(repoRoot(), 'lab', 'image', 'ensure.sh');
}

function onPath(cmd: string): string | undefined {
  for (const d of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    if (d === '') continue;
    const p = join(d, cmd);
    try {
      accessSync(p, constants.X_OK);
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Whether this machine can run the lab, and if not, why. Cheap; builds nothing. */
export function labAvailable(): { ok: boolean; why: string } {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return { ok: false, why: `lab needs linux/x64, this is ${process.platform}/${process.arch}` };
  }
  if (onPath('qemu-system-x86_64') === undefined) {
    return { ok: false, why: 'qemu-system-x86_64 not found (apt-get install qemu-system-x86)' };
  }
  const check = spawnSync('bash', [ensureScript(), '--check'], { encoding: 'utf8' });
  if (check.status === 0) return { ok: true, why: 'image cached' };
  if (onPath('debootstrap') === undefined) {
    return { ok: false, why: 'lab image not cached and debootstrap not found (apt-get install debootstrap e2fsprogs)' };
  }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return { ok: false, why: 'lab image not cached and building it needs root' };
  }
  return { ok: true, why: 'image will be built' };
}

/** Builds the lab image if the cache lacks it (a few minutes), and returns its files. */
export async function ensureLabImage(): Promise<LabImage> {
  const dir = await new Promise<string>((resolvePromise, reject) => {
    const child = spawn('bash', [ensureScript()], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code === 0 && last !== '') resolvePromise(last);
      else reject(new Error(`lab: image build failed (ensure.sh exit ${String(code)})`));
    });
  });
  const image: LabImage = {
    dir,
    kernel: join(dir, 'vmlinuz'),
    initrd: join(dir, 'initrd.img'),
    rootfs: join(dir, 'rootfs.raw'),
  };
  for (const f of [image.kernel, image.initrd, image.rootfs]) {
    if (!existsSync(f)) throw new Error(`lab: image file missing: ${f}`);
  }
  return image;
}

/** Cache location (for messages). */
export function labCacheDir(): string {
  return process.env.HEADROOM_LAB_CACHE ?? DEFAULT_CACHE;
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function validateScript(script: string): string {
  if (isAbsolute(script) || /\s/.test(script) || normalize(script).split(sep).includes('..')) {
    throw new Error(`lab: script must be a relative path inside the repository without spaces: ${script}`);
  }
  const full = resolve(repoRoot(), script);
  if (!existsSync(full)) throw new Error(`lab: no such script: ${full}`);
  return normalize(script);
}

/** qemu option values separate sub-options with commas; a literal comma is doubled. */
function qemuPath(path: string): string {
  return path.replace(/,/g, ',,');
}

function accelArgs(): string[] {
  // /dev/kvm on these machines hangs stock kernels; TCG unless asked otherwise.
  return process.env.HEADROOM_LAB_ACCEL === 'kvm'
    ? ['-accel', 'kvm', '-cpu', 'host']
    : ['-accel', 'tcg,thread=multi', '-cpu', 'max'];
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Boots the lab guest, runs `opts.script` (as root, from lab-run.service) and waits for
 * the guest to power off or for the timeout. The repository is shared read-only at
 * /mnt/share, the out dir writable at /mnt/out.
 */
export async function bootGuest(opts: BootOptions): Promise<BootResult> {
  const script = validateScript(opts.script);
  const image = await ensureLabImage();
  const outDir = opts.outDir ?? (await mkdtemp(join(tmpdir(), 'headroom-lab-')));
  await mkdir(outDir, { recursive: true });
  // Scenario steps that run as the guest's user `lab` write here too.
  await chmod(outDir, 0o777);

  const started = Date.now();
  // The guest's own outer limit is the most the host could stretch to; the host's paced
  // limit, below, is what ends a boot that runs out of time.
  const capMs = opts.timeoutMs * MAX_PACE;
  const deadlineEpoch = Math.floor((started + capMs) / 1000) - GUEST_DEADLINE_MARGIN_S;
  const env: Record<string, string> = { ...opts.env, LAB_SCRIPT: script, LAB_DEADLINE_EPOCH: String(deadlineEpoch) };
  const envLines = Object.entries(env).map(([k, v]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`lab: bad env name ${k}`);
    return `${k}=${shellQuote(v)}`;
  });
  await writeFile(join(outDir, 'env.sh'), envLines.join('\n') + '\n');

  const consolePath = join(outDir, 'console.log');
  const kernelArgs = [
    'root=/dev/vda',
    'rw',
    'console=ttyS0',
    'psi=1',
    'systemd.unified_cgroup_hierarchy=1',
    'fsck.mode=skip',
    `lab.script=${script}`,
    ...(opts.kernelArgs ?? []),
  ];
  const args = [
    ...accelArgs(),
    '-nodefaults',
    '-no-user-config',
    '-m', String(opts.memoryMiB ?? 2048),
    '-smp', String(opts.cpus ?? 2),
    '-display', 'none',
    '-serial', `file:${qemuPath(consolePath)}`,
    '-no-reboot',
    '-nic', 'none',
    '-kernel', image.kernel,
    '-initrd', image.initrd,
    '-append', kernelArgs.join(' '),
    '-drive', `file=${qemuPath(image.rootfs)},format=raw,if=virtio,snapshot=on,cache=unsafe`,
    '-virtfs', `local,path=${qemuPath(repoRoot())},mount_tag=share,security_model=none,readonly=on`,
    '-virtfs', `local,path=${qemuPath(outDir)},mount_tag=out,security_model=none`,
  ];

  const child = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let qemuStderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    qemuStderr += chunk;
  });
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);

  let timedOut = false;
  let aborted = false;
  let bootSeconds: number | null = null;
  let exitCodeSeenAt: number | undefined;
  const verbose = process.env.HEADROOM_LAB_VERBOSE === '1';
  let consoleOffset = 0;

  const streamConsole = async (): Promise<void> => {
    try {
      const fh = await open(consolePath, 'r');
      try {
        const buf = Buffer.alloc(65536);
        for (;;) {
          const { bytesRead } = await fh.read(buf, 0, buf.length, consoleOffset);
          if (bytesRead === 0) break;
          consoleOffset += bytesRead;
          process.stderr.write(buf.subarray(0, bytesRead));
        }
      } finally {
        await fh.close();
      }
    } catch {
      // not created yet
    }
  };

  const exited = new Promise<number | null>((resolveExit, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      resolveExit(code);
    });
  });

  let running = true;
  let pace: number | null = null;
  const limitMs = (): number => opts.timeoutMs * (pace ?? 1);
  const timeOut = (): void => {
    timedOut = true;
    child.kill('SIGKILL');
  };
  const timer = setTimeout(timeOut, capMs);
  const abort = (): void => {
    aborted = true;
    child.kill('SIGKILL');
  };
  if (opts.signal?.aborted === true) abort();
  else opts.signal?.addEventListener('abort', abort, { once: true });
  const poll = (async (): Promise<void> => {
    while (running) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      if (bootSeconds === null && existsSync(join(outDir, 'started'))) {
        bootSeconds = (Date.now() - started) / 1000;
      }
      const paceText = await readIfExists(join(outDir, 'pace.txt'));
      if (paceText !== undefined) pace = slowestPace(paceText) ?? pace;
      if (!timedOut && Date.now() - started > limitMs()) timeOut();
      if (exitCodeSeenAt === undefined && existsSync(join(outDir, 'exit-code'))) exitCodeSeenAt = Date.now();
      if (exitCodeSeenAt !== undefined && Date.now() - exitCodeSeenAt > POWEROFF_GRACE_MS) {
        // The script finished but the guest did not power off: not a scenario timeout.
        child.kill('SIGKILL');
      }
      if (verbose) await streamConsole();
    }
  })();

  let qemuExitCode: number | null;
  try {
    qemuExitCode = await exited;
  } finally {
    running = false;
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', abort);
    process.removeListener('exit', killOnExit);
    await poll;
  }
  if (verbose) await streamConsole();
  const totalSeconds = (Date.now() - started) / 1000;
  if (bootSeconds === null && existsSync(join(outDir, 'started'))) bootSeconds = totalSeconds;

  const codeText = await readIfExists(join(outDir, 'exit-code'));
  const parsed = codeText === undefined ? NaN : Number.parseInt(codeText.trim(), 10);
  return {
    exitCode: Number.isNaN(parsed) ? null : parsed,
    timedOut,
    pace,
    limitMs: limitMs(),
    aborted,
    consoleLog: (await readIfExists(consolePath)) ?? '',
    outDir,
    bootSeconds,
    totalSeconds,
    qemuExitCode,
    qemuStderr,
  };
}

/** Reads key=value lines (as written by the guest scripts) into a map. */
export function parseKeyValues(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) map.set(line.slice(0, i), line.slice(i + 1));
  }
  return map;
}
