// The one place the plain menu description (menu-model.ts) becomes Electron's template.
// Type-only import: this module is loaded in plain Node by nothing, but stays trivially
// checkable; the click handler is the only behaviour it adds.
import type { MenuItemConstructorOptions } from 'electron';
import type { MenuAction, MenuEntry } from './menu-model.js';

export function toElectronTemplate(entries: readonly MenuEntry[], onAction: (action: MenuAction) => void): MenuItemConstructorOptions[] {
  return entries.map((e): MenuItemConstructorOptions => {
    switch (e.type) {
      case 'separator':
        return { type: 'separator' };
      case 'submenu':
        return { type: 'submenu', label: e.label, enabled: e.enabled, submenu: toElectronTemplate(e.items, onAction) };
      case 'radio': {
        const action = e.action;
        return { type: 'radio', label: e.label, checked: e.checked, enabled: e.enabled, click: () => onAction(action) };
      }
      case 'normal': {
        const action = e.action;
        return action === null
          ? { type: 'normal', label: e.label, enabled: false }
          : { type: 'normal', label: e.label, enabled: e.enabled, click: () => onAction(action) };
      }
    }
  });
}
