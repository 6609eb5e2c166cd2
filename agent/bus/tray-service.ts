// The tray's side of org.headroom.Tray1 (assets/org.headroom.Tray1.xml), for the Electron main
// process: own the name while the tray runs so the agent offers "Details" on kill notices.
import { TRAY_BUS_NAME, TRAY_INTERFACE, TRAY_OBJECT_PATH } from '../../shared/names.js';
import { claimName, connectSessionBus, ServiceInterface } from './dbus.js';

export interface TrayHandlers {
  showDashboard(killId: string): void;
}

class TrayInterface extends ServiceInterface {
  constructor(private readonly handlers: TrayHandlers) {
    super(TRAY_INTERFACE);
  }
  ShowDashboard(killId: string): void {
    this.handlers.showDashboard(killId);
  }
}
TrayInterface.configureMembers({ methods: { ShowDashboard: { inSignature: 's', outSignature: '' } } });

/** Export and claim the name on its own connection; `owned` is false when another tray has it. */
export async function exportTray(handlers: TrayHandlers, address?: string): Promise<{ owned: boolean; close(): void }> {
  const bus = connectSessionBus(address);
  bus.export(TRAY_OBJECT_PATH, new TrayInterface(handlers));
  const owned = await claimName(bus, TRAY_BUS_NAME);
  return { owned, close: () => bus.disconnect() };
}
