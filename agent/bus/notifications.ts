// Desktop notifications, sent by the agent itself over its own bus connection
// (org.freedesktop.Notifications): no notify-send process under memory pressure, actions
// and replaces_id work, and it works whether or not the tray runs.
import { bodyForServer, summaryForServer, type Notice } from '../core/notices.js';
import { dbusErrorName, Variant, type ClientInterface, type MessageBus } from './dbus.js';

const NAME = 'org.freedesktop.Notifications';
const PATH = '/org/freedesktop/Notifications';
// Our own copy of the interface: no introspection round trip, and signal subscriptions work
// even while no notification server is running yet.
const XML = `<node><interface name="${NAME}">
  <method name="Notify"><arg type="s" direction="in"/><arg type="u" direction="in"/><arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="as" direction="in"/><arg type="a{sv}" direction="in"/><arg type="i" direction="in"/><arg type="u" direction="out"/></method>
  <method name="CloseNotification"><arg type="u" direction="in"/></method>
  <method name="GetCapabilities"><arg type="as" direction="out"/></method>
  <signal name="ActionInvoked"><arg type="u"/><arg type="s"/></signal>
  <signal name="NotificationClosed"><arg type="u"/><arg type="u"/></signal>
</interface></node>`;

export const APP_NAME = 'Headroom';

export interface SentNotice<C> {
  id: number;
  notice: Notice;
  context: C;
}

export interface Notifier<C> {
  /** Send (or replace `replaces`); null when no notification server could take it. */
  send(notice: Notice, context: C, replaces?: number): Promise<number | null>;
  close(id: number): Promise<void>;
}

/**
 * `onAction` gets the context the notice was sent with, so the caller never has to keep its
 * own id bookkeeping. Only our own notifications' signals reach it (they are broadcast).
 */
export async function createNotifier<C>(
  bus: MessageBus,
  onAction: (action: string, sent: SentNotice<C>) => void,
  warn: (msg: string) => void,
): Promise<Notifier<C>> {
  const obj = await bus.getProxyObject(NAME, PATH, XML);
  const iface: ClientInterface = obj.getInterface(NAME);
  const live = new Map<number, SentNotice<C>>();
  let serverMissingLogged = false;
  // Asked once per server: whether it renders body markup (then the body is escaped).
  let markup: Promise<boolean> | null = null;
  const serverHasMarkup = (): Promise<boolean> => {
    markup ??= Promise.resolve(iface.GetCapabilities!()).then((caps: unknown) => Array.isArray(caps) && caps.includes('body-markup'), () => {
      markup = null; // no server yet: ask the next one
      return true; // and escape meanwhile: the safe side
    });
    return markup;
  };

  iface.on('ActionInvoked', (id: number, action: string) => {
    const sent = live.get(id);
    if (sent) onAction(action, sent);
  });
  iface.on('NotificationClosed', (id: number) => {
    live.delete(id);
  });

  return {
    async send(notice, context, replaces = 0) {
      const hints: Record<string, InstanceType<typeof Variant>> = {
        urgency: new Variant('y', notice.urgency),
        category: new Variant('s', notice.category),
      };
      if (notice.desktopEntry !== '') hints['desktop-entry'] = new Variant('s', notice.desktopEntry);
      try {
        const body = bodyForServer(notice.body, await serverHasMarkup());
        const id = Number(await iface.Notify!(APP_NAME, replaces, notice.icon, summaryForServer(notice.summary), body, notice.actions.flat(), hints, -1));
        if (replaces !== 0 && replaces !== id) live.delete(replaces);
        live.set(id, { id, notice, context });
        serverMissingLogged = false;
        return id;
      } catch (err) {
        // No server (a bare session, a test bus): say so once, keep guarding.
        if (!serverMissingLogged) warn(`could not show a notification (${dbusErrorName(err) || (err as Error).message}): ${notice.summary}`);
        serverMissingLogged = true;
        return null;
      }
    },
    async close(id) {
      live.delete(id);
      await iface.CloseNotification!(id).catch(() => undefined);
    },
  };
}
