// The agent's view of the tray (org.headroom.Tray1, assets/org.headroom.Tray1.xml): is it
// running, and open its dashboard at a kill. The tray is optional: both fail soft.
import { TRAY_BUS_NAME, TRAY_INTERFACE, TRAY_OBJECT_PATH } from '../../shared/names.js';
import { getRemoteInterface, nameHasOwner, type MessageBus } from './dbus.js';

/**
 * Follow whether the tray runs (NameOwnerChanged), so a kill notice never waits on a bus round
 * trip to decide whether to offer "Details".
 */
export async function watchTray(bus: MessageBus): Promise<{ running(): boolean }> {
  const daemon = await getRemoteInterface(bus, 'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus');
  let running = false;
  daemon.on('NameOwnerChanged', (name: string, _old: string, owner: string) => {
    if (name === TRAY_BUS_NAME) running = owner !== '';
  });
  running = await nameHasOwner(bus, TRAY_BUS_NAME);
  return { running: () => running };
}

export async function showTrayDashboard(bus: MessageBus, killId: string): Promise<void> {
  const tray = await getRemoteInterface(bus, TRAY_BUS_NAME, TRAY_OBJECT_PATH, TRAY_INTERFACE);
  const show = tray.ShowDashboard;
  if (!show) throw new Error(`${TRAY_BUS_NAME} has no ShowDashboard method`);
  await show(killId);
}
