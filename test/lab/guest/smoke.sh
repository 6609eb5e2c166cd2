#!/bin/bash
# Lab smoke test, run in the guest as root by lab-run.service. Proves the guest has what
# Headroom's kill path relies on. Writes key=value lines to $LAB_OUT/smoke.txt, ending in
# result=PASS or result=FAIL, and exits non-zero if any check failed.
set -u
. "${LAB_REPO:-/mnt/share}/lab/guest/lib.sh"

report=$LAB_OUT/smoke.txt
: >"$report"
failed=0
rec() { echo "$1=$2" | tee -a "$report"; }
# check NAME CMD...: run CMD, record NAME=ok or NAME=FAIL.
check() {
    local name=$1; shift
    if "$@"; then rec "$name" ok; else rec "$name" FAIL; failed=$((failed + 1)); fi
}

rec uptime_at_smoke_start "$(lab_uptime)"
lab_measure_pace boot
rec pace_pct "$LAB_PACE_PCT"
rec kernel "$(uname -r)"
rec systemd "$(systemctl --version | head -n 1)"
rec cmdline "$(cat /proc/cmdline)"

# 1. cgroup v2 and PSI
check cgroup2_mounted test -f /sys/fs/cgroup/cgroup.controllers
rec cgroup_fs "$(stat -f -c %T /sys/fs/cgroup)"
rec root_controllers "$(cat /sys/fs/cgroup/cgroup.controllers 2>/dev/null)"
check psi_memory_readable grep -q '^some avg10=' /proc/pressure/memory
rec psi_memory "$(tr '\n' ' ' </proc/pressure/memory 2>/dev/null)"

# 2. The lingering user's manager, with memory delegated
check user_manager_active systemctl -q is-active user@$LAB_UID.service
rec user_manager_controllers "$(cat "$LAB_USER_CG/cgroup.controllers" 2>/dev/null)"
check user_manager_memory_delegated grep -qw memory "$LAB_USER_CG/cgroup.controllers"
rec user_manager_owner "$(stat -c %U "$LAB_USER_CG/app.slice" 2>/dev/null)"
rec systemctl_user_state "$(as_lab systemctl --user is-system-running 2>&1)"
check systemctl_user_works as_lab systemctl --user -q is-active default.target
rec oom_score_adj_user_manager "$(cat /proc/"$(systemctl show -P MainPID user@$LAB_UID.service)"/oom_score_adj)"

# 3. oom_score_adj of the user's processes must never be negative (see lab/README.md, Pitfalls).
adj_runner=$(as_lab cat /proc/self/oom_score_adj)
rec oom_score_adj_as_lab "$adj_runner"
check oom_score_adj_as_lab_nonnegative test "${adj_runner:--1}" -ge 0
adj_scope=$(as_lab systemd-run --user --scope --quiet cat /proc/self/oom_score_adj)
rec oom_score_adj_in_user_scope "$adj_scope"
check oom_score_adj_in_user_scope_nonnegative test "${adj_scope:--1}" -ge 0

# 4. A transient scope under app.slice, and the user killing it through cgroup.kill
unit=app-headroom-smoke-0123456789abcdef.scope
scope=$LAB_USER_CG/app.slice/$unit
as_lab systemd-run --user --scope --quiet --unit="$unit" sleep 300 &
runuser_pid=$!
# (cgroupfs files always stat as size 0: read them, never test -s)
scope_populated() { [ -n "$(cat "$scope/cgroup.procs" 2>/dev/null)" ]; }
check scope_created wait_until 20 scope_populated
rec scope_procs "$(tr '\n' ' ' <"$scope/cgroup.procs" 2>/dev/null)"
rec scope_cgroup_owner "$(stat -c %U "$scope" 2>/dev/null)"
rec scope_unit_state "$(as_lab systemctl --user is-active "$unit" 2>&1)"
check lab_writes_cgroup_kill as_lab sh -c "echo 1 >'$scope/cgroup.kill'"
scope_empty() { [ -z "$(cat "$scope/cgroup.procs" 2>/dev/null)" ]; }
check scope_emptied wait_until 20 scope_empty
wait "$runuser_pid" 2>/dev/null
rec scope_runuser_status "$?"
rec scope_cgroup_exists_after "$( [ -d "$scope" ] && echo yes || echo no)"
rec scope_unit_state_after "$(as_lab systemctl --user is-active "$unit" 2>&1)"

# 5. Unprivileged PSI triggers (kernel 6.1 wants window a multiple of 2 s unless root)
psi_arm() { # FILE "some|full STALL_US WINDOW_US" -> prints armed or the error
    as_lab python3 - "$1" "$2" <<'PY'
import os, select, sys
path, spec = sys.argv[1], sys.argv[2]
try:
    fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
    os.write(fd, spec.encode() + b"\0")
    p = select.poll()
    p.register(fd, select.POLLPRI)
    p.poll(0)
    print("armed")
except OSError as e:
    print(f"{type(e).__name__}:{os.strerror(e.errno) if e.errno else e}")
    sys.exit(1)
PY
}
check psi_trigger_system_2s psi_arm /proc/pressure/memory "some 150000 2000000"
rec psi_trigger_system_1s "$(psi_arm /proc/pressure/memory "some 150000 1000000" 2>&1)"
rec psi_trigger_app_slice_2s "$(psi_arm "$LAB_USER_CG/app.slice/memory.pressure" "some 150000 2000000" 2>&1)"
rec psi_trigger_user_manager_2s "$(psi_arm "$LAB_USER_CG/memory.pressure" "some 150000 2000000" 2>&1)"

# 6. The project's node runs as the user; the user manager can run a service
node_version=$(as_lab /usr/bin/node --version 2>&1)
rec node_version "$node_version"
check node_runs test "${node_version#v}" != "$node_version"
check systemd_run_user_service as_lab systemd-run --user --wait --quiet --unit=headroom-smoke-svc true
rec oom_score_adj_in_user_service "$(as_lab systemd-run --user --wait --pipe --quiet cat /proc/self/oom_score_adj 2>&1)"
# Informational: the other way in, root reaching the user manager directly (systemd >= 248).
rec systemd_run_machine_lab_at "$(timeout 30 systemd-run --user --machine=lab@ --wait --pipe --quiet id -un 2>&1 | tr '\n' ' ')"

# 7. zram swap (scenarios with swap need it)
if dev=$(zram_swap 256M); then
    rec zram_device "$dev"
    check zram_swap_on grep -q "^$dev " /proc/swaps
    zram_swap_off "$dev"
else
    rec zram_swap_on FAIL; failed=$((failed + 1))
fi

rec uptime_at_smoke_end "$(lab_uptime)"
if [ "$failed" -eq 0 ]; then rec result PASS; else rec failed_checks "$failed"; rec result FAIL; fi
[ "$failed" -eq 0 ]
