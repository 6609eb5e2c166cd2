// The tray as a StatusNotifierItem host sees it. Our own watcher/host (test/support/
// sni-watcher.ts) is proven here against a small item written below; where the Electron
// binary exists, the real tray is started against a real agent and read the same way,
// through its unique name, as GNOME's AppIndicator extension reads it. Where the binary does
// not exist, that part is reported as skipped with the reason, never as passed.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import dbus from '@particle/dbus-next';
import { AgentProcess, makeHome, ProcRoot, REPO } from '../support/agent-process.js';
import { CgroupTree, cgroupTreeUnavailable } from '../support/cgroup-tree.js';
import { dbusDaemonAvailable, startPrivateBus, type PrivateBus } from '../support/private-bus.js';
import { ITEM_IFACE, SniWatcher, WATCHER_NAME, WATCHER_PATH, menuLabels } from '../support/sni-watcher.js';

const noDbus = dbusDaemonAvailable() ? '' : 'dbus-daemon is not installed';

/**
 * The Electron binary, found the way node_modules/electron/index.js finds it but without
 * requiring that module: requiring it downloads the binary when it is missing.
 */
function electronBinary(): { path: string } | { missing: string } {
  const pkg = join(REPO, 'node_modules', 'electron');
  if (!existsSync(join(pkg, 'package.json'))) return { missing: 'the electron package is not installed (npm ci)' };
  const pathFile = join(pkg, 'path.txt');
  if (!existsSync(pathFile)) return { missing: `${pathFile} does not exist: the binary was never downloaded (npx install-electron)` };
  const binary = join(pkg, 'dist', readFileSync(pathFile, 'utf8'));
  return existsSync(binary) ? { path: binary } : { missing: `${binary} does not exist` };
}

/** A minimal StatusNotifierItem with a two-entry dbusmenu, answering on its own connection. */
async function startTestItem(address: string, wellKnown: string): Promise<dbus.MessageBus> {
  const bus = dbus.sessionBus({ busAddress: address });
  bus.on('error', () => undefined);
  const props: Record<string, dbus.Variant> = {
    Category: new dbus.Variant('s', 'ApplicationStatus'),
    Id: new dbus.Variant('s', 'test-item'),
    Title: new dbus.Variant('s', 'Test item'),
    Status: new dbus.Variant('s', 'Active'),
    IconName: new dbus.Variant('s', ''),
    IconPixmap: new dbus.Variant('a(iiay)', [[2, 1, Buffer.from([255, 0, 0, 255, 255, 0, 255, 0])]]),
    ToolTip: new dbus.Variant('(sa(iiay)ss)', ['', [], 'Headroom: memory is fine', 'Pressure 0.0%']),
    ItemIsMenu: new dbus.Variant('b', false),
    Menu: new dbus.Variant('o', '/MenuBar'),
  };
  const entry = (id: number, label: string, extra: Record<string, dbus.Variant> = {}): unknown =>
    new dbus.Variant('(ia{sv}av)', [id, { label: new dbus.Variant('s', label), ...extra }, []]);
  bus.addMethodHandler((msg: dbus.Message) => {
    if (msg.path === '/StatusNotifierItem' && msg.interface === 'org.freedesktop.DBus.Properties' && msg.member === 'GetAll' && msg.body[0] === ITEM_IFACE) {
      bus.send(dbus.Message.newMethodReturn(msg, 'a{sv}', [props]));
      return true;
    }
    if (msg.path === '/MenuBar' && msg.interface === 'com.canonical.dbusmenu' && msg.member === 'GetLayout') {
      const root = [0, { 'children-display': new dbus.Variant('s', 'submenu') }, [
        entry(1, 'Open dashboard'),
        entry(2, 'Avoid', { 'toggle-type': new dbus.Variant('s', 'radio'), 'toggle-state': new dbus.Variant('i', 1) }),
      ]];
      bus.send(dbus.Message.newMethodReturn(msg, 'u(ia{sv}av)', [7, root]));
      return true;
    }
    return false;
  });
  await bus.requestName(wellKnown, dbus.NameFlag.DO_NOT_QUEUE);
  return bus;
}

/** The connection's unique name (dbus-next sets it on connect; its typings leave it out). */
const uniqueNameOf = (bus: dbus.MessageBus): string => (bus as unknown as { name: string }).name;

async function register(bus: dbus.MessageBus, service: string): Promise<void> {
  await bus.call(new dbus.Message({ destination: WATCHER_NAME, path: WATCHER_PATH, interface: 'org.kde.StatusNotifierWatcher', member: 'RegisterStatusNotifierItem', signature: 's', body: [service] }));
}

describe('our SNI watcher/host, against an item of our own', { skip: noDbus || false }, () => {
  let bus: PrivateBus;
  let watcher: SniWatcher;
  let item: dbus.MessageBus;
  const wellKnown = `org.kde.StatusNotifierItem-${process.pid}-1`;

  before(async () => {
    bus = await startPrivateBus();
    watcher = await SniWatcher.start(bus.address);
    item = await startTestItem(bus.address, wellKnown);
  });
  after(async () => {
    item?.disconnect();
    watcher?.stop();
    await bus?.stop();
  });

  test('a registration by bus name is resolved to the unique name, and the item is read through it', async () => {
    await register(item, wellKnown);
    const registered = await watcher.waitForItem(2000);
    assert.equal(registered.service, wellKnown);
    assert.match(registered.uniqueName, /^:1\.\d+$/);
    assert.equal(registered.uniqueName, uniqueNameOf(item));
    assert.equal(registered.path, '/StatusNotifierItem');
    const props = await watcher.itemProperties(registered);
    assert.equal(props.Id, 'test-item');
    assert.equal(props.Menu, '/MenuBar');
    assert.deepEqual(props.ToolTip, ['', [], 'Headroom: memory is fine', 'Pressure 0.0%']);
    const [w, h, pixels] = (props.IconPixmap as [number, number, Buffer][])[0]!;
    assert.deepEqual([w, h, pixels.length], [2, 1, 8]);
    const { revision, root } = await watcher.menuLayout(registered, String(props.Menu));
    assert.equal(revision, 7);
    assert.deepEqual(menuLabels(root), ['Open dashboard', 'Avoid']);
    assert.equal(root.children[1]!.props['toggle-type'], 'radio');
    assert.equal(root.children[1]!.props['toggle-state'], 1);
  });

  test('a registration as "<name>/<path>" (Electron 44.0) is refused, as GNOME refuses it', async () => {
    await assert.rejects(register(item, `${wellKnown}/StatusNotifierItem/1`), /cannot resolve/);
    assert.equal(watcher.refusals.at(-1)?.service, `${wellKnown}/StatusNotifierItem/1`);
  });

  test('a registration by object path takes the caller as the item', async () => {
    await register(item, '/org/example/Item');
    assert.deepEqual(watcher.items.at(-1), { service: '/org/example/Item', uniqueName: uniqueNameOf(item), path: '/org/example/Item' });
  });
});

const electron = electronBinary();
const electronMissing = 'missing' in electron ? `Electron binary not installed: ${electron.missing}` : '';
const xvfbMissing = spawnSync('sh', ['-c', 'command -v xvfb-run'], { stdio: 'ignore' }).status === 0 ? '' : 'xvfb-run is not installed (apt-get install xvfb)';
const realTraySkip = noDbus || electronMissing || xvfbMissing || cgroupTreeUnavailable();

describe('the real Electron tray, read as GNOME reads it', () => {
  // A skipped test, not a skipped suite: the runner counts and names it as skipped.
  test('the tray registers, and its icon, tooltip and menu read back through its unique name', { skip: realTraySkip || false, timeout: 90_000 }, async () => {
    const bus = await startPrivateBus();
    const watcher = await SniWatcher.start(bus.address);
    const tree = new CgroupTree();
    const proc = new ProcRoot(50);
    const home = makeHome(bus.address);
    let agent: AgentProcess | null = null;
    let tray: ChildProcess | null = null;
    let trayLog = '';
    try {
      agent = await AgentProcess.start(home, ['--user-tree', tree.path, '--proc-root', proc.path]);
      const binary = 'path' in electron ? electron.path : '';
      // As root (CI) Chromium's own sandbox needs --no-sandbox; the page's sandbox flag is unaffected.
      const args = ['-a', binary, REPO, ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])];
      tray = spawn('xvfb-run', args, { env: { ...home.env, ELECTRON_ENABLE_LOGGING: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
      tray.stdout?.on('data', (d: Buffer) => { trayLog += d.toString(); });
      tray.stderr?.on('data', (d: Buffer) => { trayLog += d.toString(); });

      const item = await watcher.waitForItem(30_000).catch((err: Error) => { throw new Error(`${err.message}\ntray output:\n${trayLog}`); });
      assert.match(item.uniqueName, /^:1\.\d+$/);
      // The state arrives with the first load: poll until the tooltip names it.
      let props: Record<string, unknown> = {};
      const deadline = Date.now() + 15_000;
      for (;;) {
        props = await watcher.itemProperties(item);
        const tip = props.ToolTip as [string, unknown[], string, string] | undefined;
        if (tip && /memory is fine/.test(`${tip[2]} ${tip[3]}`)) break;
        if (Date.now() > deadline) assert.fail(`tooltip never showed the calm state: ${JSON.stringify(props.ToolTip)}\n${trayLog}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const pixmaps = props.IconPixmap as [number, number, Buffer][];
      assert.ok(pixmaps.length > 0 && pixmaps[0]![0] > 0, 'no icon pixmap');
      const { root } = await watcher.menuLayout(item, String(props.Menu));
      const labels = menuLabels(root);
      for (const expected of ['Headroom: memory is fine', 'Apps', 'Recent kills', 'Launch…', 'Open dashboard', 'Quit']) {
        assert.ok(labels.includes(expected), `menu lacks ${expected}: ${JSON.stringify(labels)}`);
      }
    } finally {
      if (tray && tray.exitCode === null) {
        const exited = new Promise((r) => tray!.once('exit', r));
        tray.kill('SIGTERM');
        await exited;
      }
      await agent?.stop();
      watcher.stop();
      await bus.stop();
      await tree.remove();
    }
  });
});
