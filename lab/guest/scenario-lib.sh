# Helpers for the end-to-end scenarios (scenarios.sh): the agent as the user's service, apps
# in scopes, the monitor, storms, reports. Source after lib.sh. Runs as root in the guest.

HR=$LAB_REPO/bin/headroom
FIX=$LAB_REPO/dist/test/fixtures/bin
LAB_HOME=/home/$LAB_USER
APP_SLICE=$LAB_USER_CG/app.slice
RUN_DIR=/run/headroom-lab
mkdir -p "$RUN_DIR" && chmod 0777 "$RUN_DIR"

hr() { as_lab "$HR" "$@"; }
now_ms() { date +%s%3N; }
mib() { awk -v b="${1:-0}" 'BEGIN { printf "%.0f", b / 1048576 }'; }
secs_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }
meminfo_kib() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }

# ---- reports: $LAB_OUT/scenario-NAME.txt, key=value lines ending in result=PASS|FAIL ----
SCEN=
REPORT=
SCEN_FAILED=0
rec() {
    local up _
    read -r up _ </proc/uptime
    echo "$1=$2" >>"$REPORT"
    echo "[$up $SCEN] $1=$2"
}
pass() { rec "$1" ok; }
fail() { rec "$1" FAIL; SCEN_FAILED=$((SCEN_FAILED + 1)); }
# check NAME CMD...: NAME=ok if CMD succeeds, else NAME=FAIL
check() { local n=$1; shift; if "$@"; then pass "$n"; else fail "$n"; fi; }
# expect NAME ACTUAL WANTED: NAME=ok, or NAME=FAIL plus NAME_got=ACTUAL
expect() {
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1"; rec "$1_got" "$2"; rec "$1_wanted" "$3"; fi
}
# expect_match NAME ACTUAL ERE
expect_match() {
    if [[ $2 =~ $3 ]]; then pass "$1"; else fail "$1"; rec "$1_got" "$2"; rec "$1_wanted" "/$3/"; fi
}
SCEN_STARTED_MS=0
scen_begin() {
    SCEN=$1
    REPORT=$LAB_OUT/scenario-$1.txt
    SCEN_FAILED=0
    SCEN_STARTED_MS=$(now_ms)
    : >"$REPORT"
    echo "=== scenario $1 ($(lab_uptime) s)"
    rec scenario "$1"
    rec uptime_at_start "$(lab_uptime)"
}
scen_end() {
    rec scenario_seconds "$(secs_between "$SCEN_STARTED_MS" "$(now_ms)")"
    if [ "$SCEN_FAILED" -eq 0 ]; then rec result PASS; else rec failed_checks "$SCEN_FAILED"; rec result FAIL; fi
    echo "=== scenario $SCEN: $([ "$SCEN_FAILED" -eq 0 ] && echo PASS || echo FAIL)"
    [ "$SCEN_FAILED" -eq 0 ]
}

# ---- JSON (python3 is in the image) ----
# jpy EXPR: print EXPR evaluated with o = the JSON on stdin and E = the environment.
jpy() {
    python3 -c '
import json, os, sys
try:
    o = json.load(sys.stdin)
except ValueError:
    sys.exit(1)
E = os.environ
r = eval(sys.argv[1])
print(str(r).lower() if isinstance(r, bool) else r)' "$1"
}
# mon_event FILE EVENT [N]: the Nth (default first) line of that event in a monitor file
mon_event() { grep -F "\"event\":\"$2\"" "$1" 2>/dev/null | sed -n "${3:-1}p"; }
mon_count() { grep -cF "\"event\":\"$2\"" "$1" 2>/dev/null; }
# kill_vars: K_* shell assignments from a {"event":…,"kill":{…}} line on stdin
kill_vars() {
    python3 -c '
import json, shlex, sys
k = json.load(sys.stdin).get("kill", {})
for f in ("id", "unit", "appId", "displayName", "reason", "because", "outcome", "dryRun",
          "memAvailableBytes", "swapFreeBytes", "fullAvg10", "someAvg10", "fullRecentPct", "atMs",
          "memoryFreedBytes", "swapFreedBytes", "processCount", "processesLeft", "graceMs", "durationMs",
          "childPid", "childKind"):
    v = k.get(f, "")
    print("K_%s=%s" % (f, shlex.quote(str(v).lower() if isinstance(v, bool) else str(v))))
c = " ".join("%s:%s:%dMiB%s" % (x.get("unit"), x.get("preference"), (x.get("memoryBytes", 0) + x.get("swapBytes", 0)) // 1048576,
             ":" + x["excluded"] if x.get("excluded") else "") for x in k.get("candidates", []))
print("K_candidates=%s" % shlex.quote(c))'
}
# record_kill PREFIX LINE T0_MS: the key figures of one Killed/WouldKill record
record_kill() {
    local line=$2 t0=$3
    unset "${!K_@}"
    eval "$(printf '%s\n' "$line" | kill_vars)" || return 1
    rec "$1_unit" "$K_unit"
    rec "$1_app_id" "$K_appId"
    rec "$1_reason" "$K_reason"
    rec "$1_because" "$K_because"
    rec "$1_outcome" "$K_outcome"
    rec seconds_to_kill "$(secs_between "$t0" "$K_atMs")"
    rec mem_available_mib_at_kill "$(mib "$K_memAvailableBytes")"
    rec swap_free_mib_at_kill "$(mib "$K_swapFreeBytes")"
    rec full_avg10_at_kill "$K_fullAvg10"
    rec some_avg10_at_kill "$K_someAvg10"
    rec full_recent_pct_at_kill "$K_fullRecentPct"
    rec victim_mib "$(mib "$K_memoryFreedBytes")"
    rec victim_swap_mib "$(mib "$K_swapFreedBytes")"
    rec kill_grace_ms "$K_graceMs"
    rec kill_duration_ms "$K_durationMs"
    rec kill_processes "$K_processCount/$K_processesLeft left"
    rec candidates "$K_candidates"
}

# ---- the agent as the user's service ----
AGENT_UNIT=headroom-agent.service
agent_main_pid() { as_lab systemctl --user show -P MainPID "$AGENT_UNIT" 2>/dev/null; }
agent_active() { as_lab systemctl --user -q is-active "$AGENT_UNIT"; }
bus_owner_pid() { as_lab busctl --user status org.headroom.Agent1 2>/dev/null | sed -n 's/^PID=//p'; }
agent_on_bus() { [ -n "$(bus_owner_pid)" ]; }
# Properties straight from the bus (busctl is C: a CLI call costs ~10 s of Node start-up under TCG)
agent_prop() {
    as_lab busctl --user get-property org.headroom.Agent1 /org/headroom/Agent1 org.headroom.Agent1 "$1" 2>/dev/null |
        sed -e 's/^[a-z] //' -e 's/^"\(.*\)"$/\1/'
}
agent_state() { agent_prop State; }
agent_ready() { agent_active && agent_on_bus; }

# ---- apps: each launched as lab in the background; its PID (the app's own: headroom run
# and systemd-run --scope exec) goes to $RUN_DIR/NAME.pid, its output to $LAB_OUT/app-NAME.out
# app_start NAME CMD...
app_start() {
    local name=$1; shift
    rm -f "$RUN_DIR/$name.pid"
    as_lab sh -c 'echo $$ >"$0"; exec "$@"' "$RUN_DIR/$name.pid" "$@" >"$LAB_OUT/app-$name.out" 2>&1 &
}
app_pid() { cat "$RUN_DIR/$1.pid" 2>/dev/null; }
app_ready() { grep -q '^ready' "$LAB_OUT/app-$1.out" 2>/dev/null; }
# app_unit NAME: the unit the app's PID is in (from /proc), empty once it is gone
app_unit() {
    local pid
    pid=$(app_pid "$1") || return 1
    [ -n "$pid" ] || return 1
    sed -n 's|^0::.*/\([^/]*\)$|\1|p' "/proc/$pid/cgroup" 2>/dev/null
}
unit_dir() { find "$LAB_USER_CG" -type d -name "$1" -print -quit 2>/dev/null; }
# unit_populated UNIT: the unit's cgroup exists and has processes
unit_populated() {
    local d
    d=$(unit_dir "$1")
    [ -n "$d" ] && grep -q '^populated 1' "$d/cgroup.events" 2>/dev/null
}
unit_gone() { ! unit_populated "$1"; }
unit_kill() { local d; d=$(unit_dir "$1"); [ -n "$d" ] && echo 1 >"$d/cgroup.kill" 2>/dev/null; }
# wait_app NAME TIMEOUT: until the app printed ready and sits in its own app-* unit
wait_app() {
    wait_until "$2" app_ready "$1" || return 1
    wait_scope "$1" 10
}
# stop every app unit in the user tree (cgroup.kill as root) and wait until they are gone
stop_all_apps() {
    local d
    for d in $(find "$LAB_USER_CG" -type d -name 'app-*' 2>/dev/null); do
        echo 1 >"$d/cgroup.kill" 2>/dev/null
    done
    wait_until 30 no_apps_running
}
no_apps_running() {
    local d
    for d in $(find "$LAB_USER_CG" -type d -name 'app-*' 2>/dev/null); do
        grep -q '^populated 1' "$d/cgroup.events" 2>/dev/null && return 1
    done
    return 0
}

# ---- the monitor (`headroom monitor --json` as lab), one per scenario ----
MON_FILE=
# monitor_launch NAME [guard]: start it in the background; with "guard", its lines also go
# through dry_run_guard. monitor_ready: wait for its Ready line.
monitor_launch() {
    MON_FILE=$LAB_OUT/monitor-$1.jsonl
    : >"$MON_FILE"
    rm -f "$RUN_DIR/guard-target" "$RUN_DIR/guard-result"
    if [ "${2:-}" = guard ]; then
        as_lab sh -c 'echo $$ >"$0"; exec "$1" monitor --json' "$RUN_DIR/monitor.pid" "$HR" 2>"$LAB_OUT/monitor-$1.err" |
            tee "$MON_FILE" | dry_run_guard &
    else
        as_lab sh -c 'echo $$ >"$0"; exec "$1" monitor --json' "$RUN_DIR/monitor.pid" "$HR" >"$MON_FILE" 2>"$LAB_OUT/monitor-$1.err" &
    fi
}
# dry_run_guard: reads monitor lines; at the first WouldKill it notes whether the cgroup named
# in $RUN_DIR/guard-target is populated ("alive"/"gone", then epoch ms) in guard-result, and
# kills it at once: in dry-run nobody else will, and the hog has a second or two of memory left.
dry_run_guard() {
    local line dir
    while IFS= read -r line; do
        case $line in
        *'"event":"WouldKill"'*)
            dir=$(cat "$RUN_DIR/guard-target" 2>/dev/null)
            if [ -n "$dir" ]; then
                if grep -q '^populated 1' "$dir/cgroup.events" 2>/dev/null; then echo alive; else echo gone; fi >"$RUN_DIR/guard-result"
                echo 1 >"$dir/cgroup.kill" 2>/dev/null
                date +%s%3N >>"$RUN_DIR/guard-result"
            fi
            break ;;
        esac
    done
    cat >/dev/null
}
# Ready as soon as the monitor says so; a monitor that is still starting (Node under TCG on a
# loaded host took over 90 s) is waited for as long as it makes progress (wait_progressing).
monitor_ready() {
    local pid
    wait_until 60 test -s "$RUN_DIR/monitor.pid" || return 1
    pid=$(cat "$RUN_DIR/monitor.pid")
    wait_progressing "$pid" 30 600 grep -qF '"event":"Ready"' "$MON_FILE"
}
monitor_stop() {
    local pid
    pid=$(cat "$RUN_DIR/monitor.pid" 2>/dev/null) && [ -n "$pid" ] && kill "$pid" 2>/dev/null
    rm -f "$RUN_DIR/monitor.pid"
}

# ---- the kernel's OOM killer ----
OOM_RE='Out of memory|oom-kill|invoked oom-killer|Killed process'
# kernel_oom_since UPTIME: kernel OOM lines (dmesg and journalctl -k) since that uptime
kernel_oom_since() {
    { dmesg 2>/dev/null; journalctl -k -b --no-pager -o short-monotonic 2>/dev/null; } |
        sed -E 's/^(\[[^]]*\]) [^ ]+ kernel: /\1 /' |
        awk -v s="$1" -v re="$OOM_RE" '{ t = $0; sub(/^\[ */, "", t); sub(/\].*/, "", t); if (t + 0 >= s && $0 ~ re) print }' |
        sort -u
}
# record_kernel_oom SINCE: kernel_oom=yes|no (lines saved to $LAB_OUT/kernel-oom-SCEN.txt)
record_kernel_oom() {
    local lines
    lines=$(kernel_oom_since "$1")
    if [ -n "$lines" ]; then
        printf '%s\n' "$lines" >"$LAB_OUT/kernel-oom-$SCEN.txt"
        rec kernel_oom yes
        rec kernel_oom_first "$(printf '%s\n' "$lines" | head -n 1)"
    else
        rec kernel_oom no
    fi
}

# ---- storms ----
# wait_for_event EVENT UNIT TIMEOUT: until the monitor shows EVENT, or UNIT has emptied without
# it (then 15 s more for a late signal), or TIMEOUT s. Prints how it ended.
wait_for_event() {
    local event=$1 dir deadline=$(( $(date +%s) + $(paced "$3") )) gone_at=
    dir=$(unit_dir "$2")
    while :; do
        grep -qF "\"event\":\"$event\"" "$MON_FILE" 2>/dev/null && { echo event; return 0; }
        if [ -z "$gone_at" ] && ! grep -q '^populated 1' "$dir/cgroup.events" 2>/dev/null; then gone_at=$(date +%s); fi
        [ -n "$gone_at" ] && [ "$(date +%s)" -ge $((gone_at + $(paced 15))) ] && { echo unit-gone-without-event; return 1; }
        [ "$(date +%s)" -ge "$deadline" ] && { echo timeout; return 1; }
        sleep 0.1
    done
}
# memory back to normal after a storm: no app left, MemAvailable ≥ 60 % of RAM, agent calm
settle() {
    stop_all_apps || echo "settle: app units still populated"
    wait_until 60 eval '[ $(( $(meminfo_kib MemAvailable) * 100 / $(meminfo_kib MemTotal) )) -ge 60 ]' ||
        echo "settle: MemAvailable only $(meminfo_kib MemAvailable) kB"
    wait_until 30 eval '[ "$(agent_state)" = calm ]' || echo "settle: agent state $(agent_state)"
}
# snapshot of figures for the report before a storm
record_baseline() {
    rec mem_total_mib "$(( $(meminfo_kib MemTotal) / 1024 ))"
    rec mem_available_mib_before "$(( $(meminfo_kib MemAvailable) / 1024 ))"
    rec swap_total_mib "$(( $(meminfo_kib SwapTotal) / 1024 ))"
    rec agent_state_before "$(agent_state)"
}
# agent_log: the agent's journal lines of this boot (its identifier is "headroom")
agent_log() { journalctl -b --no-pager -o short-monotonic _SYSTEMD_USER_UNIT="$AGENT_UNIT" 2>/dev/null; }
# gate_file NAME: a storm's hog waits in its scope for this file before it starts allocating,
# so its launcher's Node start-up overlaps the monitor's and the other apps'.
gate_file() { echo "$RUN_DIR/go-$1"; }
# wait_scope NAME TIMEOUT: until the app's PID sits in an app-* unit
wait_scope() { wait_until "$2" eval '[[ "$(app_unit '"$1"')" == app-* ]]'; }
GATE_SH='while [ ! -e "$0" ]; do sleep 0.1; done; exec node "$@"'
# hog_go NAME: open the gate; sets T0 (epoch ms, "hog start") and OOM_SINCE (uptime)
hog_go() { OOM_SINCE=$(lab_uptime); T0=$(now_ms); touch "$(gate_file "$1")"; }

# first_alert_pct FILE: MemAvailable (% of RAM) when the agent left "calm" on its way to the
# first Killed/WouldKill (the start of the unbroken run of non-calm states before it), and
# that state; "100 awake" if the monitor never saw it calm before the kill
first_alert_pct() {
    python3 -c '
import json, sys
alert, seen = None, False
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    try:
        o = json.loads(line)
    except ValueError:
        continue
    if o.get("event") in ("Killed", "WouldKill"):
        break
    if o.get("event") != "StateChanged":
        continue
    seen = True
    if o.get("state") == "calm":
        alert = None
    elif alert is None:
        p = o["pressure"]
        alert = "%.1f %s" % (100.0 * p["memAvailableBytes"] / p["memTotalBytes"], o["state"])
print(alert if alert is not None else ("-1 calm" if seen else "100 awake"))' "$1"
}

# ---- a real notification server: dunst on Xvfb, as the user (lab scenarios notify and pause,
# bench workload pause); what it is sent is kept in $LAB_OUT/notify-wire.txt ----
# In the user's home: /run is mounted noexec, and dunst must execute the dmenu script.
NOTIFY_DIR=/home/$LAB_USER/.cache/headroom-lab-notify
notify_server_start() {
    mkdir -p "$NOTIFY_DIR" /tmp/.X11-unix && chown "$LAB_USER" "$NOTIFY_DIR" && chmod 1777 /tmp/.X11-unix
    # dunst's context menu runs "dmenu" with the action lines on stdin; this one picks the
    # line holding the text in $NOTIFY_DIR/pick, as a user clicking it would.
    printf '#!/bin/sh\ncat >"%s/menu"\ngrep -F -- "$(cat "%s/pick")" "%s/menu" | head -n 1\n' "$NOTIFY_DIR" "$NOTIFY_DIR" "$NOTIFY_DIR" >"$NOTIFY_DIR/dmenu.sh"
    chmod 0755 "$NOTIFY_DIR/dmenu.sh"
    printf '[global]\ndmenu = %s\nhistory_length = 50\n[urgency_critical]\ntimeout = 0\n[urgency_normal]\ntimeout = 0\n' "$NOTIFY_DIR/dmenu.sh" >"$NOTIFY_DIR/dunstrc"
    as_lab systemd-run --user --quiet --collect --slice=session.slice --unit=lab-xvfb Xvfb :9 -screen 0 1024x768x24 -nolisten tcp
    wait_until 30 test -S /tmp/.X11-unix/X9 || return 1
    as_lab systemd-run --user --quiet --collect --slice=session.slice --unit=lab-dunst --setenv=DISPLAY=:9 dunst -config "$NOTIFY_DIR/dunstrc"
    wait_until 30 eval 'as_lab busctl --user status org.freedesktop.Notifications >/dev/null 2>&1' || return 1
    # What the server is sent, off the wire (the same user may monitor its own bus).
    as_lab sh -c 'echo $$ >"$0"; exec dbus-monitor --session "type=method_call,interface=org.freedesktop.Notifications,member=Notify"' \
        "$RUN_DIR/wire.pid" >"$LAB_OUT/notify-wire.txt" 2>&1 &
    sleep 1
}
notify_server_stop() {
    kill "$(cat "$RUN_DIR/wire.pid" 2>/dev/null)" 2>/dev/null
    as_lab systemctl --user stop lab-dunst.service lab-xvfb.service 2>/dev/null
}
