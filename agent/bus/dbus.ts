// The one module that touches the D-Bus library (@particle/dbus-next, the maintained fork of
// dbus-next). Everything else sees plain values: records from shared/records.ts, numbers
// instead of BigInt, and our own error type.
import dbus from '@particle/dbus-next';
import type { RecordOf, RecordSpec, Tagged } from '../../shared/records.js';
import { decodeRecord, encodeRecord } from '../../shared/records.js';

export type MessageBus = dbus.MessageBus;
export type ClientInterface = dbus.ClientInterface;
export const { Variant, DBusError } = dbus;
export const ServiceInterface = dbus.interface.Interface;
export type ServiceInterface = dbus.interface.Interface;

/**
 * Connect to the session bus. dbus-next only reads DBUS_SESSION_BUS_ADDRESS; systemd user
 * services and lingering sessions often have only $XDG_RUNTIME_DIR/bus, so fall back to it.
 */
export function connectSessionBus(address?: string): MessageBus {
  const busAddress = address ?? process.env.DBUS_SESSION_BUS_ADDRESS ??
    (process.env.XDG_RUNTIME_DIR ? `unix:path=${process.env.XDG_RUNTIME_DIR}/bus` : undefined);
  if (!busAddress) throw new BusUnavailableError('no session bus: neither DBUS_SESSION_BUS_ADDRESS nor XDG_RUNTIME_DIR is set');
  const bus = dbus.sessionBus({ busAddress });
  return bus;
}

export class BusUnavailableError extends Error {
  override name = 'BusUnavailableError';
}

/** Claim a well-known name; false when another process already owns it. */
export async function claimName(bus: MessageBus, name: string): Promise<boolean> {
  const reply = await bus.requestName(name, dbus.NameFlag.DO_NOT_QUEUE);
  return reply === dbus.RequestNameReply.PRIMARY_OWNER || reply === dbus.RequestNameReply.ALREADY_OWNER;
}

const toVariants = (entries: Record<string, Tagged>): Record<string, dbus.Variant> => {
  const out: Record<string, dbus.Variant> = {};
  for (const [k, t] of Object.entries(entries)) {
    out[k] = new dbus.Variant(t.signature, Array.isArray(t.value) && t.signature === 'aa{sv}'
      ? (t.value as Record<string, Tagged>[]).map(toVariants)
      : t.value);
  }
  return out;
};

/** A record as an a{sv} body value. */
export const recordToWire = <S extends RecordSpec>(spec: S, record: RecordOf<S>): Record<string, dbus.Variant> =>
  toVariants(encodeRecord(spec, record));

/** An a{sv} body value as a record (BigInt → number, fields checked). */
export const recordFromWire = <S extends RecordSpec>(spec: S, wire: unknown): RecordOf<S> => decodeRecord(spec, wire);

/** The name of a D-Bus error, or '' for other errors. */
export const dbusErrorName = (err: unknown): string =>
  err instanceof dbus.DBusError ? err.type : '';

/** Proxy for a remote object's interface. */
export async function getRemoteInterface(bus: MessageBus, name: string, path: string, iface: string): Promise<ClientInterface> {
  const obj = await bus.getProxyObject(name, path);
  return obj.getInterface(iface);
}

/** Ask the bus daemon whether a name currently has an owner (no activation). */
export async function nameHasOwner(bus: MessageBus, name: string): Promise<boolean> {
  const daemon = await getRemoteInterface(bus, 'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus');
  return Boolean(await daemon.NameHasOwner!(name));
}

/** Raw introspection XML of a remote object (tests hold the agent to assets/*.xml with it). */
export async function introspect(bus: MessageBus, name: string, path: string): Promise<string> {
  const iface = await getRemoteInterface(bus, name, path, 'org.freedesktop.DBus.Introspectable');
  return String(await iface.Introspect!());
}

/**
 * One method call exactly as given (any signature, any body), for the fuzz test: the reply's
 * body, or the D-Bus error it answered with, thrown as DBusError.
 */
export async function callRaw(bus: MessageBus, m: { destination: string; path: string; interface: string; member: string; signature: string; body: unknown[] }): Promise<unknown[]> {
  const reply = await bus.call(new dbus.Message({ type: dbus.MessageType.METHOD_CALL, ...m }));
  return (reply?.body ?? []) as unknown[];
}

/** The bus daemon's interface, introspected once per connection (asked often while memory is short). */
const daemons = new WeakMap<MessageBus, Promise<ClientInterface>>();
function busDaemon(bus: MessageBus): Promise<ClientInterface> {
  let d = daemons.get(bus);
  if (!d) {
    d = getRemoteInterface(bus, 'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus');
    d.catch(() => daemons.delete(bus));
    daemons.set(bus, d);
  }
  return d;
}

/** The pid of a name's owner (GetConnectionUnixProcessID), or null when it has none or the daemon will not say. */
export async function ownerPid(bus: MessageBus, name: string): Promise<number | null> {
  try {
    const daemon = await busDaemon(bus);
    const pid = Number(await daemon.GetConnectionUnixProcessID!(name));
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}
