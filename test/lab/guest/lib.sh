# Helpers for lab scenario scripts. Source it:  . "$LAB_REPO/test/lab/guest/lib.sh"
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

# wait_until TIMEOUT_S CMD...: poll CMD every 0.1 s; status 0 once it succeeds.
wait_until() {
    local deadline=$(( $(date +%s) + $1 )); shift
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
    deadline=$(( $(date +%s) + cap ))
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
