# Helpers for lab scenario scripts. Source it:  . "$LAB_REPO/lab/guest/lib.sh"
# Scenario scripts run in the guest as root (from lab-run.service, oom_score_adj 0), with
# the repository read-only at $LAB_REPO (/mnt/share) and a writable $LAB_OUT (/mnt/out)
# that the host harness reads back. Variables passed by the host are already exported.

LAB_USER=lab
LAB_UID=1000
LAB_USER_CG=/sys/fs/cgroup/user.slice/user-$LAB_UID.slice/user@$LAB_UID.service
LAB_OUT=${LAB_OUT:-/mnt/out}
LAB_REPO=${LAB_REPO:-/mnt/share}

# Run a command as the lingering user with what `systemctl --user` and
# `systemd-run --user` need. No logind session is opened (runuser's PAM stack is
# non-interactive), so the process stays in lab-run.service until it is moved, e.g. by
# `systemd-run --user --scope`, which then asks PID 1 to migrate it.
as_lab() {
    runuser -u "$LAB_USER" -- env -i \
        HOME=/home/$LAB_USER USER=$LAB_USER LOGNAME=$LAB_USER \
        PATH=/usr/local/bin:/usr/bin:/bin \
        XDG_RUNTIME_DIR=/run/user/$LAB_UID \
        DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/$LAB_UID/bus \
        "$@"
}

# Seconds since boot, for timestamps comparable with the console log.
lab_uptime() { cut -d' ' -f1 /proc/uptime; }

# ---- Pace: budgets from measured progress, not fixed seconds ----
# Under TCG the guest runs as fast as the host lets it: on a loaded host everything takes
# longer, and a scenario must fail only when an effect is missing, not because it came late.
# lab_measure_pace compares this boot with the lab on an idle host: its uptime when the script
# starts (the boot's own pace) and a fixed piece of shell work. LAB_PACE_PCT (100 = as fast as
# idle, never less, at most LAB_MAX_PACE_PCT) scales every budget: wait_until's timeouts,
# wait_progressing, and observation windows (paced_sleep). Each measurement is appended to
# $LAB_OUT/pace.txt, where the host harness reads it to stretch the boot's own limit
# (lab/guest.ts).
LAB_REF_BOOT_S=15        # uptime at the script's start, idle host: 11.9-12.2 s measured (24-25 s beside stress-ng --cpu 2), plus slack
LAB_REF_WORK_MS=110      # lab_work_ms, idle host: 89-90 ms measured (122-143 ms beside stress-ng), plus slack
LAB_REF_NODE_MS=1200     # lab_node_ms, idle host: 964-1033 ms measured (1389-1485 ms beside stress-ng), plus slack
LAB_MAX_PACE_PCT=400
LAB_PACE_PCT=${LAB_PACE_PCT:-100}

# lab_work_ms: milliseconds for a fixed shell loop, the median of three (one run alone can
# catch a lucky moment, or an unlucky one).
lab_work_ms() {
    local t0 i r runs=()
    for r in 1 2 3; do
        t0=$(date +%s%3N)
        i=0
        while [ "$i" -lt 1500 ]; do i=$((i + 1)); done
        runs+=($(( $(date +%s%3N) - t0 )))
    done
    printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p
}

# lab_node_ms: milliseconds for `node -e 0`. Node's start-up is what the scenarios wait on
# most (every CLI call, the agent, the monitor), and under TCG it slows with the host's load
# where a tight shell loop hardly does (A-busy: the loop read idle while the boot took twice
# as long). Measured at the boot only: it costs a few seconds.
lab_node_ms() {
    local t0
    t0=$(date +%s%3N)
    node -e 0 || return 1
    echo $(( $(date +%s%3N) - t0 ))
}

# lab_measure_pace [boot]: measure again and set LAB_PACE_PCT. With "boot", the boot's own
# uptime counts too (only meaningful right at the script's start). The pace only grows: a
# budget stretched once stays stretched (budgets matter only when an effect is late, and a
# load that eased may come back).
lab_measure_pace() {
    local work pct boot_pct up node= node_pct=
    work=$(lab_work_ms)
    pct=$(( work * 100 / LAB_REF_WORK_MS ))
    up=$(cut -d' ' -f1 /proc/uptime)
    if [ "${1:-}" = boot ]; then
        boot_pct=$(( ${up%.*} * 100 / LAB_REF_BOOT_S ))
        [ "$boot_pct" -gt "$pct" ] && pct=$boot_pct
        node=$(lab_node_ms) && node_pct=$(( node * 100 / LAB_REF_NODE_MS ))
        [ "${node_pct:-0}" -gt "$pct" ] && pct=$node_pct
    fi
    [ "$pct" -lt "$LAB_PACE_PCT" ] && pct=$LAB_PACE_PCT
    [ "$pct" -gt "$LAB_MAX_PACE_PCT" ] && pct=$LAB_MAX_PACE_PCT
    LAB_PACE_PCT=$pct
    echo "pace_pct=$pct work_ms=$work${node:+ node_ms=$node} uptime=$up${1:+ at=$1}" >>"$LAB_OUT/pace.txt"
}

# paced S: S whole seconds stretched by the pace (rounded up).
paced() { echo $(( ($1 * LAB_PACE_PCT + 99) / 100 )); }

# paced_sleep S: an observation window ("no second kill came in S seconds"), stretched.
paced_sleep() { sleep "$(paced "$1")"; }

# wait_until TIMEOUT_S CMD...: poll CMD every 0.1 s; status 0 once it succeeds. The timeout
# is stretched by the pace.
wait_until() {
    local deadline=$(( $(date +%s) + $(paced "$1") )); shift
    until "$@"; do
        [ "$(date +%s)" -ge "$deadline" ] && return 1
        sleep 0.1
    done
}

# cpu_ticks PID: user + system clock ticks the process has used (empty once it is gone). The
# fields are counted after the last ')', since the command name may hold spaces.
cpu_ticks() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    set -- $stat
    echo $(( ${12} + ${13} ))
}

# wait_progressing PID STALL_S CAP_S CMD...: wait until CMD succeeds. On a busy host a slow
# process is not a broken one: give up early only when PID has exited or has used no CPU at
# all for STALL_S seconds, and otherwise only at the generous CAP_S.
wait_progressing() {
    local pid=$1 stall=$2 cap=$3 ticks last=-1 moved deadline
    shift 3
    stall=$(paced "$stall")
    deadline=$(( $(date +%s) + $(paced "$cap") ))
    moved=$(date +%s)
    until "$@"; do
        ticks=$(cpu_ticks "$pid") || { "$@"; return; }
        if [ "$ticks" != "$last" ]; then last=$ticks; moved=$(date +%s); fi
        [ $(( $(date +%s) - moved )) -ge "$stall" ] && return 1
        [ "$(date +%s)" -ge "$deadline" ] && return 1
        sleep 0.2
    done
}

# zram_swap SIZE: a zram swap device of SIZE (e.g. 2G); prints the device.
zram_swap() {
    modprobe zram || return 1
    local dev
    dev=$(zramctl --find --size "$1") || return 1
    mkswap -q "$dev" >/dev/null || return 1
    swapon "$dev" || return 1
    echo "$dev"
}

# zram_swap_off DEV
zram_swap_off() { swapoff "$1" && zramctl --reset "$1"; }
