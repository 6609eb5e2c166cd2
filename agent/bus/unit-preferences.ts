// The ManagedOOMPreference (none|avoid|omit) that a unit was started with, e.g. by
// `headroom run --avoid` or a desktop that sets it, read once per unit from the user manager.
// Reads are asynchronous and cached: the snapshot asks synchronously and gets 'none' until
// the answer arrives (within milliseconds of the unit first being seen).
import { isPreference, type Preference } from '../../shared/names.js';
import { getRemoteInterface, Variant, type ClientInterface, type MessageBus } from './dbus.js';

export interface UnitPreferences {
  get(unit: string): Preference;
  /** Drop units that no longer exist, so the cache does not grow with every launch. */
  retain(units: ReadonlySet<string>): void;
}

const SYSTEMD = 'org.freedesktop.systemd1';

/** The user manager's Manager interface, fetched (introspected) once per bus connection. */
const managers = new WeakMap<MessageBus, Promise<ClientInterface>>();
function userManager(bus: MessageBus): Promise<ClientInterface> {
  let m = managers.get(bus);
  if (!m) {
    m = getRemoteInterface(bus, SYSTEMD, '/org/freedesktop/systemd1', `${SYSTEMD}.Manager`);
    m.catch(() => managers.delete(bus)); // not cached when the manager was not there
    managers.set(bus, m);
  }
  return m;
}

export function createUnitPreferences(bus: MessageBus | null, debug: (msg: string) => void = () => undefined): UnitPreferences {
  const cache = new Map<string, Preference>();
  let available = bus !== null;

  const fetch = async (unit: string): Promise<void> => {
    if (!bus) return;
    try {
      const manager = await userManager(bus);
      const path = String(await manager.GetUnit!(unit));
      const obj = await bus.getProxyObject(SYSTEMD, path);
      const props = obj.getInterface('org.freedesktop.DBus.Properties');
      const iface = unit.endsWith('.scope') ? `${SYSTEMD}.Scope` : `${SYSTEMD}.Service`;
      const v = await props.Get!<{ value: unknown }>(iface, 'ManagedOOMPreference');
      const pref = String(v.value);
      cache.set(unit, isPreference(pref) ? pref : 'none');
    } catch (err) {
      const name = (err as { type?: string }).type ?? '';
      // No user manager on this bus (a private test bus, or a session without systemd --user).
      if (name === 'org.freedesktop.DBus.Error.ServiceUnknown' || name.startsWith('org.freedesktop.DBus.Error.Spawn')) available = false;
      debug(`ManagedOOMPreference of ${unit}: ${(err as Error).message}`);
    }
  };

  return {
    get(unit) {
      const hit = cache.get(unit);
      if (hit !== undefined) return hit;
      cache.set(unit, 'none');
      if (available) void fetch(unit);
      return 'none';
    },
    retain(units) {
      for (const unit of cache.keys()) if (!units.has(unit)) cache.delete(unit);
    },
  };
}

/** Set ManagedOOMPreference on running units through the user manager (runtime only). */
export async function setUnitsPreference(bus: MessageBus, units: readonly string[], pref: Preference): Promise<void> {
  const manager = await userManager(bus);
  for (const unit of units) {
    await manager.SetUnitProperties!(unit, true, [['ManagedOOMPreference', new Variant('s', pref)]]);
  }
}
