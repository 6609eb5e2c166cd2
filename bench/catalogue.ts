/**
 * What the benchmark compares (bench/README.md, "Killers" and "Workloads"): the killers, the
 * workloads, their labels in the tables and which workloads need a kill.
 */

export const KILLERS = [
  { id: 'none', label: 'kernel only' },
  { id: 'oomd20', label: 'systemd-oomd, Fedora (50 %, 20 s)' },
  { id: 'oomd2', label: 'systemd-oomd, tuned (50 %, 2 s)' },
  { id: 'earlyoom', label: 'earlyoom defaults' },
  { id: 'headroom', label: 'Headroom defaults' },
  { id: 'headroom-candidate', label: 'Headroom, candidate defaults' },
  // Runs of Headroom made before the benchmark moved its defaults (a3efece): kept as measured,
  // under their own name, so they are neither lost nor mixed with runs of today's defaults.
  { id: 'headroom-prev', label: 'Headroom, previous defaults (10 %, 5 s)' },
  // Runs of a build whose calm full tick came once a minute (865b401), reverted after its
  // run 130 (fc4dd18): kept as measured, apart from the build that ships.
  { id: 'headroom-calm60', label: 'Headroom, full calm tick every 60 s (reverted)' },
  // Runs of the policy that predicted "below 15 % within 10 s" (a3efece to 6fba500), before the
  // runway policy (agent/core/decide.ts) replaced it: kept as measured, apart from today's.
  { id: 'headroom-pred15', label: 'Headroom, 15 % / 10 s prediction (before the runway policy)' },
  // Runs 236-241 of a build whose look-ahead added the snapshot's read time (fcf4598): it
  // killed a burst that fit (run 239) and was reverted; kept as measured, apart.
  { id: 'headroom-readlead', label: 'Headroom, look-ahead plus read time (reverted)' },
  // Runs 186-244 of the builds before 09eeb3f, whose every look waited for the read of every
  // unit (0.3-3.4 s a look under thrash); 242-244 already left zram's same-filled pages out of
  // its ratio (622a649). Kept as measured, apart from today's.
  { id: 'headroom-unitwait', label: 'Headroom, looks waiting for every unit\'s read (before 09eeb3f)' },
  // Runs 245-289 of the build before df6b089, whose first look after calm took the calm gap
  // (up to ~1 s, a calm tick waiting for the units) for the pace of the looks to come: it
  // killed a burst that fit (run 289). Kept as measured, apart from today's.
  { id: 'headroom-calmlead', label: 'Headroom, lead from the calm gap (before df6b089)' },
  // Runs 341 and 346 (workload 10) of the build before the child kill (b03447c-f625014), which
  // stopped whole units only: kept as measured, apart from the build that stops the hog tab alone.
  { id: 'headroom-wholeunit', label: 'Headroom, whole units only (before the tab kill)' },
  // Run 365 (workload 11) of the build whose pause needed MemAvailable 1 % of RAM above the
  // floor (d2eeffb): it never paused, and was replaced the same day (d14548f). Kept as measured.
  { id: 'headroom-floormargin', label: 'Headroom, pause only 1 % above the floor (replaced)' },
  // Runs 367-368 (workload 11) of the build that watched the decline 5 s before a pause
  // (d14548f): MemAvailable was under the floor by then, so it never paused. Replaced by 0a3dee1.
  { id: 'headroom-settle5', label: 'Headroom, pause after a 5 s settle (replaced)' },
  // Idle only (bench/node-floor.ts): a bare Node 20 process doing each calm look and nothing else.
  { id: 'nodefloor', label: 'bare Node 20: calm looks alone, readFileSync each' },
  // Idle only: the same process waking on its timer alone, at the interval of its first look.
  { id: 'nodetimer', label: 'bare Node 20: the look timer alone, no read' },
] as const;
export type KillerId = (typeof KILLERS)[number]['id'];
/** Killers that only appear in recorded results: nothing can run them any more. */
export const RECORDED_ONLY_KILLERS: readonly string[] = [
  'headroom-prev', 'headroom-calm60', 'headroom-pred15', 'headroom-readlead', 'headroom-unitwait', 'headroom-calmlead', 'headroom-wholeunit', 'headroom-floormargin', 'headroom-settle5',
];
/** Killers measured idle only: no storm can be planned for them. */
export const IDLE_ONLY_KILLERS: readonly string[] = ['nodefloor', 'nodetimer'];
/** Headroom's own rows, compared against the best anchor in this order. */
export const OWN_KILLERS = ['headroom', 'headroom-candidate', 'headroom-wholeunit', 'headroom-floormargin', 'headroom-settle5', 'headroom-calmlead', 'headroom-unitwait', 'headroom-pred15', 'headroom-prev', 'headroom-calm60', 'headroom-readlead'] as const;

/**
 * needsKill false: the hog stops by itself and exits 0 (bench/README.md), so the right verdict
 * is that nothing dies and any death is a needless kill.
 */
export const WORKLOADS = [
  { id: 'nosw', label: '(1) no swap, fast hog', needsKill: true },
  { id: 'zram', label: '(2) zram, fast hog', needsKill: true },
  { id: 'leak', label: '(3) zram, slow leak', needsKill: true },
  { id: 'apps', label: '(4) zram, 20 apps + hog', needsKill: true },
  { id: 'burst', label: '(5) no swap, burst stopping at 10 %', needsKill: false },
  { id: 'burst40', label: '(6) no swap, 40 MiB/s burst stopping at 10 %', needsKill: false },
  { id: 'zburst', label: '(7) zram, compressible burst of 1.3 × RAM', needsKill: false },
  { id: 'vte', label: '(8) no swap, hog in a GNOME Terminal tab', needsKill: true },
  { id: 'snap', label: '(9) zram, hog in a snap scope', needsKill: true },
  // A browser's main process and six renderers at oom_score_adj 300 in one GNOME Shell app
  // scope, the sixth renderer the hog (issue #15): right is the hog gone and every bystander
  // alive; whether the browser's main lived is reported beside it, not judged.
  { id: 'browser', label: '(10) zram, browser-like app with a hog tab', needsKill: true },
  // Lab boot F's leak (40 MiB/s of same-filled pages beside 2 GiB of zram) with a notification
  // server up for every killer; a hog someone froze is answered Quit 5 s later (issue #15):
  // right is the hog gone and every bystander alive, paused or not.
  { id: 'pause', label: '(11) zram, slow leak with time to pause and ask', needsKill: true },
] as const;
export type WorkloadId = (typeof WORKLOADS)[number]['id'];

export const killerLabel = (id: string): string => KILLERS.find((k) => k.id === id)?.label ?? id;
export const workloadLabel = (id: string): string => WORKLOADS.find((w) => w.id === id)?.label ?? id;
/** Whether a workload's hog must be killed (unknown ids: yes, as the first four). */
export const needsKill = (id: string): boolean => WORKLOADS.find((w) => w.id === id)?.needsKill ?? true;
export const isKiller = (id: string): id is KillerId => KILLERS.some((k) => k.id === id);
/** Whether a storm run can be planned for this killer id: known, and neither recorded only nor idle only. */
export const canRunStorms = (id: string): id is KillerId => isKiller(id) && !RECORDED_ONLY_KILLERS.includes(id) && !IDLE_ONLY_KILLERS.includes(id);
export const isWorkload = (id: string): id is WorkloadId => WORKLOADS.some((w) => w.id === id);
/** Headroom's own rows (today's and every build kept apart), as against the anchors. */
export const isHeadroom = (killer: string): boolean => killer.startsWith('headroom');
