// A real notification server for tests: Xvfb plus dunst on a private session bus, with
// dbus-monitor recording every Notify call exactly as it crossed the bus. Actions are
// invoked through dunst's own context menu (its "dmenu" is a script that picks a label).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

const TOOLS = ['Xvfb', 'dunst', 'dunstctl', 'dbus-monitor', 'xwd', 'xwdtopnm', 'pnmtopng'];

export function desktopToolsMissing(): string {
  const missing = TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' }).status !== 0);
  return missing.length === 0 ? '' : `missing ${missing.join(', ')} (apt-get install xvfb dunst x11-apps netpbm dbus)`;
}

export interface NotifyCall {
  timeMs: number;
  appName: string;
  replacesId: number;
  icon: string;
  summary: string;
  body: string;
  actions: string[];
  hints: Record<string, string>;
  timeout: number;
}

export class DesktopSession {
  private readonly children: ChildProcess[] = [];
  readonly dir = mkdtempSync(join(tmpdir(), 'headroom-desktop-'));
  display = '';
  private monitorText = '';

  async start(busAddress: string): Promise<void> {
    const env = { ...process.env, DBUS_SESSION_BUS_ADDRESS: busAddress };
    // Xvfb picks a free display and writes its number to the fd we give it.
    const xvfb = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
    this.children.push(xvfb);
    this.display = ':' + (await new Promise<string>((resolve, reject) => {
      createInterface({ input: xvfb.stdio[3] as NodeJS.ReadableStream }).once('line', resolve);
      xvfb.once('exit', (c) => reject(new Error(`Xvfb exited (${c})`)));
    })).trim();
    const pick = join(this.dir, 'pick');
    writeFileSync(pick, '');
    const dmenu = join(this.dir, 'dmenu.sh');
    writeFileSync(dmenu, `#!/bin/sh\ncat > '${this.dir}/menu'\ngrep -F -- "$(cat '${pick}')" '${this.dir}/menu' | head -n 1\n`);
    chmodSync(dmenu, 0o755);
    writeFileSync(join(this.dir, 'dunstrc'), `[global]\ndmenu = ${dmenu}\nhistory_length = 50\nfont = DejaVu Sans 11\nwidth = 460\noffset = 24x24\nframe_width = 2\n[urgency_critical]\ntimeout = 0\n[urgency_normal]\ntimeout = 0\n`);
    const monitor = spawn('dbus-monitor', ['--address', busAddress, "type='method_call',interface='org.freedesktop.Notifications',member='Notify'"], { stdio: ['ignore', 'pipe', 'ignore'] });
    monitor.stdout.on('data', (d: Buffer) => { this.monitorText += d.toString(); });
    this.children.push(monitor);
    const dunst = spawn('dunst', ['-config', join(this.dir, 'dunstrc')], { env: { ...env, DISPLAY: this.display }, stdio: 'ignore' });
    this.children.push(dunst);
    for (let i = 0; i < 100; i++) {
      if (spawnSync('dunstctl', ['is-paused'], { env }).status === 0) return;
      await sleep(50);
    }
    throw new Error('dunst did not come up on the bus');
  }

  /** Every Notify call seen on the bus so far, parsed from dbus-monitor's text. */
  notifyCalls(): NotifyCall[] {
    return this.monitorText.split(/^method call /m).slice(1).filter((b) => b.includes('member=Notify')).map(parseNotify);
  }

  /** Invoke the action whose label contains `label`, through dunst's context menu. */
  invoke(label: string, busAddress: string): void {
    writeFileSync(join(this.dir, 'pick'), label);
    spawnSync('dunstctl', ['context'], { env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: busAddress, DISPLAY: this.display } });
  }

  menu(): string {
    return readFileSync(join(this.dir, 'menu'), 'utf8');
  }

  history(busAddress: string): Record<string, { data: unknown }>[] {
    const out = spawnSync('dunstctl', ['history'], { env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: busAddress }, encoding: 'utf8' }).stdout;
    return (JSON.parse(out) as { data: Record<string, { data: unknown }>[][] }).data[0] ?? [];
  }

  /** The whole Xvfb screen as a PNG. */
  screenshot(path: string): void {
    const r = spawnSync('sh', ['-c', `xwd -root -silent -display '${this.display}' | xwdtopnm 2>/dev/null | pnmtopng > '${path}'`]);
    if (r.status !== 0) throw new Error(`screenshot failed: ${r.stderr?.toString() ?? ''}`);
  }

  stop(): void {
    for (const c of this.children.reverse()) c.kill('SIGTERM');
  }
}

/** dbus-monitor prints one argument per line: string "…", uint32 N, array [ … ], dict entry( … ). */
function parseNotify(block: string): NotifyCall {
  const time = /time=(\d+\.\d+)/.exec(block);
  const lines = block.split('\n').slice(1);
  const strings: string[] = [];
  const scalars: number[] = [];
  const actions: string[] = [];
  const hints: Record<string, string> = {};
  let depth = 0;
  let arrayIndex = 0;
  let hintKey: string | null = null;
  for (const raw of lines) {
    const line = raw.trim();
    if (line.startsWith('array [')) { depth++; arrayIndex++; continue; }
    if (line === ']') { depth--; continue; }
    const s = /^string "(.*)"$/s.exec(line);
    const v = /^variant\s+(\w+) (.*)$/.exec(line);
    const n = /^(?:uint32|int32) (-?\d+)$/.exec(line);
    if (depth > 0 && arrayIndex === 1 && s) actions.push(unquote(s[1]!));
    else if (depth > 0 && arrayIndex === 2 && s) hintKey = unquote(s[1]!);
    else if (depth > 0 && arrayIndex === 2 && v && hintKey !== null) {
      hints[hintKey] = v[2]!.replace(/^"(.*)"$/, '$1');
      hintKey = null;
    } else if (depth === 0 && s) strings.push(unquote(s[1]!));
    else if (depth === 0 && n) scalars.push(Number(n[1]));
  }
  return {
    timeMs: time ? Math.round(Number(time[1]) * 1000) : 0,
    appName: strings[0] ?? '',
    replacesId: scalars[0] ?? 0,
    icon: strings[1] ?? '',
    summary: strings[2] ?? '',
    body: strings[3] ?? '',
    actions,
    hints,
    timeout: scalars[1] ?? 0,
  };
}

const unquote = (s: string): string => s.replace(/\\"/g, '"');
