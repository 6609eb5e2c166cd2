#!/bin/bash
# Benchmark runs in the lab guest (as root, from lab-run.service; see bench/README.md).
# The host (bench/run.ts) passes:
#   BENCH_PLAN   "IDX:KILLER:WORKLOAD ..." runs of this boot, in order
#   BENCH_CAP_S  hard cap per run, seconds from hog start (default 200)
#   BENCH_IDLE   killers whose idle cost to measure at the start of this boot (may be empty)
#   BENCH_IDLE_S seconds of idle measurement per killer (default 60)
#   BENCH_SCALE  1: also kill a scope of 2,000 processes (Headroom's kill path and raw cgroup.kill)
# Every run writes $LAB_OUT/run-IDX.kv (key=value), run-IDX.series (sampler lines),
# run-IDX.canary (canary wake-ups) and run-IDX.killer.log.
set -u
. "${LAB_REPO:-/mnt/share}/lab/guest/lib.sh"
. "$LAB_REPO/lab/guest/scenario-lib.sh"

# The host runs a frozen copy of the agent and of the helpers (BENCH_HEADROOM, BENCH_BIN,
# BENCH_NODE_FLOOR, relative to the repository) so rebuilding the checkout during a long set changes nothing.
HR=$LAB_REPO/${BENCH_HEADROOM:-bin/headroom}
BIN=$LAB_REPO/${BENCH_BIN:-dist/bench/benchbin}
NODE_FLOOR=$LAB_REPO/${BENCH_NODE_FLOOR:-dist/bench/node-floor.js}
CAP_S=${BENCH_CAP_S:-200}
B=/run/bench
mkdir -p "$B" && chmod 0777 "$B"
AGENT_DIR=$LAB_HOME/.config/systemd/user

# ---- key=value report of the current run ----
KV=
kv() { echo "$1=$2" >>"$KV"; echo "[$(lab_uptime)] $1=$2"; }

mem_avail_mib() { echo $(( $(meminfo_kib MemAvailable) / 1024 )); }

# ---- killers: start / stop / main pid / unit cgroup ----
oomd_dropins() { # DURATION
    mkdir -p /etc/systemd/system/user@.service.d /etc/systemd/system/-.slice.d /etc/systemd/system/system.slice.d /etc/systemd/oomd.conf.d
    printf '[Service]\nManagedOOMMemoryPressure=kill\nManagedOOMMemoryPressureLimit=50%%\n' >/etc/systemd/system/user@.service.d/50-bench-oomd.conf
    printf '[Slice]\nManagedOOMSwap=kill\n' >/etc/systemd/system/-.slice.d/50-bench-oomd.conf
    printf '[Slice]\nManagedOOMSwap=kill\n' >/etc/systemd/system/system.slice.d/50-bench-oomd.conf
    printf '[OOM]\nDefaultMemoryPressureDurationSec=%s\n' "$1" >/etc/systemd/oomd.conf.d/50-bench.conf
    systemctl daemon-reload
}
oomd_dropins_off() {
    rm -f /etc/systemd/system/user@.service.d/50-bench-oomd.conf /etc/systemd/system/-.slice.d/50-bench-oomd.conf \
        /etc/systemd/system/system.slice.d/50-bench-oomd.conf /etc/systemd/oomd.conf.d/50-bench.conf
    systemctl daemon-reload
}
install_agent() {
    as_lab mkdir -p "$AGENT_DIR"
    # BENCH_AGENT_ARGS (run.ts --agent-args, e.g. --debug): extra words after "headroom agent".
    sed -e "s|^ExecStart=/usr/bin/headroom |ExecStart=$HR |" -e "/^ExecStart=/s|\$| ${BENCH_AGENT_ARGS:-}|" "$LAB_REPO/assets/headroom-agent.service" |
        as_lab tee "$AGENT_DIR/$AGENT_UNIT" >/dev/null
    as_lab systemctl --user daemon-reload
}
killer_start() {
    case $1 in
    none) return 0 ;;
    earlyoom) systemctl start earlyoom.service && wait_until 20 systemctl -q is-active earlyoom.service ;;
    oomd20) oomd_dropins 20s && systemctl start systemd-oomd.service && wait_until 20 systemctl -q is-active systemd-oomd.service ;;
    oomd2) oomd_dropins 2s && systemctl start systemd-oomd.service && wait_until 20 systemctl -q is-active systemd-oomd.service ;;
    headroom) [ -f "$AGENT_DIR/$AGENT_UNIT" ] || install_agent
        as_lab rm -f "$LAB_HOME/.config/headroom/config.toml"
        as_lab timeout 120 systemctl --user start "$AGENT_UNIT" && wait_until 60 agent_on_bus ;;
    headroom-candidate) [ -f "$AGENT_DIR/$AGENT_UNIT" ] || install_agent
        # candidate defaults, as a config file (BENCH_HEADROOM_CONFIG: TOML text)
        as_lab mkdir -p "$LAB_HOME/.config/headroom"
        printf '%s\n' "${BENCH_HEADROOM_CONFIG:-}" | as_lab tee "$LAB_HOME/.config/headroom/config.toml" >/dev/null
        as_lab timeout 120 systemctl --user start "$AGENT_UNIT" && wait_until 60 agent_on_bus ;;
    # idle only: a bare Node loop doing the calm looks alone (bench/node-floor.ts), with the agent's heap flags
    nodefloor) systemd-run --quiet --unit=bench-node-floor.service node --max-old-space-size=64 --max-semi-space-size=1 "$NODE_FLOOR" &&
        wait_until 20 systemctl -q is-active bench-node-floor.service ;;
    # idle only: the same process waking on its look timer alone, no read (what Node's wake costs)
    nodetimer) systemd-run --quiet --unit=bench-node-timer.service node --max-old-space-size=64 --max-semi-space-size=1 "$NODE_FLOOR" timer &&
        wait_until 20 systemctl -q is-active bench-node-timer.service ;;
    *) echo "unknown killer $1"; return 1 ;;
    esac
}
killer_stop() {
    case $1 in
    none) ;;
    earlyoom) systemctl stop earlyoom.service ;;
    nodefloor) systemctl stop bench-node-floor.service ;;
    nodetimer) systemctl stop bench-node-timer.service ;;
    oomd20 | oomd2) systemctl stop systemd-oomd.service systemd-oomd.socket; oomd_dropins_off ;;
    headroom | headroom-candidate) as_lab timeout 60 systemctl --user stop "$AGENT_UNIT"
        as_lab rm -f "$LAB_HOME/.config/headroom/config.toml" ;;
    esac
}
killer_pid() {
    case $1 in
    earlyoom) systemctl show -P MainPID earlyoom.service ;;
    nodefloor) systemctl show -P MainPID bench-node-floor.service ;;
    nodetimer) systemctl show -P MainPID bench-node-timer.service ;;
    oomd20 | oomd2) systemctl show -P MainPID systemd-oomd.service ;;
    headroom | headroom-candidate) agent_main_pid ;;
    esac
}
killer_cg() {
    local pid
    pid=$(killer_pid "$1")
    [ -n "$pid" ] && [ "$pid" != 0 ] && echo "/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/$pid/cgroup")"
}
killer_active() {
    case $1 in
    none) return 1 ;;
    earlyoom) systemctl -q is-active earlyoom.service ;;
    oomd20 | oomd2) systemctl -q is-active systemd-oomd.service ;;
    headroom | headroom-candidate) agent_active ;;
    esac
}
# killer_log KILLER SINCE_EPOCH: the killer's journal lines since then
killer_log() {
    case $1 in
    earlyoom) journalctl --no-pager -o short-unix -u earlyoom.service --since "@$2" ;;
    oomd20 | oomd2) journalctl --no-pager -o short-unix --since "@$2" -u systemd-oomd.service; journalctl --no-pager -o short-unix --since "@$2" -u user@1000.service | grep -i oom ;;
    headroom | headroom-candidate) journalctl --no-pager -o short-unix --since "@$2" _SYSTEMD_USER_UNIT="$AGENT_UNIT" ;;
    esac 2>/dev/null
}
# kill lines of each killer's log (as KILL_LINE_RE in bench/guest-output.ts): earlyoom "sending SIGTERM
# to process" (not its banner "sending SIGTERM when mem <= …"), oomd "Killed /…", Headroom "killed UNIT…" (any unit: app-*, vte-spawn-*, snap.*)
# or "partial UNIT: N processes, M left"
KILL_RE='sending SIG[A-Z]+ to process|Killed /|(killed|partial) [^ ]+\.(scope|service)\b|systemd-oomd killed'

# ---- clean state between runs ----
BASELINE_MIB=0
# zramctl --reset fails with EBUSY for a moment after swapoff (udev still has it open)
zram_reset() {
    local _
    udevadm settle --timeout=10 2>/dev/null
    for _ in $(seq 1 40); do
        zramctl --reset "$1" 2>/dev/null && return 0
        sleep 0.5
    done
    echo "zram_reset: $1 still busy"
    return 1
}
# zram_swap (lib.sh) with retries: right after a big swapoff and reset, zramctl --find can
# still find the device busy (a run without its swap measures the wrong workload)
bench_zram_swap() {
    local dev _
    for _ in $(seq 1 20); do
        dev=$(zram_swap 2G 2>/dev/null) && { echo "$dev"; return 0; }
        udevadm settle --timeout=10 2>/dev/null
        sleep 1
    done
    return 1
}
# A killer that takes the user manager (earlyoom's defaults chose `systemd --user`, run 88)
# ends the whole session: every later run of the boot would fail to start its apps. Start it
# again (the user lingers) before the next run, and say so in the run's record.
user_manager_up() {
    systemctl -q is-active "user@$LAB_UID.service" && [ -S "/run/user/$LAB_UID/bus" ] || return 1
    # "degraded" (a failed app scope of an earlier run) still runs apps
    case $(as_lab systemctl --user is-system-running 2>/dev/null) in running | degraded) return 0 ;; esac
    return 1
}
ensure_user_manager() {
    local state
    user_manager_up && return 0
    kv user_manager_restarted yes
    systemctl reset-failed "user@$LAB_UID.service" 2>/dev/null
    systemctl restart "user@$LAB_UID.service"
    wait_until 120 user_manager_up || kv user_manager_restart FAIL
    # The new user manager connects to systemd-oomd's varlink socket and so starts it (runs
    # 104-106 found it active): no anchor may run outside its own runs.
    systemctl stop systemd-oomd.service systemd-oomd.socket 2>/dev/null
    state=$(as_lab systemctl --user is-system-running 2>&1)
    kv user_manager_state "$state"
}
clean_state() {
    ensure_user_manager
    stop_all_apps || kv clean_apps_left yes
    stop_extras || kv clean_extras_left yes
    local dev
    for dev in $(swapon --noheadings --show=NAME 2>/dev/null); do
        timeout 120 swapoff "$dev"
        case $dev in /dev/zram*) zram_reset "$dev" ;; esac
    done
    sync
    echo 3 >/proc/sys/vm/drop_caches
    wait_until 60 eval '[ "$(mem_avail_mib)" -ge $((BASELINE_MIB - 96)) ]'
}
check_clean() {
    local ok=yes why=
    no_apps_running || why+=" apps"
    no_extras_running || why+=" extras"
    [ -z "$(swapon --noheadings --show=NAME 2>/dev/null)" ] || why+=" swap"
    for k in earlyoom oomd20 headroom; do killer_active "$k" && why+=" $k"; done
    [ "$(mem_avail_mib)" -ge $((BASELINE_MIB - 96)) ] || why+=" memory"
    [ -n "$why" ] && ok=no && kv clean_why "$why"
    kv clean_before "$ok"
    kv mem_available_mib_before "$(mem_avail_mib)"
    kv baseline_mib "$BASELINE_MIB"
}

# scope_start NAME IDX CMD...: CMD as lab in app-bench-NAME-IDX.scope (pid in $RUN_DIR/NAME.pid)
scope_start() {
    local name=$1 idx=$2; shift 2
    app_start "$name" systemd-run --user --scope --quiet --unit="app-bench-$name-$idx.scope" -- "$@"
}
scope_dir() { echo "$APP_SLICE/app-bench-$1-$2.scope"; }
populated() { grep -q '^populated 1' "$1/cgroup.events" 2>/dev/null; }
# cg_alive DIR: as populated, with bash builtins only (no fork: it runs every 0.2 s per bystander)
cg_alive() {
    local k v
    [ -r "$1/cgroup.events" ] || return 1
    while read -r k v; do
        [ "$k" = populated ] && { [ "$v" = 1 ]; return; }
    done <"$1/cgroup.events" 2>/dev/null
    return 1
}
uuid() { cat /proc/sys/kernel/random/uuid; }
# pid_alive PID: the process exists and is no zombie (builtins only: it runs every 0.2 s)
pid_alive() {
    local l
    [ -n "$1" ] && read -r l 2>/dev/null <"/proc/$1/stat" || return 1
    l=${l##*) }
    case ${l%% *} in Z | X) return 1 ;; esac
    return 0
}
# majflt PID: the process's major page faults so far (/proc/PID/stat field 12; the fields
# after the comm's ")" start at field 3, so it is the 10th of them); empty without a process
majflt() {
    local l
    [ -n "$1" ] && read -r l 2>/dev/null <"/proc/$1/stat" || return 0
    l=${l##*) }
    set -- $l
    echo "${10}"
}
# The hog of the browser workload is one process of a scope that outlives it: while it is
# set (its pid), "the hog" is that process, not its unit's cgroup.
HOG_CHILD=
hog_alive() {
    if [ -n "$HOG_CHILD" ]; then pid_alive "$HOG_CHILD"; else populated "$1"; fi
}

# ---- units outside app-* (stop_all_apps only knows app-*): the snap scope, a VTE tab's scope
# and the stand-in terminal server of workloads snap and vte ----
EXTRA_RE='snap\..*\.scope|vte-spawn-.*\.scope|gnome-terminal-server\.service'
extra_dirs() { find "$LAB_USER_CG" -type d -regextype posix-extended -regex ".*/($EXTRA_RE)" 2>/dev/null; }
no_extras_running() {
    local d
    for d in $(extra_dirs); do cg_alive "$d" && return 1; done
    return 0
}
stop_extras() {
    local d
    for d in $(extra_dirs); do echo 1 >"$d/cgroup.kill" 2>/dev/null; done
    wait_until 30 no_extras_running || return 1
    as_lab systemctl --user stop gnome-terminal-server.service 2>/dev/null
    as_lab systemctl --user reset-failed 2>/dev/null
    return 0
}

# ---- deaths: every bystander watched while the storm runs (BYSTANDERS: "name:cgroup-dir") ----
BYSTANDERS=()
declare -A DIED=()
watch_deaths() {
    local e n
    for e in "${BYSTANDERS[@]}"; do
        n=${e%%:*}
        [ -n "${DIED[$n]:-}" ] && continue
        cg_alive "${e#*:}" || { DIED[$n]=$(now_ms); kv "died_${n}_ms" "${DIED[$n]}"; }
    done
}
# hog_line WORD: the hog's first output line starting with WORD (builtins only)
hog_line() {
    local l
    while IFS= read -r l; do
        case $l in "$1"*) printf '%s' "$l"; return 0 ;; esac
    done <"$LAB_OUT/app-hog.out" 2>/dev/null
    return 1
}

# ---- one run ----
run_one() {
    local idx=$1 killer=$2 workload=$3
    KV=$LAB_OUT/run-$idx.kv
    : >"$KV"
    echo "=== run $idx: $killer / $workload ($(lab_uptime) s)"
    kv idx "$idx"
    kv killer "$killer"
    kv workload "$workload"
    clean_state
    check_clean
    # stop_pct/total_pct/hold_s: a hog that stops by itself and exits 0 (workloads that need no
    # kill); place: where the hog's unit lives (app: app-bench-hog-IDX.scope; vte: a GNOME
    # Terminal tab's scope; snap: a snap app's tracking scope)
    # ask: a notification server runs (every killer's run has it), and a paused hog (its
    # cgroup.events "frozen 1", whoever froze it) is answered Quit PAUSE_ANSWER_S later
    local swap=none hog_mode=fill mib0=64 step=32 every=100 smalls=0 stop_pct=0 total_pct=0 hold_s=0 place=app ask=0
    case $workload in
    nosw) ;;
    zram) swap=zram hog_mode=random ;;
    leak) swap=zram hog_mode=random step=2 ;;
    apps) swap=zram hog_mode=random smalls=20 ;;
    burst) stop_pct=10 hold_s=30 ;;
    burst40) step=4 stop_pct=10 hold_s=30 ;;
    zburst) swap=zram hog_mode=zram3 total_pct=130 hold_s=30 ;;
    vte) place=vte ;;
    snap) swap=zram hog_mode=random place=snap ;;
    browser) swap=zram hog_mode=random place=browser ;;
    # lab boot F's leak: 40 MiB/s of same-filled pages, which zram keeps for next to nothing, so
    # swap goes on taking memory and a pause has time
    pause) swap=zram hog_mode=fill step=4 ask=1 ;;
    esac
    # browser: the main process's MiB, its children (the last of them the hog) and what each
    # other child holds
    local br_main_mib=128 br_children=6 br_child_mib=64
    local dev= mmstat=/sys/block/zram0/mm_stat
    if [ "$swap" = zram ]; then
        dev=$(bench_zram_swap) && kv zram_device "$dev" || kv zram_device FAIL
        [ -n "$dev" ] && mmstat=/sys/block/${dev#/dev/}/mm_stat
        kv zram_comp_algorithm "$(cat "/sys/block/${dev#/dev/}/comp_algorithm" 2>/dev/null)"
    fi
    kv swap_total_mib "$(( $(meminfo_kib SwapTotal) / 1024 ))"
    kv hog "$mib0 MiB then $step MiB every $every ms, $hog_mode$([ "$stop_pct" -gt 0 ] && echo ", stops before MemAvailable < $stop_pct % of MemTotal")$([ "$total_pct" -gt 0 ] && echo ", stops at $total_pct % of MemTotal")$([ "$hold_s" -gt 0 ] && echo ", holds $hold_s s, exits 0")"
    kv hog_place "$place"
    if [ "$ask" = 1 ]; then
        notify_server_start && kv notify_server yes || kv notify_server FAIL
    fi
    local t_ks
    t_ks=$(now_ms)
    killer_start "$killer" && kv killer_started yes || kv killer_started FAIL
    kv killer_start_s "$(secs_between "$t_ks" "$(now_ms)")"
    if [ "$killer" = oomd20 ] || [ "$killer" = oomd2 ]; then
        oomctl >"$LAB_OUT/run-$idx.oomctl" 2>&1
        kv oomd_settings "$(grep -E 'Default Memory Pressure Duration|Memory Pressure Limit' "$LAB_OUT/run-$idx.oomctl" | xargs)"
    fi
    local since_epoch gate=$B/gate-$idx
    since_epoch=$(date +%s)
    rm -f "$gate" "$B/canary-$idx"
    scope_start innocent "$idx" "$BIN" hold 256
    scope_start canary "$idx" "$BIN" canary "$B/canary-$idx"
    local i
    for ((i = 1; i <= smalls; i++)); do scope_start "small$i" "$idx" "$BIN" hold 32; done
    local hogd innod canad hogu browserd= gtsd= gts_pid= id br_pids=
    HOG_CHILD=
    innod=$(scope_dir innocent "$idx") canad=$(scope_dir canary "$idx")
    local hogcmd=("$BIN" hog "$gate" "$mib0" "$step" "$every" "$hog_mode" "$stop_pct" "$total_pct" "$hold_s")
    case $place in
    app) hogu=app-bench-hog-$idx.scope hogd=$(scope_dir hog "$idx")
        scope_start hog "$idx" "${hogcmd[@]}" ;;
    vte)
        # GNOME Terminal: the server is a user service in app-org.gnome.Terminal.slice, and VTE
        # puts each tab's job in vte-spawn-UUID.scope in the same slice, described as "VTE child
        # process PID launched by PRGNAME process PID" (vte src/systemd.cc). A stand-in server
        # holding 32 MiB, and a 600 MiB browser as GNOME Shell ≤ 49 launches one.
        rm -f "$B/gts-$idx.out"
        as_lab systemctl --user stop gnome-terminal-server.service 2>/dev/null
        as_lab systemctl --user reset-failed gnome-terminal-server.service 2>/dev/null
        as_lab timeout 60 systemd-run --user --quiet --collect --unit=gnome-terminal-server.service --slice=app-org.gnome.Terminal.slice \
            --description="GNOME Terminal server (bench stand-in)" -p StandardOutput="file:$B/gts-$idx.out" -- "$BIN" hold 32 ||
            kv terminal_started FAIL
        wait_until 60 grep -q '^ready' "$B/gts-$idx.out" || kv terminal_started FAIL
        gts_pid=$(as_lab systemctl --user show -P MainPID gnome-terminal-server.service)
        gtsd=$APP_SLICE/app-org.gnome.Terminal.slice/gnome-terminal-server.service
        kv terminal_pid "$gts_pid"
        kv terminal_cgroup "$(sed -n 's/^0:://p' "/proc/$gts_pid/cgroup" 2>/dev/null)"
        # the unit name carries the app's own PID: sh execs systemd-run, which execs the app
        app_start browser sh -c 'exec systemd-run --user --scope --quiet --unit="app-gnome-firefox-$$.scope" -- "$@"' sh "$BIN" hold 600
        id=$(uuid)
        hogu=vte-spawn-$id.scope hogd=$APP_SLICE/app-org.gnome.Terminal.slice/vte-spawn-$id.scope
        app_start hog sh -c 'u=$1 g=$2; shift 2; exec systemd-run --user --scope --quiet --slice=app-org.gnome.Terminal.slice --unit="vte-spawn-$u.scope" --description="VTE child process $$ launched by gnome-terminal-server process $g" -- "$@"' \
            sh "$id" "$gts_pid" "${hogcmd[@]}" ;;
    snap)
        # snapd (sandbox/cgroup tracking): StartTransientUnit of "<security tag>-<uuid>.scope",
        # the tag snap.SNAP.APP, with no slice and no description of its own: the user manager
        # puts it in app.slice, and a unit without a description shows its name
        id=$(uuid)
        hogu=snap.firefox.firefox-$id.scope hogd=$APP_SLICE/snap.firefox.firefox-$id.scope
        app_start hog systemd-run --user --scope --quiet --unit="$hogu" --description="$hogu" -- "${hogcmd[@]}" ;;
    browser)
        # A browser as GNOME Shell <= 49 launches one (app.slice/app-gnome-<desktop id>-<pid>.scope,
        # the app's own pid: sh execs systemd-run, which execs the app), with six renderer-like
        # children in the same scope, each raising its own oom_score_adj to 300 as Chromium's
        # renderers do; the sixth is the hog (its output to app-hog.out, as every hog's).
        rm -f "$LAB_OUT/app-hog.out"
        app_start browser sh -c 'exec systemd-run --user --scope --quiet --unit="app-gnome-chromium-$$.scope" -- "$@"' sh \
            "$BIN" browser "$LAB_OUT/app-hog.out" "$br_main_mib" "$br_children" "$br_child_mib" "${hogcmd[@]:2}"
        wait_until 30 test -s "$RUN_DIR/browser.pid" || kv browser_started FAIL
        hogu=app-gnome-chromium-$(app_pid browser).scope hogd=$APP_SLICE/app-gnome-chromium-$(app_pid browser).scope ;;
    esac
    local hog_job=$!
    kv hog_unit "$hogu"
    wait_until 60 app_ready innocent && wait_until 30 app_ready canary || kv apps_started FAIL
    for ((i = 1; i <= smalls; i++)); do wait_until 60 app_ready "small$i" || kv "small${i}_started" FAIL; done
    if [ "$place" = vte ]; then
        wait_until 90 app_ready browser || kv browser_started FAIL
        browserd=$APP_SLICE/app-gnome-firefox-$(app_pid browser).scope
        kv browser_unit "$(basename "$browserd")"
        kv browser_cgroup "$(sed -n 's/^0:://p' "/proc/$(app_pid browser)/cgroup" 2>/dev/null)"
    fi
    if [ "$place" = browser ]; then
        wait_until 90 grep -q '^main ready' "$LAB_OUT/app-browser.out" || kv browser_started FAIL
        # the hog's pid as app_pid hog gives it for every other workload (kernel_killed_hog below)
        sed -n 's/^renderer id=[0-9]* pid=\([0-9]*\) role=hog$/\1/p' "$LAB_OUT/app-browser.out" >"$RUN_DIR/hog.pid"
        HOG_CHILD=$(app_pid hog)
        br_pids=$(sed -n 's/^renderer id=[0-9]* pid=\([0-9]*\) role=hold$/\1/p' "$LAB_OUT/app-browser.out" | xargs)
        # the holding children print "ready" to the main's output
        wait_until 90 eval '[ "$(grep -c "^ready" "$LAB_OUT/app-browser.out")" -ge $((br_children - 1)) ]' || kv browser_children_started FAIL
        kv browser_unit "$hogu"
        kv browser_main_pid "$(app_pid browser)"
        kv browser_renderer_pids "$br_pids"
        kv browser_layout "main $br_main_mib MiB; $((br_children - 1)) renderers of $br_child_mib MiB; the hog renderer"
        kv browser_main_oom_score_adj "$(cat "/proc/$(app_pid browser)/oom_score_adj" 2>/dev/null)"
        kv hog_oom_score_adj "$(cat "/proc/$HOG_CHILD/oom_score_adj" 2>/dev/null)"
        kv renderer_oom_score_adjs "$(for p in $br_pids; do cat "/proc/$p/oom_score_adj"; done 2>/dev/null | xargs)"
        kv hog_cmdline "$(tr '\0' ' ' <"/proc/$HOG_CHILD/cmdline" 2>/dev/null)"
        kv browser_unit_procs "$(wc -l <"$hogd/cgroup.procs" 2>/dev/null)"
        # what the user manager does when the kernel's OOM killer takes one process of the unit
        # (run 339: the main got SIGTERM right after the kernel killed the hog renderer)
        kv browser_oom_policy "$(as_lab systemctl --user show -P OOMPolicy "$hogu" 2>/dev/null)"
    fi
    wait_until 30 grep -q waiting "$LAB_OUT/app-hog.out" || kv hog_started FAIL
    populated "$hogd" || kv hog_scope FAIL
    kv hog_pid "$(app_pid hog)"
    kv hog_cgroup "$(sed -n 's/^0:://p' "/proc/$(app_pid hog)/cgroup" 2>/dev/null)"
    kv hog_description "$(as_lab systemctl --user show -P Description "$hogu" 2>/dev/null)"
    kv hog_slice "$(as_lab systemctl --user show -P Slice "$hogu" 2>/dev/null)"
    BYSTANDERS=("innocent:$innod" "canary:$canad")
    for ((i = 1; i <= smalls; i++)); do BYSTANDERS+=("small$i:$(scope_dir "small$i" "$idx")"); done
    [ -n "$browserd" ] && BYSTANDERS+=("browser:$browserd")
    [ -n "$gtsd" ] && BYSTANDERS+=("terminal:$gtsd")
    DIED=()
    kv bystanders "$(for e in "${BYSTANDERS[@]}"; do printf '%s ' "${e%%:*}"; done)"
    local kpid
    kpid=$(killer_pid "$killer")
    kv killer_rss_kib_before "$(awk '/^VmRSS/ { print $2 }' "/proc/$kpid/status" 2>/dev/null)"
    # sampler: root, in lab-run.service (outside the user tree every killer watches)
    local events=$hogd/cgroup.events
    [ -n "$HOG_CHILD" ] && events=/proc/$HOG_CHILD/stat
    "$BIN" sample "$B/series-$idx" "$events" "$LAB_USER_CG/memory.pressure" "$mmstat" &
    local spid=$!
    sleep 3 # calm samples before the storm; lets the killers settle
    local oom_since
    oom_since=$(lab_uptime)
    T0=$(now_ms)
    kv t0_ms "$T0"
    # the killer's major faults from hog start to the storm's end: its own pages read back in
    kv killer_majflt_t0 "$(majflt "$kpid")"
    touch "$gate"
    local deadline=$(( T0 + CAP_S * 1000 )) ended=cap stop_seen= a b c _ paused_at= answer_at= thawed=
    while [ "$(now_ms)" -lt "$deadline" ]; do
        hog_alive "$hogd" || { ended=gone; break; }
        watch_deaths
        if [ "$ask" = 1 ]; then
            if grep -q '^frozen 1' "$hogd/cgroup.events" 2>/dev/null; then
                if [ -z "$paused_at" ]; then
                    paused_at=$(now_ms)
                    answer_at=$(( paused_at + ${PAUSE_ANSWER_S:-5} * 1000 ))
                    kv paused_ms "$paused_at"
                    kv mem_available_mib_at_pause "$(mem_avail_mib)"
                fi
                if [ -n "$answer_at" ] && [ "$(now_ms)" -ge "$answer_at" ]; then
                    answer_at=
                    kv answered_ms "$(now_ms)"
                    kv answer "$(hr quit "$hogu" 2>&1 | tr '\n' ' ')"
                fi
            elif [ -n "$paused_at" ] && [ -z "$thawed" ] && [ -n "$answer_at" ]; then
                # thawed before the bench answered: the killer resumed it (memory recovered)
                thawed=1
                kv thawed_ms "$(now_ms)"
            fi
        fi
        # the hog stopped by itself: zram's figures at that moment
        if [ -z "$stop_seen" ] && [ "$hold_s" -gt 0 ] && hog_line stopped >/dev/null; then
            stop_seen=1
            kv hog_stop_seen_ms "$(now_ms)"
            read -r a b c _ <"$mmstat" 2>/dev/null && kv zram_mm_stat_at_stop "$a $b $c"
        fi
        sleep 0.2
    done
    kv t_end_ms "$(now_ms)"
    kv killer_majflt_end "$(majflt "$kpid")"
    kv storm_end "$ended"
    watch_deaths
    if [ "$ended" = cap ] && [ -n "$HOG_CHILD" ]; then
        # only the hog: what else of the browser lives is the killer's doing, recorded below
        kill -KILL "$HOG_CHILD" 2>/dev/null
        wait_until 120 eval '! pid_alive '"$HOG_CHILD"
    elif [ "$ended" = cap ]; then
        echo 1 >"$hogd/cgroup.kill"
        wait_until 120 eval '! populated '"$hogd"
    fi
    # recovery after the kill, still sampled, still on the canary's record, deaths still watched
    local rec_end=$(( $(now_ms) + 5000 ))
    while [ "$(now_ms)" -lt "$rec_end" ]; do watch_deaths; sleep 0.2; done
    kill "$spid" 2>/dev/null
    wait "$spid" 2>/dev/null
    # how the hog ended: "exiting 0" is its own word that it was not killed
    cp "$LAB_OUT/app-hog.out" "$LAB_OUT/run-$idx.hog" 2>/dev/null
    kv hog_stopped "$(hog_line stopped)"
    kv hog_exited_itself "$(hog_line 'exiting 0' >/dev/null && echo yes || echo no)"
    if [ -n "$HOG_CHILD" ]; then
        # the browser's main reaps its renderers and says how each ended
        cp "$LAB_OUT/app-browser.out" "$LAB_OUT/run-$idx.browser" 2>/dev/null
        kv hog_exit_status "$(sed -n "s/^child_exit pid=$HOG_CHILD status=//p" "$LAB_OUT/app-browser.out")"
        kv browser_main_survived "$(pid_alive "$(app_pid browser)" && echo yes || echo no)"
        local br_alive=0 p
        for p in $br_pids; do pid_alive "$p" && br_alive=$((br_alive + 1)); done
        kv browser_renderers_survived "$br_alive"
        kv browser_unit_survived "$(populated "$hogd" && echo yes || echo no)"
        # the user manager's word on the unit: did it see the kernel's OOM kill in it (and then,
        # with OOMPolicy=stop, stop the rest)?
        journalctl --no-pager -o short-unix --since "@$since_epoch" _SYSTEMD_UNIT="user@$LAB_UID.service" 2>/dev/null |
            grep -F "$hogu" >"$LAB_OUT/run-$idx.unit.log"
        # (the kernel's kill: "A process of this unit has been killed by the OOM killer."; oomd's own
        # says "systemd-oomd killed N process(es)", so the two are told apart)
        kv browser_unit_kernel_oom "$(grep -qF 'killed by the OOM killer' "$LAB_OUT/run-$idx.unit.log" && echo yes || echo no)"
    else
        populated "$hogd" || { wait "$hog_job" 2>/dev/null; kv hog_exit_status "$?"; }
    fi
    kv innocent_survived "$(populated "$innod" && echo yes || echo no)"
    kv canary_survived "$(populated "$canad" && echo yes || echo no)"
    local alive=0
    for ((i = 1; i <= smalls; i++)); do populated "$(scope_dir "small$i" "$idx")" && alive=$((alive + 1)); done
    kv smalls "$smalls"
    kv smalls_survived "$alive"
    [ -n "$browserd" ] && kv browser_survived "$(populated "$browserd" && echo yes || echo no)"
    [ -n "$gtsd" ] && kv terminal_survived "$(populated "$gtsd" && echo yes || echo no)"
    # the canary writes its record on SIGTERM
    kill -TERM "$(app_pid canary)" 2>/dev/null
    wait_until 20 test -s "$B/canary-$idx"
    cp "$B/canary-$idx" "$LAB_OUT/run-$idx.canary" 2>/dev/null
    cp "$B/series-$idx" "$LAB_OUT/run-$idx.series" 2>/dev/null
    local oom
    oom=$(kernel_oom_since "$oom_since")
    printf '%s\n' "$oom" >"$LAB_OUT/run-$idx.kernel"
    kv kernel_oom_kills "$(printf '%s\n' "$oom" | grep -c 'Killed process')"
    kv kernel_killed_hog "$(printf '%s\n' "$oom" | grep -q "Killed process $(app_pid hog) " && echo yes || echo no)"
    kv kernel_killed_pids "$(printf '%s\n' "$oom" | sed -n 's/.*Killed process \([0-9]*\) .*/\1/p' | sort -u | xargs)"
    kv killer_rss_kib_after "$(awk '/^VmRSS/ { print $2 }' "/proc/$kpid/status" 2>/dev/null)"
    killer_log "$killer" "$since_epoch" >"$LAB_OUT/run-$idx.killer.log"
    kv killer_kill_lines "$(grep -cE "$KILL_RE" "$LAB_OUT/run-$idx.killer.log")"
    kv killer_first_kill "$(grep -E "$KILL_RE" "$LAB_OUT/run-$idx.killer.log" | head -n 1)"
    killer_stop "$killer"
    [ "$ask" = 1 ] && notify_server_stop
    kv swap_used_mib_at_end "$(( ($(meminfo_kib SwapTotal) - $(meminfo_kib SwapFree)) / 1024 ))"
    stop_all_apps || kv apps_left_after yes
    stop_extras || kv extras_left_after yes
    kv done yes
}

# ---- idle cost: CPU, wake-ups (context switches of all threads), RSS over BENCH_IDLE_S ----
ctxsw() { # PID: voluntary + involuntary context switches of every thread
    cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ { s += $2 } END { print s + 0 }'
}
cpu_usec() { awk '$1 == "usage_usec" { print $2 }' "$1/cpu.stat" 2>/dev/null; }
idle_one() {
    local killer=$1 secs=${BENCH_IDLE_S:-60} pid cg c0 c1 w0 w1 r0 r1
    KV=$LAB_OUT/idle-$killer.kv
    : >"$KV"
    kv killer "$killer"
    clean_state
    killer_start "$killer" || kv killer_started FAIL
    sleep 10
    pid=$(killer_pid "$killer")
    cg=$(killer_cg "$killer")
    kv pid "$pid"
    kv cgroup "$cg"
    kv threads "$(ls /proc/"$pid"/task 2>/dev/null | wc -l)"
    r0=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
    c0=$(cpu_usec "$cg") w0=$(ctxsw "$pid")
    sleep "$secs"
    c1=$(cpu_usec "$cg") w1=$(ctxsw "$pid")
    r1=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
    kv seconds "$secs"
    kv cpu_usec "$(( c1 - c0 ))"
    kv wakeups "$(( w1 - w0 ))"
    kv rss_kib_start "$r0"
    kv rss_kib_end "$r1"
    # A second window right after the first: the steady state, once start-up work (a JIT's
    # compiling, a garbage collector's first shrinking) is over.
    sleep "$secs"
    kv cpu_usec_2 "$(( $(cpu_usec "$cg") - c1 ))"
    kv wakeups_2 "$(( $(ctxsw "$pid") - w1 ))"
    kv rss_kib_end_2 "$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")"
    # The part of it the kernel cannot drop under pressure (file pages of the binary it can).
    kv rss_anon_kib_end_2 "$(awk '/^RssAnon/ { print $2 }' "/proc/$pid/status")"
    killer_stop "$killer"
}

# ---- scale: one scope of 2,000 processes, killed by Headroom, and by a bare cgroup.kill ----
scale_run() {
    local n=2000 d t0 t1 out
    KV=$LAB_OUT/scale.kv
    : >"$KV"
    clean_state
    killer_start headroom || kv killer_started FAIL
    kv processes "$n"
    # Headroom's own kill path, asked by hand (`headroom kill`): SIGTERM grace, then cgroup.kill
    scope_start forker 1 "$BIN" forker "$n"
    wait_until 300 app_ready forker || kv forker_started FAIL
    d=$(scope_dir forker 1)
    kv forker_procs "$(wc -l <"$d/cgroup.procs")"
    t0=$(now_ms)
    out=$(hr kill forker 2>&1)
    t1=$(now_ms)
    kv headroom_kill_cli "$(printf '%s' "$out" | tr '\n' ' ')"
    kv headroom_kill_cli_s "$(secs_between "$t0" "$t1")"
    wait_until 120 eval '! populated '"$d"
    kv headroom_gone_s "$(secs_between "$t0" "$(now_ms)")"
    hr history --json >"$LAB_OUT/scale-history.json" 2>&1
    # a bare cgroup.kill of the same, as root
    scope_start forker 2 "$BIN" forker "$n"
    wait_until 300 app_ready forker || kv forker2_started FAIL
    d=$(scope_dir forker 2)
    kv forker2_procs "$(wc -l <"$d/cgroup.procs")"
    t0=$(now_ms)
    echo 1 >"$d/cgroup.kill"
    wait_until 120 eval '! populated '"$d"
    kv cgroup_kill_gone_s "$(secs_between "$t0" "$(now_ms)")"
    killer_stop headroom
}

# ---- main ----
# The image leaves the anchors disabled, but the oomd socket can still come up (the user
# manager's varlink connection activates it): none of them may run outside its own runs.
active_at_boot=
for u in systemd-oomd.service systemd-oomd.socket earlyoom.service; do
    systemctl -q is-active "$u" && active_at_boot+=" $u"
done
systemctl stop systemd-oomd.service systemd-oomd.socket earlyoom.service 2>/dev/null
echo 3 >/proc/sys/vm/drop_caches
sleep 2
BASELINE_MIB=$(mem_avail_mib)
echo "baseline MemAvailable $BASELINE_MIB MiB"
{ echo "baseline_mib=$BASELINE_MIB"; echo "uname=$(uname -r)"; echo "systemd=$(systemctl --version | head -n 1)";
  echo "earlyoom_version=$(earlyoom -v 2>&1 | head -n 1)"; echo "earlyoom_args=$(grep -h '^EARLYOOM_ARGS' /etc/default/earlyoom 2>/dev/null)";
  echo "mem_total_mib=$(( $(meminfo_kib MemTotal) / 1024 ))"; echo "cpus=$(nproc)"; echo "active_at_boot=$active_at_boot"; } >"$LAB_OUT/boot.kv"
for k in ${BENCH_IDLE:-}; do idle_one "$k"; done
for item in ${BENCH_PLAN:-}; do
    IFS=: read -r idx killer workload <<<"$item"
    run_one "$idx" "$killer" "$workload"
done
[ "${BENCH_SCALE:-0}" = 1 ] && scale_run
exit 0
