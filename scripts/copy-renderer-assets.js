// Build step after `tsc -b`: put the dashboard's non-TypeScript files beside the compiled page
// (dist/tray-app/renderer), so the Electron window (file://) and `headroom dashboard` (HTTP)
// load one and the same folder: index.html, the stylesheet, and uPlot's ES module build.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'tray-app', 'renderer');
const files = [
  ['tray-app/renderer/index.html', 'index.html'],
  ['tray-app/renderer/dashboard.css', 'dashboard.css'],
  ['node_modules/uplot/dist/uPlot.esm.js', 'vendor/uPlot.esm.js'],
  ['node_modules/uplot/dist/uPlot.min.css', 'vendor/uPlot.min.css'],
  ['node_modules/uplot/LICENSE', 'vendor/uPlot.LICENSE.txt'],
];
for (const [from, to] of files) {
  mkdirSync(dirname(join(out, to)), { recursive: true });
  copyFileSync(join(root, from), join(out, to));
}
