// The ManagedOOMPreference (none|avoid|omit) that a unit was started with, e.g. by
// `headroom run --avoid` or a desktop that sets it, read once per unit from the user manager
// and cached. A unit's own preference must be known before the unit can be chosen: the first
// snapshot that sees a unit waits for the answer (milliseconds), and a unit whose answer has
// not come within UNIT_PREFERENCE_WAIT_MS ranks as avoided until it does.
import { setTimeout as sleep } from 'node:timers/promises';
import { isPreference, type Preference } from '../../shared/names.js';
import { getRemoteInterface, Variant, type ClientInterface, type MessageBus } from './dbus.js';

export interface UnitPreferences {
  /** The unit's own preference: at once when known, else once the user manager answers. */
  get(unit: string): Preference | Promise<Preference>;
  /** Drop units that no longer exist, so the cache does not grow with every launch. */
  retain(units: ReadonlySet<string>): void;
}

/** How long a snapshot waits for a new unit's preference before ranking it as avoided. */
export const UNIT_PREFERENCE_WAIT_MS = 1000;

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

export function createUnitPreferences(bus: MessageBus | null, debug: (msg: string) => void = () => undefined, waitMs = UNIT_PREFERENCE_WAIT_MS): UnitPreferences {
  const cache = new Map<string, Preference>();
  const pending = new Map<string, Promise<Preference>>();
  let available = bus !== null;

  const fetch = async (unit: string): Promise<Preference> => {
    if (!bus) return 'none';
    try {
      const manager = await userManager(bus);
      const path = String(await manager.GetUnit!(unit));
      const obj = await bus.getProxyObject(SYSTEMD, path);
      const props = obj.getInterface('org.freedesktop.DBus.Properties');
      const iface = unit.endsWith('.scope') ? `${SYSTEMD}.Scope` : `${SYSTEMD}.Service`;
      const v = await props.Get!<{ value: unknown }>(iface, 'ManagedOOMPreference');
      const pref = String(v.value);
      return isPreference(pref) ? pref : 'none';
    } catch (err) {
      const name = (err as { type?: string }).type ?? '';
      // No user manager on this bus (a private test bus, or a session without systemd --user):
      // no unit can have a ManagedOOMPreference, so none is the truth, not a guess.
      if (name === 'org.freedesktop.DBus.Error.ServiceUnknown' || name.startsWith('org.freedesktop.DBus.Error.Spawn')) available = false;
      debug(`ManagedOOMPreference of ${unit}: ${(err as Error).message}`);
      return 'none';
    }
  };

  return {
    get(unit) {
      const hit = cache.get(unit);
      if (hit !== undefined) return hit;
      if (!available) return 'none';
      let answer = pending.get(unit);
      if (!answer) {
        answer = fetch(unit).then((pref) => {
          cache.set(unit, pref);
          pending.delete(unit);
          return pref;
        });
        pending.set(unit, answer);
      }
      const timeout = sleep(waitMs, 'avoid' as const, { ref: false });
      return Promise.race([answer, timeout]).then((pref) => {
        if (pref === 'avoid' && !cache.has(unit)) debug(`ManagedOOMPreference of ${unit}: no answer within ${waitMs} ms, ranked as avoided until it comes`);
        return pref;
      });
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

/**
 * The user manager's FreezeUnit (freeze true) and ThawUnit (systemd ≥ 246), for pausing an app
 * (agent/cgroup/freeze-unit.ts falls back to cgroup.freeze when this rejects).
 */
export const managerFreezer = (bus: MessageBus) => async (unit: string, freeze: boolean): Promise<void> => {
  const manager = await userManager(bus);
  if (freeze) await manager.FreezeUnit!(unit);
  else await manager.ThawUnit!(unit);
};
