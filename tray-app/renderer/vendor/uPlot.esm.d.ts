// Types for the copy of uPlot's ES module build that the build step puts beside the page
// (scripts/copy-renderer-assets.js): the page loads it by relative path in both the browser
// and Electron, so it needs no bundler and no import map.
import uPlot from 'uplot';
export default uPlot;
