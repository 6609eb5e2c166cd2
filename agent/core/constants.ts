// Every tunable of the policy, with its unit in its name and the reason for its value.
// The config file overrides the ones in PolicyConfig; the rest are engineering constants.
// Defaults are provisional until the lab benchmark (bench/) has measured them.

export interface PolicyConfig {
  /** Pressure trigger: full stall % of the user tree that counts as "too high". */
  pressureFullLimitPct: number;
  /** …and how long it must stay there. */
  pressureDurationMs: number;
  /**
   * The hard floor: the runway (MemAvailable plus what swap can still absorb) below this % of
   * RAM is exhaustion, whatever the trend.
   */
  memAvailableCriticalPct: number;
  /** Swap with less than this % of itself free absorbs nothing more (nearly full swap is no room). */
  swapFreeCriticalPct: number;
  /**
   * Predicted exhaustion: how long a kill takes to stop the growth (the rest of the decision,
   * the signal). A kill is needed when, at the current decline, the runway would reach the
   * hard floor before the next look plus this: waiting one more look could no longer help.
   */
  exhaustionHorizonMs: number;
  /**
   * Below this % of MemAvailable the state is elevated (warn, look often); a pressure stall
   * kills only while the runway is below it too.
   */
  memAvailableElevatedPct: number;
  /** Elevated when the recent full / some stall % reaches these. */
  elevatedFullPct: number;
  elevatedSomePct: number;
  /** After a kill, no second victim for this long: freed memory must show first. */
  cooldownMs: number;
  /** SIGTERM grace before cgroup.kill, when memory allows any grace at all. */
  killGraceMs: number;
  /** Decide and report, but kill nothing. */
  dryRun: boolean;
  /**
   * Sleep while calm and let PSI triggers wake the agent (true), or poll every
   * POLL_FALLBACK_MS (false: for kernels or sandboxes whose triggers misbehave). Read by the
   * agent's scheduling, not by decide().
   */
  psiTriggers: boolean;
  /**
   * node_exporter's textfile collector directory: the agent keeps headroom-<uid>.prom there
   * ('' = no metrics file). Read by the agent's wiring, not by decide().
   */
  metricsTextfileDir: string;
  /**
   * Pause and ask (agent/core/pause.ts): how long a paused app waits for the user's answer at
   * most before it is stopped, where memory still allows that long. 0: never pause, stop.
   */
  pauseAnswerMs: number;
}

export const DEFAULT_POLICY: PolicyConfig = {
  // systemd-oomd's 60 %/30 s (Fedora 50 %/20 s) acts after the desktop has frozen (lab-facts.md);
  // 20 % over 2 s catches a thrashing session while it can still be saved.
  pressureFullLimitPct: 20,
  pressureDurationMs: 2000,
  // earlyoom's 10 %/10 % works but kills late on small machines; 4 % of RAM with swap nearly
  // full is where the lab guest started to stall.
  memAvailableCriticalPct: 4,
  swapFreeCriticalPct: 10,
  // Without swap PSI stays at 0 until the last tens of MiB: only a prediction acts in time.
  // It used to fire below 15 % whenever memory would run out within 10 s, and so killed bursts
  // that stop (a link step, a VM loading) with 10-14 % left, which earlyoom spared (issue 12).
  // Now it fires only when the floor would be reached before a later look could still act:
  // the interval between looks (measured) plus this, the time from a decision to the signal.
  exhaustionHorizonMs: 250,
  memAvailableElevatedPct: 15,
  elevatedFullPct: 5,
  elevatedSomePct: 10,
  // Shorter than oomd's 15 s: MemAvailable and PSI `total` deltas reflect a kill at once; only
  // avg10 lags, and the triggers do not rely on it once two samples exist.
  cooldownMs: 5000,
  // Long enough for a browser to flush its session, short enough not to matter to the freeze.
  killGraceMs: 2000,
  dryRun: false,
  psiTriggers: true,
  // The directory is the admin's choice (node_exporter's --collector.textfile.directory).
  metricsTextfileDir: '',
  // A minute to see a critical notification and answer it; memory shortens it (pause.ts).
  pauseAnswerMs: 60_000,
};

/** A sample older than this is no basis for a rate: fall back to the kernel's avg10. */
export const MAX_RATE_INTERVAL_MS = 3000;
/** Weight of the newest decline rate in the smoothed rate (EWMA): damps a single noisy pair. */
export const RATE_SMOOTHING = 0.5;
/** Leaving elevated for calm needs this long below every threshold, so the state does not flap. */
export const CALM_HOLD_MS = 5000;
/** Poll intervals while not calm; calm relies on PSI triggers and does not poll at all. */
export const POLL_ELEVATED_MS = 250;
export const POLL_CRITICAL_MS = 100;
/** Poll interval when the kernel refuses PSI triggers (old kernels, containers): cheap reads. */
export const POLL_FALLBACK_MS = 1000;
/**
 * While calm, PSI triggers alone are not enough: without swap, memory stall stays at zero
 * until the last tens of MiB (lab: the first trigger fired with 12–28 MiB left, after the
 * kernel's OOM killer). So a calm agent also looks again before a hog allocating this fast
 * could get from the current MemAvailable to the elevated level: long sleeps with plenty of
 * memory, short ones near the line.
 */
export const CALM_WATCH_WORST_RATE_BYTES_PER_S = 1024 ** 3;
export const CALM_WATCH_MAX_MS = 10_000;
/**
 * Most calm looks read /proc/meminfo alone (the benchmark measured 8.3 CPU s/min idle in the
 * 2 GiB guest when every look was a full snapshot): a full tick only this close above the
 * elevated level, or when the last full one is this old. The regular full tick also reads
 * every new app scope while memory is plentiful: at 60 s (host idle 0.12 -> 0.05 CPU s/min)
 * the first full tick of a storm met 23 scopes it had likely never read, in a guest with 18 MiB
 * left, and decided only at 1.2 % available (bench run 130: 71 s to kill, against 3.7-9.5 s).
 */
export const CALM_LOOK_MARGIN_PCT = 5;
export const CALM_FULL_TICK_MAX_MS = 10_000;
/**
 * With the units watched (agent/cgroup/unit-watch.ts) a new scope is read when it appears, so
 * the regular full tick is left only to keep each unit's footprint trend within
 * GROWTH_MAX_INTERVAL_MS, for the ranking at the first look out of calm: half of it, so a late
 * timer never loses the trend.
 */
export const CALM_FULL_TICK_WATCHED_MS = 30_000;
/**
 * ...but only while MemAvailable moves: when it is within CALM_STEADY_BAND_BYTES of what the
 * last full tick saw, no unit grew by more than about that since (anonymous growth comes out of
 * MemAvailable), so every trend is ~0 and reading it again would find just that. The full tick
 * then comes only this often, and the trends, older than GROWTH_MAX_INTERVAL_MS by then, start
 * again from the steady value. In the idle guest the regular full tick was ~0.1 of Headroom's
 * 0.38 CPU s/min at 2 GiB (bench, 30 s against 600 s).
 */
export const CALM_FULL_TICK_STEADY_MS = 120_000;
/**
 * 32 MiB in 30 s is ~1 MiB/s, which counts for 5 MiB in the ranking (RANK_GROWTH_HORIZON_MS);
 * growth that could change a victim is tens of MiB/s and moves MemAvailable far more.
 */
export const CALM_STEADY_BAND_BYTES = 32 * 1024 * 1024;
/** Units created or removed are read this long after the last such event: an app's start makes several cgroups at once. */
export const UNIT_CHANGE_SETTLE_MS = 500;
/** PSI trigger armed while calm: 50 ms of "some" stall within 2 s (unprivileged windows must be multiples of 2 s). */
export const PSI_TRIGGER = 'some 50000 2000000';
/** How many candidates a kill report carries. */
export const REPORT_CANDIDATES = 10;
/** Apps that are part of Headroom itself: killing the tray would hide the report of the kill. */
/** Ranking: a unit's footprint is projected this far ahead at its recent growth (the runaway first). */
export const RANK_GROWTH_HORIZON_MS = 5000;
/** Growth from two samples further apart than this says nothing about now. */
export const GROWTH_MAX_INTERVAL_MS = 60_000;
/**
 * An app the user reopened from a kill notice goes after the other units for this long
 * (rank.ts), unless it is again the runaway. Ten minutes: the reopened app gets time to load
 * and restore what it had (a browser's session alone takes a minute or more, and looks like a
 * big footprint the whole time), and the user, just told memory ran out, gets time to save and
 * close something; yet an app that has run this long since is judged by what it does now, like
 * any other, so a reopen is never a lasting exemption.
 */
export const REOPEN_SPARE_MS = 10 * 60_000;
/**
 * "Again the runaway", by far: its projected footprint is at least this many times that of
 * every other candidate of its preference, or its growth this many times theirs. At twice the
 * next, stopping any other unit frees less than half of what stopping it would, and the next
 * kill would likely come for it anyway.
 */
export const REOPEN_RUNAWAY_FACTOR = 2;
/**
 * …and growth counts as running away only from this rate: 16 MiB/s is 1 GiB a minute, the
 * margin between the elevated level and the floor (11 % of RAM) of an 8 GiB desktop within a
 * minute: a leak, not an app settling in. Below it, growth is a start-up or noise.
 */
export const REOPEN_RUNAWAY_MIN_GROWTH_BYTES_PER_S = 16 * 1024 * 1024;
/**
 * zram's compression ratio is taken from what went in since the last estimate once this much
 * more has gone in (less is noise), or, with no estimate yet, from all it holds once it holds
 * this much. Before that nothing is credited to zram: an incompressible page wins nothing.
 */
export const ZRAM_RATIO_MIN_DELTA_BYTES = 4 * 1024 * 1024;
export const ZRAM_RATIO_MIN_OBSERVED_BYTES = 8 * 1024 * 1024;
/**
 * zram's ratio until it has shown its own: the kernel swaps only near its low watermark, so a
 * device that credited nothing before then made a compressible burst look like exhaustion (bench
 * run 161: killed at 8.6 % available, zram still empty). 2:1 is half what lzo-rle and zstd reach
 * on desktop memory; an incompressible hog shows 1:1 within its first few MiB in zram, and the
 * runway then collapses to MemAvailable.
 */
export const ZRAM_PRIOR_RATIO = 2;
/**
 * Below this ratio zram wins nothing worth counting: three pages compressed to win one, the
 * kernel spends its time compressing and the desktop stalls. Bench run 160 (an incompressible
 * hog in a snap scope): zram took the hog at 1.1-1.2:1 while full pressure stayed at 80-99 % for
 * 40 s, because 1.5 GiB of free zram at 1.2:1 still counted as 250 MiB of runway.
 */
export const ZRAM_MIN_USEFUL_RATIO = 1.5;
/** Memory outside the user's tree is listed per group from this size: smaller ones cannot be the hog. */
export const OUTSIDE_MIN_BYTES = 64 * 1024 * 1024;
/** While elevated, look at the fast pace once the floor is this many slow looks away. */
export const FAST_LOOK_WITHIN_LOOKS = 8;
/**
 * Units of the session itself that some desktops start in app.slice rather than session.slice:
 * the bus, audio, portals, settings, keyrings and virtual file systems. Stopping one breaks the
 * whole session, never relieves it. Matched on the unit name.
 */
export const SESSION_CORE_UNITS: readonly RegExp[] = [
  /^dbus(-broker)?\.service$/, /^at-spi-dbus-bus\.service$/, /^(pipewire|pipewire-pulse|wireplumber|pulseaudio)\.service$/,
  /^xdg-(desktop-portal|document-portal|permission-store)(-[a-z0-9]+)?\.service$/, /^dconf\.service$/, /^gvfs-[a-z0-9-]+\.service$/,
  /^gnome-keyring-daemon\.service$/, /^(dunst|mako|swaync|xfce4-notifyd)\.service$/, /^org\.gnome\.Shell@[a-z0-9]+\.service$/,
  /^plasma-(plasmashell|kwin_[a-z]+|ksmserver)\.service$/,
];
export const SELF_APP_IDS: readonly string[] = ['headroom-tray', 'org.headroom.Tray', 'headroom'];

// The loop's own pace and bookkeeping (agent/agent.ts, agent/api-handler.ts), not decide()'s.
/** The Pressure property's PropertiesChanged, while not calm: at most one this often. */
export const PRESSURE_SIGNAL_MIN_INTERVAL_MS = 1000;
/** A victim that vanished before its kill is decided again at once, this many times in a row at most. */
export const MAX_GONE_RETRIES = 3;
/** Pressure history for the dashboard: one sample per step at most, this many kept (30 min). */
export const PRESSURE_HISTORY_STEP_MS = 2000;
export const PRESSURE_HISTORY_SAMPLES = 900;
/**
 * ListApps and Explain answer from the last look while it began less than this long ago (and
 * its units were read within this of its gauges), instead of reading every cgroup again. Under
 * pressure a look comes every 100-250 ms, so the answer is at most a poll old, and those reads
 * are what cost 0.3-2.8 s under thrash; while calm a full look comes at most every 10 s, and an
 * answer older than 2 s (one step of the pressure history) would lag the dashboard visibly.
 */
export const LAST_LOOK_FRESH_MS = 2000;

/**
 * A process is one its app marked to lose first when its oom_score_adj is at least this and
 * above the app's lowest: Chromium and Electron give renderers 300-1000, Firefox its content
 * processes 100 (foreground), 167 (background) and 233 (preallocated) over a main process that
 * inherits user@.service's 100, so its foreground tab is not above it and stays.
 */
export const EXPENDABLE_MIN_ADJ = 100;
/** The reader's bounds: a unit's pids looked at for marks, and marked processes kept (heaviest). */
export const EXPENDABLE_MAX_PIDS = 256;
export const EXPENDABLE_MAX_PER_UNIT = 16;
/**
 * After one of a unit's marked processes was stopped, memory still short within this long
 * means the unit itself is the hog: the next decision stops the whole unit, not another tab.
 */
export const CHILD_FOLLOWUP_MS = 60_000;
/**
 * A marked process is stopped in place of its app only when what it frees keeps the runway
 * above the floor this long at the decline that is left once it is gone.
 */
export const CHILD_RELIEF_HOLD_MS = 10_000;
/** The marked process is the runaway inside its unit when it grows at least this share of the unit's growth... */
export const CHILD_RUNAWAY_SHARE = 0.5;
/** ...where the unit grows at all: below this a unit is holding its memory, not running away. */
export const UNIT_GROWING_BYTES_PER_SEC = 1024 * 1024;

// Pause and ask (agent/core/pause.ts).
/**
 * Pause only while memory runs out slowly enough to ask: exhaustion between these two. Nearer
 * than the first, the question could not be answered in time and the kill path acts; further
 * than the second, the growth may still stop by itself and nothing is done yet.
 */
export const PAUSE_MIN_EXHAUSTION_MS = 20_000;
export const PAUSE_HORIZON_MS = 60_000;
/**
 * The decline must have been watched this long out of calm before it can pause anything: the
 * first looks' smoothed rate starts at zero and reads a fast hog as a slow one. At
 * POLL_ELEVATED_MS that is 8 rates (the EWMA at 99.6 % of a steady decline; 94 % on a machine
 * that halves the pace). Not longer: a pause must come while MemAvailable is above the floor,
 * and on a small machine that is short (bench runs 367-368, 2 GiB, 40 MiB/s: 5 s from leaving
 * calm at 281 MiB to the floor of 82 MiB, so a 5 s settle never paused).
 */
export const PAUSE_SETTLE_MS = 2000;
/** The paused app must be what makes memory run out: at least this share of the decline is its own growth. */
export const PAUSE_RUNAWAY_SHARE = 0.5;
/** Memory must then hold without it at least this long, or pausing buys no time to answer. */
export const PAUSE_ANSWER_MIN_MS = 20_000;
/**
 * A paused app is thawed once memory has room for this much more of its growth at the pace it
 * had: thawed, it would not run memory out within the pause's own horizon (and it is not paused
 * again soon: PAUSE_AGAIN_MS).
 */
export const PAUSE_RECOVERED_ROOM_MS = PAUSE_HORIZON_MS;
/** An app the user resumed (or that was thawed) is not paused again for this long: the kill path decides then. */
export const PAUSE_AGAIN_MS = 10 * 60_000;
/** Quit on a paused app: SIGTERM, then this long to exit before SIGKILL (an app asking to save needs a moment). */
export const QUIT_GRACE_MS = 10_000;
