// A bare Node 20 process doing what every calm look of Headroom does (a timer, a read of
// /proc/meminfo, its two figures, the next look as far off as free memory allows:
// agent/core/decide.ts calmWatchIntervalMs) and nothing else: no bus, no units, no PSI
// triggers. Run by bench/guest/bench.sh, with the agent's heap flags, as two idle-only killers:
// - "nodefloor" reads the file anew each look (readFileSync), as the agent did before it kept
//   the file open (agent/io/proc-file.ts): in the 2 GiB guest it cost more than the agent
//   itself, so it is a floor for that way of reading, not for Node;
// - "nodetimer" (argument `timer`) reads it once and then only wakes on the timer at that
//   interval (a calm guest's MemAvailable barely moves): what Node's wake alone costs at the
//   agent's look rate, below which no look of a Node agent can go.
import { readFileSync } from 'node:fs';

const timerOnly = process.argv[2] === 'timer';
let timerOnlyMs: number | null = null;

const ELEVATED_PCT = 15;
const WORST_RATE_BYTES_PER_S = 1024 ** 3;
const WANTED = /^(MemTotal|MemAvailable):[ \t]+(\d+)/gm;

function look(): void {
  if (timerOnlyMs !== null) {
    setTimeout(look, timerOnlyMs);
    return;
  }
  const text = readFileSync('/proc/meminfo', 'latin1');
  let totalKiB = 0;
  let availableKiB = 0;
  WANTED.lastIndex = 0;
  for (let m = WANTED.exec(text); m !== null; m = WANTED.exec(text)) {
    if (m[1] === 'MemTotal') totalKiB = Number(m[2]);
    else availableKiB = Number(m[2]);
  }
  const marginBytes = (availableKiB - (totalKiB * ELEVATED_PCT) / 100) * 1024;
  const ms = Math.round(Math.min(10_000, Math.max(250, ((marginBytes / WORST_RATE_BYTES_PER_S) * 1000) / 2)));
  if (timerOnly) timerOnlyMs = ms;
  setTimeout(look, ms);
}

look();
