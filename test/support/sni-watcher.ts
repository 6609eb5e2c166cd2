// A StatusNotifierWatcher + host of our own, on a private bus: enough of what GNOME's
// AppIndicator extension does to see a tray item the way it does. It owns
// org.kde.StatusNotifierWatcher, says a host is registered, resolves each registration to
// the item's unique name (a bare bus name is looked up with GetNameOwner, and refused when
// that fails, which is how GNOME refused Electron 44.0's "<name>/StatusNotifierItem/1"), and
// then reads properties and the dbusmenu layout through that unique name only.
import dbus from '@particle/dbus-next';

export const WATCHER_NAME = 'org.kde.StatusNotifierWatcher';
export const WATCHER_PATH = '/StatusNotifierWatcher';
const WATCHER_IFACE = 'org.kde.StatusNotifierWatcher';
export const ITEM_IFACE = 'org.kde.StatusNotifierItem';

export interface RegisteredItem {
  /** What the item passed to RegisterStatusNotifierItem. */
  service: string;
  uniqueName: string;
  path: string;
}

export interface Refusal { service: string; reason: string }

/** A dbusmenu node: id, properties (plain values), children. */
export interface MenuNode {
  id: number;
  props: Record<string, unknown>;
  children: MenuNode[];
}

type Variant = { signature: string; value: unknown };
const plain = (v: unknown): unknown => (v instanceof dbus.Variant ? (v as Variant).value : v);

export class SniWatcher {
  readonly items: RegisteredItem[] = [];
  readonly refusals: Refusal[] = [];
  private constructor(private readonly bus: dbus.MessageBus) {}

  static async start(address: string): Promise<SniWatcher> {
    const bus = dbus.sessionBus({ busAddress: address });
    bus.on('error', () => undefined);
    const watcher = new SniWatcher(bus);
    bus.addMethodHandler((msg: dbus.Message) => watcher.handle(msg));
    const reply = await bus.requestName(WATCHER_NAME, dbus.NameFlag.DO_NOT_QUEUE);
    if (reply !== dbus.RequestNameReply.PRIMARY_OWNER) throw new Error(`cannot own ${WATCHER_NAME} (reply ${reply})`);
    return watcher;
  }

  stop(): void {
    this.bus.disconnect();
  }

  private reply(msg: dbus.Message, signature = '', body: unknown[] = []): true {
    this.bus.send(dbus.Message.newMethodReturn(msg, signature, body));
    return true;
  }

  private properties(): Record<string, dbus.Variant> {
    return {
      RegisteredStatusNotifierItems: new dbus.Variant('as', this.items.map((i) => `${i.uniqueName}${i.path}`)),
      IsStatusNotifierHostRegistered: new dbus.Variant('b', true),
      ProtocolVersion: new dbus.Variant('i', 0),
    };
  }

  /** Low-level handler: we need each call's sender, which the high-level interface hides. */
  private handle(msg: dbus.Message): boolean {
    if (msg.path !== WATCHER_PATH) return false;
    if (msg.interface === WATCHER_IFACE && msg.member === 'RegisterStatusNotifierItem') {
      void this.register(msg, String(msg.body[0]));
      return true;
    }
    if (msg.interface === WATCHER_IFACE && msg.member === 'RegisterStatusNotifierHost') return this.reply(msg);
    if (msg.interface === 'org.freedesktop.DBus.Properties' && msg.member === 'GetAll') return this.reply(msg, 'a{sv}', [this.properties()]);
    if (msg.interface === 'org.freedesktop.DBus.Properties' && msg.member === 'Get') {
      const value = this.properties()[String(msg.body[1])];
      if (!value) return false;
      return this.reply(msg, 'v', [value]);
    }
    return false;
  }

  private async register(msg: dbus.Message, service: string): Promise<void> {
    let uniqueName: string;
    let path = '/StatusNotifierItem';
    if (service.startsWith('/')) {
      uniqueName = msg.sender;
      path = service;
    } else {
      try {
        uniqueName = await this.nameOwner(service);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        this.refusals.push({ service, reason });
        this.bus.send(dbus.Message.newError(msg as unknown as string, 'org.freedesktop.DBus.Error.InvalidArgs', `cannot resolve ${service}: ${reason}`));
        return;
      }
    }
    this.items.push({ service, uniqueName, path });
    this.reply(msg);
    this.bus.send(dbus.Message.newSignal(WATCHER_PATH, WATCHER_IFACE, 'StatusNotifierItemRegistered', 's', [`${uniqueName}${path}`]));
  }

  private async call(destination: string, path: string, iface: string, member: string, signature = '', body: unknown[] = []): Promise<unknown[]> {
    const reply = await this.bus.call(new dbus.Message({ destination, path, interface: iface, member, signature, body }));
    return (reply?.body ?? []) as unknown[];
  }

  private async nameOwner(name: string): Promise<string> {
    const [owner] = await this.call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'GetNameOwner', 's', [name]);
    return String(owner);
  }

  async waitForItem(timeoutMs = 10_000): Promise<RegisteredItem> {
    const deadline = Date.now() + timeoutMs;
    while (this.items.length === 0) {
      if (Date.now() > deadline) throw new Error(`no StatusNotifierItem registered in ${timeoutMs} ms; refused: ${JSON.stringify(this.refusals)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.items[0]!;
  }

  /** Properties.GetAll on the item, addressed to its unique name (as GDBusProxy does). */
  async itemProperties(item: RegisteredItem): Promise<Record<string, unknown>> {
    const [all] = await this.call(item.uniqueName, item.path, 'org.freedesktop.DBus.Properties', 'GetAll', 's', [ITEM_IFACE]);
    return Object.fromEntries(Object.entries(all as Record<string, unknown>).map(([k, v]) => [k, plain(v)]));
  }

  /** com.canonical.dbusmenu GetLayout(0, -1, []) on the item's Menu object, via its unique name. */
  async menuLayout(item: RegisteredItem, menuPath: string): Promise<{ revision: number; root: MenuNode }> {
    const [revision, layout] = await this.call(item.uniqueName, menuPath, 'com.canonical.dbusmenu', 'GetLayout', 'iias', [0, -1, []]);
    return { revision: Number(revision), root: toNode(layout) };
  }
}

function toNode(raw: unknown): MenuNode {
  const [id, props, children] = raw as [number, Record<string, unknown>, unknown[]];
  return {
    id,
    props: Object.fromEntries(Object.entries(props).map(([k, v]) => [k, plain(v)])),
    children: children.map((c) => toNode(plain(c))),
  };
}

/** Every label in a layout, depth first, with its nesting: "Apps/Firefox — 1.0 GiB/Avoid". */
export function menuLabels(node: MenuNode, prefix = ''): string[] {
  const out: string[] = [];
  for (const child of node.children) {
    const label = typeof child.props.label === 'string' ? child.props.label : child.props.type === 'separator' ? '---' : '';
    const here = prefix === '' ? label : `${prefix}/${label}`;
    out.push(here, ...menuLabels(child, here));
  }
  return out;
}
