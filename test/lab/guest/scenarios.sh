#!/bin/bash
# End-to-end scenarios, run in the guest as root by lab-run.service (see test/lab/README.md,
# "Scenarios"). $LAB_SCENARIOS names the scenarios of this boot, in order, e.g.
# "install gnome restart dryrun". Each writes $LAB_OUT/scenario-NAME.txt (key=value lines
# ending in result=PASS or result=FAIL); the script exits non-zero if any failed.
#
# Under TCG every `headroom` CLI call costs ~10 s of Node start-up, so the scenarios call the
# CLI only where the CLI is what is checked, start the monitor and the apps in parallel, and
# poll the agent's properties with busctl.
set -u
. "${LAB_REPO:-/mnt/share}/lab/guest/lib.sh"
. "$LAB_REPO/lab/guest/scenario-lib.sh"

# The hog: 64 MiB, then 32 MiB every 100 ms (under TCG it manages ~30-70 MiB/s, so 2 GiB of
# RAM is gone in well under a minute). A storm the agent does not stop ends in a kernel OOM
# kill well within these timeouts.
HOG_ARGS=(64 32 100)
STORM_TIMEOUT_S=150
ZRAM_STORM_TIMEOUT_S=240
APPS_TIMEOUT_S=120            # parallel Node start-ups of the monitor and 2-3 launchers

# ---- 1. the agent installed as the user's service from assets/ ----
scenario_install() {
    scen_begin install
    local dir=$LAB_HOME/.config/systemd/user t0 pid owner
    as_lab mkdir -p "$dir"
    sed "s|^ExecStart=/usr/bin/headroom |ExecStart=$LAB_REPO/bin/headroom |" "$LAB_REPO/assets/headroom-agent.service" |
        as_lab tee "$dir/$AGENT_UNIT" >/dev/null
    check unit_installed grep -q "^ExecStart=$LAB_REPO/bin/headroom agent\$" "$dir/$AGENT_UNIT"
    as_lab systemctl --user daemon-reload
    t0=$(now_ms)
    check enable_now as_lab timeout 120 systemctl --user enable --now "$AGENT_UNIT"
    rec start_seconds "$(secs_between "$t0" "$(now_ms)")"
    check is_active agent_active
    check is_enabled as_lab systemctl --user -q is-enabled "$AGENT_UNIT"
    pid=$(agent_main_pid)
    owner=$(bus_owner_pid)
    rec main_pid "$pid"
    rec bus_owner_pid "$owner"
    check owns_bus_name test -n "$owner"
    expect bus_owner_is_main_pid "$owner" "$pid"
    rec agent_cgroup "$(sed -n 's/^0:://p' "/proc/$pid/cgroup" 2>/dev/null)"
    check agent_in_session_slice grep -q "/session.slice/$AGENT_UNIT\$" "/proc/$pid/cgroup"
    rec agent_oom_score_adj "$(cat "/proc/$pid/oom_score_adj" 2>/dev/null)"
    expect_match state_property "$(agent_state)" '^(calm|elevated|critical)$'
    expect dry_run_property "$(agent_prop DryRun)" false
    rec version "$(agent_prop Version)"
    scen_end
}

# Common start of every storm: the agent is up, nothing left from before, memory recovered.
storm_preflight() {
    if ! agent_ready; then
        fail agent_running
        return 1
    fi
    pass agent_running
    settle
    check no_apps_before no_apps_running
    record_baseline
}

# storm_watch EVENT HOG_UNIT TIMEOUT: wait for the event after hog_go, record how it ended
storm_watch() {
    local how
    how=$(wait_for_event "$1" "$2" "$3")
    rec storm_end "$how"
    rec storm_end_seconds "$(secs_between "$T0" "$(now_ms)")"
}

# storm_assert EVENT HOG_UNIT APP_ID OUTCOME: the assertions every storm shares (APP_ID may be
# empty: then it is only recorded)
storm_assert() {
    local event=$1 unit=$2 app=$3 outcome=$4 line alert hist
    line=$(mon_event "$MON_FILE" "$event")
    if [ -z "$line" ]; then
        fail "${event}_signal"
    else
        pass "${event}_signal"
        record_kill victim "$line" "$T0"
        expect victim_is_hog "$K_unit" "$unit"
        # An empty APP_ID: the scenario checks the app id itself (record_kill has recorded it).
        [ -z "$app" ] || expect victim_app_id "$K_appId" "$app"
        expect victim_outcome "$K_outcome" "$outcome"
        hist=$(hr history --json 2>&1)
        printf '%s\n' "$hist" >"$LAB_OUT/history-$SCEN.json"
        expect history_has_it "$(printf '%s' "$hist" | I="$K_id" jpy 'next((r["unit"] + " " + r["outcome"] for r in o if r["id"] == E["I"]), "")')" "$unit $outcome"
    fi
    # The agent must see the storm coming: out of "calm" while at least 4 % of RAM is left
    # (trigger (b) acts below 10 %; without swap PSI stays silent until the last MiB, so an
    # agent that waits for PSI while calm wakes too late, or never).
    alert=$(first_alert_pct "$MON_FILE")
    rec first_alert "${alert#* } at ${alert%% *}% MemAvailable"
    check alerted_before_4pct awk -v p="${alert%% *}" 'BEGIN { exit !(p >= 4) }'
    rec state_changes "$(mon_count "$MON_FILE" StateChanged)"
}

storm_assert_oom() {
    record_kernel_oom "$OOM_SINCE"
    expect kernel_oom_never_fired "$(kernel_oom_since "$OOM_SINCE" | wc -l)" 0
}

# ---- 2. / 3. storm: a hog beside an innocent app and an omitted one ----
storm() {
    local name=$1 fixture=$2 timeout=$3 innocent keeper hog
    storm_preflight || return
    monitor_launch "$name"
    app_start innocent "$HR" run --id innocent -- node "$FIX/hog.js" 64
    app_start keeper "$HR" run --omit --id keeper -- node "$FIX/hog.js" 200
    app_start hog "$HR" run --id hog -- sh -c "$GATE_SH" "$(gate_file hog)" "$FIX/$fixture" "${HOG_ARGS[@]}"
    check monitor_ready monitor_ready
    check innocent_started wait_app innocent "$APPS_TIMEOUT_S"
    check keeper_started wait_app keeper "$APPS_TIMEOUT_S"
    check hog_scope_started wait_scope hog "$APPS_TIMEOUT_S"
    innocent=$(app_unit innocent)
    keeper=$(app_unit keeper)
    hog=$(app_unit hog)
    rec innocent_unit "$innocent"
    rec keeper_unit "$keeper"
    rec hog_unit "$hog"
    expect_match hog_unit_name "$hog" '^app-headroom-hog-[0-9a-f]{16}\.scope$'
    hog_go hog
    storm_watch Killed "$hog" "$timeout"
    paced_sleep 2
    storm_assert Killed "$hog" hog killed
    check hog_gone wait_until 10 unit_gone "$hog"
    check innocent_survived unit_populated "$innocent"
    check keeper_survived unit_populated "$keeper"
    expect keeper_listed_as_omit "$(mon_event "$MON_FILE" Killed | U="$keeper" jpy 'next((c["preference"] + "/" + c["excluded"] for c in o["kill"]["candidates"] if c["unit"] == E["U"]), "")')" omit/omit
    expect one_kill_only "$(mon_count "$MON_FILE" Killed)" 1
    storm_assert_oom
    monitor_stop
    settle
}

scenario_storm() {
    scen_begin storm
    metrics_on
    storm storm hog.js "$STORM_TIMEOUT_S"
    journal_assert_kill
    metrics_assert_kill
    metrics_off
    scen_end
}

# ---- the engines admins already run: journald and node_exporter see the storm's kill ----
TEXTFILE_DIR=/var/lib/prometheus/node-exporter
NODE_EXPORTER_ADDR=127.0.0.1:9100
HR_CONFIG=$LAB_HOME/.config/headroom/config.toml
# metrics_on: the admin's textfile directory, writable by the user; the agent told of it
metrics_on() {
    install -d -m 2775 -g "$LAB_USER" "$TEXTFILE_DIR"
    as_lab mkdir -p "$(dirname "$HR_CONFIG")"
    printf '[metrics]\ntextfile_dir = "%s"\n' "$TEXTFILE_DIR" | as_lab tee "$HR_CONFIG" >/dev/null
    as_lab systemctl --user reload "$AGENT_UNIT"
    check metrics_file_written wait_until 30 test -s "$TEXTFILE_DIR/headroom-$LAB_UID.prom"
}
metrics_off() {
    rm -f "$HR_CONFIG"
    as_lab systemctl --user reload "$AGENT_UNIT"
}
# journal_assert_kill: the kill of the last record_kill (K_*) is in the journal as a structured
# entry of the agent's unit, with its MESSAGE_ID (read from the one place it is defined).
journal_assert_kill() {
    local id out=$LAB_OUT/journal-kill-$SCEN.json line
    id=$(sed -n "s/^  kill: '\([0-9a-f]\{32\}\)',.*/\1/p" "$LAB_REPO/agent/core/journal-entry.ts")
    rec journal_message_id "$id"
    # journald gives a user a journal file of their own only on persistent storage; the lab's is
    # volatile (files/journald.conf), so `journalctl --user` finds no file here and the same
    # entries are read from the system journal by the user's uid (the kernel vouches for _UID;
    # _SYSTEMD_USER_UNIT, read from /proc, is missing when logger exits before journald looks).
    wait_until 20 eval '[ -n "$(journalctl -b -q -o json MESSAGE_ID='"$id"' _UID='"$LAB_UID"' SYSLOG_IDENTIFIER=headroom)" ]'
    journalctl -b -q --no-pager -o json MESSAGE_ID="$id" _UID="$LAB_UID" SYSLOG_IDENTIFIER=headroom >"$out" 2>&1
    expect journal_kill_entries "$(grep -c . "$out")" 1
    line=$(head -n 1 "$out")
    expect journal_kill_fields "$(printf '%s' "$line" | jpy '" ".join(str(o.get(k, "-")) for k in ("PRIORITY", "_TRANSPORT", "SYSLOG_IDENTIFIER", "_UID", "HEADROOM_EVENT_ID", "HEADROOM_UNIT", "HEADROOM_APP_ID", "HEADROOM_REASON", "HEADROOM_OUTCOME"))')" \
        "4 journal headroom $LAB_UID $K_id $K_unit $K_appId $K_reason killed"
    expect_match journal_kill_freed "$(printf '%s' "$line" | jpy 'o.get("HEADROOM_FREED_BYTES", "")')" '^[1-9][0-9]{6,}$'
    rec journal_kill "$(printf '%s' "$line" | jpy 'json.dumps({k: v for k, v in sorted(o.items()) if k in ("MESSAGE", "MESSAGE_ID", "PRIORITY", "SYSLOG_IDENTIFIER", "_TRANSPORT", "_SYSTEMD_USER_UNIT", "_UID") or k.startswith("HEADROOM_")})')"
}
# metrics_assert_kill: Debian's node_exporter, on the textfile directory alone, serves the kill
metrics_assert_kill() {
    local out=$LAB_OUT/metrics-$SCEN.txt pid kills
    runuser -u prometheus -- prometheus-node-exporter --collector.disable-defaults --collector.textfile \
        --collector.textfile.directory="$TEXTFILE_DIR" --web.listen-address="$NODE_EXPORTER_ADDR" >"$LAB_OUT/node-exporter-$SCEN.log" 2>&1 &
    pid=$!
    check node_exporter_serves wait_until 60 eval 'curl -sf "http://$NODE_EXPORTER_ADDR/metrics" >"$out"'
    kill "$pid" 2>/dev/null
    grep -E '^(headroom_|node_textfile_)' "$out" >"$LAB_OUT/metrics-headroom-$SCEN.txt"
    expect node_textfile_scrape_error "$(sed -n 's/^node_textfile_scrape_error //p' "$out")" 0
    kills=$(grep '^headroom_kills_total{' "$out" | paste -sd'|')
    rec metrics_kills "$kills"
    expect_match metrics_hog_killed "$kills" "^headroom_kills_total\\{app=\"$K_appId\",outcome=\"killed\",reason=\"$K_reason\",uid=\"$LAB_UID\"\\} 1$"
    expect metrics_up "$(sed -n 's/^headroom_up{uid="'"$LAB_UID"'"} //p' "$out")" 1
    rec metrics_last_kill "$(grep '^headroom_last_kill_timestamp_seconds' "$out")"
    rec metrics_state "$(grep '^headroom_state{' "$out" | paste -sd'|')"
}

scenario_zram() {
    scen_begin zram
    local dev
    if dev=$(zram_swap 2G); then
        rec zram_device "$dev"
        pass zram_swap_on
        storm zram randhog.js "$ZRAM_STORM_TIMEOUT_S"
        rec zram_after "$(zramctl --noheadings --output DATA,COMPR,TOTAL "$dev" 2>/dev/null | xargs)"
        timeout 120 swapoff "$dev" && zramctl --reset "$dev"
    else
        fail zram_swap_on
    fi
    scen_end
}

# ---- 4. avoid: the avoided app survives while another candidate exists ----
scenario_avoid() {
    scen_begin avoid
    local precious hog line pmem vmem
    storm_preflight || { scen_end; return; }
    # precious (avoid) holds 1000 MiB, more than hog2 can reach before memory runs out: by
    # size alone it would be the victim, only its preference may spare it.
    monitor_launch avoid
    app_start precious "$HR" run --avoid --id precious -- node "$FIX/hog.js" 1000
    app_start hog2 "$HR" run --id hog2 -- sh -c "$GATE_SH" "$(gate_file hog2)" "$FIX/hog.js" "${HOG_ARGS[@]}"
    check monitor_ready monitor_ready
    check precious_started wait_app precious "$APPS_TIMEOUT_S"
    check hog2_scope_started wait_scope hog2 "$APPS_TIMEOUT_S"
    precious=$(app_unit precious)
    hog=$(app_unit hog2)
    rec precious_unit "$precious"
    rec hog_unit "$hog"
    hog_go hog2
    storm_watch Killed "$hog" "$STORM_TIMEOUT_S"
    check precious_alive_at_kill unit_populated "$precious"
    storm_assert Killed "$hog" hog2 killed
    check hog_gone wait_until 10 unit_gone "$hog"
    line=$(mon_event "$MON_FILE" Killed)
    if [ -n "$line" ]; then
        pmem=$(printf '%s' "$line" | U="$precious" jpy 'next((c["memoryBytes"] + c["swapBytes"] for c in o["kill"]["candidates"] if c["unit"] == E["U"]), -1)')
        vmem=$(printf '%s' "$line" | jpy 'o["kill"]["memoryFreedBytes"] + o["kill"]["swapFreedBytes"]')
        rec precious_mib_at_kill "$(mib "$pmem")"
        check precious_was_heavier test "${pmem:--1}" -gt "${vmem:-0}"
        expect precious_listed_as_avoid "$(printf '%s' "$line" | U="$precious" jpy 'next((c["preference"] for c in o["kill"]["candidates"] if c["unit"] == E["U"]), "")')" avoid
    fi
    paced_sleep 6 # longer than the cool-down: a second kill would have come by now
    check precious_survived unit_populated "$precious"
    expect one_kill_only "$(mon_count "$MON_FILE" Killed)" 1
    storm_assert_oom
    monitor_stop
    settle
    scen_end
}

# ---- 5. an app launched the way GNOME does: app-gnome-<id>-<pid>.scope ----
scenario_gnome() {
    scen_begin gnome
    local innocent hog listed
    storm_preflight || { scen_end; return; }
    monitor_launch gnome
    app_start innocent "$HR" run --id innocent -- node "$FIX/hog.js" 64
    # The pid in the name is the app's own: sh execs systemd-run, which execs the app.
    app_start ghog sh -c 'exec systemd-run --user --scope --quiet --unit="app-gnome-org.example.Hog-$$.scope" -- sh -c "$0" "$@"' \
        "$GATE_SH" "$(gate_file ghog)" "$FIX/hog.js" "${HOG_ARGS[@]}"
    check monitor_ready monitor_ready
    check innocent_started wait_app innocent "$APPS_TIMEOUT_S"
    check hog_scope_started wait_scope ghog "$APPS_TIMEOUT_S"
    innocent=$(app_unit innocent)
    hog=$(app_unit ghog)
    rec hog_unit "$hog"
    expect hog_unit_name "$hog" "app-gnome-org.example.Hog-$(app_pid ghog).scope"
    rec hog_cgroup "$(sed -n 's/^0:://p' "/proc/$(app_pid ghog)/cgroup" 2>/dev/null)"
    listed=$(hr list --json 2>&1)
    printf '%s\n' "$listed" >"$LAB_OUT/list-gnome.json"
    expect listed_launcher_and_app_id "$(printf '%s' "$listed" | U="$hog" jpy 'next((a["launcher"] + " " + a["appId"] for a in o if a["unit"] == E["U"]), "missing")')" "gnome org.example.Hog"
    hog_go ghog
    storm_watch Killed "$hog" "$STORM_TIMEOUT_S"
    paced_sleep 2
    storm_assert Killed "$hog" org.example.Hog killed
    check hog_gone wait_until 10 unit_gone "$hog"
    check innocent_survived unit_populated "$innocent"
    storm_assert_oom
    monitor_stop
    settle
    scen_end
}

# ---- 6. kill -9 the agent: systemd restarts it, history and preferences intact ----
scenario_restart() {
    scen_begin restart
    local pinned pid1 n1 hist1 hist2 t0 pid2 prefs
    if ! agent_ready; then fail agent_running; scen_end; return; fi
    pass agent_running
    app_start pinned "$HR" run --avoid --id pinned -- node "$FIX/hog.js" 16
    check pinned_started wait_app pinned "$APPS_TIMEOUT_S"
    pinned=$(app_unit pinned)
    prefs=$LAB_HOME/.config/headroom/preferences.json
    expect pinned_avoid_before "$(jpy 'o["apps"].get("pinned", "")' <"$prefs" 2>&1)" avoid
    pid1=$(agent_main_pid)
    n1=$(as_lab systemctl --user show -P NRestarts "$AGENT_UNIT")
    hist1=$(python3 -c 'import json, sys; print(" ".join(sorted(json.loads(l)["id"] for l in open(sys.argv[1]) if l.strip())))' \
        "$LAB_HOME/.local/state/headroom/history.jsonl" 2>/dev/null)
    rec main_pid_before "$pid1"
    rec restarts_before "$n1"
    rec history_before "$hist1"
    if [ -z "$hist1" ]; then
        # Nothing killed earlier in this boot: make a record to carry over (a manual kill).
        app_start doomed "$HR" run --id doomed -- node "$FIX/hog.js" 16
        wait_app doomed "$APPS_TIMEOUT_S"
        rec manual_kill "$(hr kill doomed 2>&1 | tr '\n' ' ')"
        hist1=$(python3 -c 'import json, sys; print(" ".join(sorted(json.loads(l)["id"] for l in open(sys.argv[1]) if l.strip())))' \
            "$LAB_HOME/.local/state/headroom/history.jsonl" 2>/dev/null)
        rec history_before "$hist1"
    fi
    check history_not_empty test -n "$hist1"
    t0=$(now_ms)
    check kill_9 as_lab systemctl --user kill -s KILL "$AGENT_UNIT"
    restarted() {
        local p
        p=$(agent_main_pid)
        [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$pid1" ] && agent_active && agent_on_bus
    }
    check restarted wait_until 90 restarted
    rec restart_seconds "$(secs_between "$t0" "$(now_ms)")"
    pid2=$(agent_main_pid)
    rec main_pid_after "$pid2"
    check new_main_pid test "$pid2" != "$pid1"
    expect bus_owner_is_new_pid "$(bus_owner_pid)" "$pid2"
    expect restarts_after "$(as_lab systemctl --user show -P NRestarts "$AGENT_UNIT")" "$((n1 + 1))"
    # both questions to the restarted agent at once (each CLI call is ~10 s of Node start-up)
    hr history --json >"$RUN_DIR/history.json" 2>&1 &
    hr list --json >"$RUN_DIR/list.json" 2>&1
    wait $!
    hist2=$(jpy '" ".join(sorted(r["id"] for r in o))' <"$RUN_DIR/history.json")
    expect history_intact "$hist2" "$hist1"
    expect pinned_avoid_after "$(U="$pinned" jpy 'next((a["preference"] for a in o if a["unit"] == E["U"]), "")' <"$RUN_DIR/list.json")" avoid
    check pinned_survived unit_populated "$pinned"
    unset -f restarted
    stop_all_apps
    scen_end
}

# ---- 7. dry-run: nothing dies, the would-be victim is reported ----
scenario_dryrun() {
    scen_begin dryrun
    local cfg=$LAB_HOME/.config/headroom/config.toml innocent hog alive=none
    as_lab mkdir -p "$(dirname "$cfg")"
    printf '[kill]\ndry_run = true\n' | as_lab tee "$cfg" >/dev/null
    as_lab systemctl --user reload "$AGENT_UNIT"
    check dry_run_on wait_until 30 eval '[ "$(agent_prop DryRun)" = true ]'
    storm_preflight || { scen_end; return; }
    monitor_launch dryrun guard
    app_start innocent "$HR" run --id innocent -- node "$FIX/hog.js" 64
    app_start dryhog "$HR" run --id dryhog -- sh -c "$GATE_SH" "$(gate_file dryhog)" "$FIX/hog.js" "${HOG_ARGS[@]}"
    check monitor_ready monitor_ready
    check innocent_started wait_app innocent "$APPS_TIMEOUT_S"
    check hog_scope_started wait_scope dryhog "$APPS_TIMEOUT_S"
    innocent=$(app_unit innocent)
    hog=$(app_unit dryhog)
    rec hog_unit "$hog"
    unit_dir "$hog" >"$RUN_DIR/guard-target"
    hog_go dryhog
    storm_watch WouldKill "$hog" "$STORM_TIMEOUT_S"
    # dry_run_guard stopped the hog the moment WouldKill arrived; stop it here too in case not.
    wait_until 5 test -s "$RUN_DIR/guard-result"
    unit_kill "$hog"
    if [ -s "$RUN_DIR/guard-result" ]; then
        alive=$(sed -n 1p "$RUN_DIR/guard-result")
        rec hog_stopped_at_seconds "$(secs_between "$T0" "$(sed -n 2p "$RUN_DIR/guard-result")")"
    fi
    expect hog_alive_at_would_kill "$alive" alive
    paced_sleep 2
    storm_assert WouldKill "$hog" dryhog dry-run
    expect no_killed_signal "$(mon_count "$MON_FILE" Killed)" 0
    check innocent_survived unit_populated "$innocent"
    check hog_stopped_by_us wait_until 10 unit_gone "$hog"
    storm_assert_oom
    monitor_stop
    rm -f "$cfg"
    as_lab systemctl --user reload "$AGENT_UNIT"
    check dry_run_off wait_until 30 eval '[ "$(agent_prop DryRun)" = false ]'
    settle
    scen_end
}

# ---- 7. notify: the kill notification reaches a real notification server (dunst on Xvfb, as
# the user); its "Don't kill … again" action, clicked through dunst's own menu, protects the
# app on its next launch: `headroom run` puts the remembered preference on the new scope, and
# SetPreference reaches running scopes through the user manager's SetUnitProperties ----
# notify_call TEXT: the Notify call (dbus-monitor block) whose arguments contain TEXT
notify_call() {
    awk -v t="$1" '/^method call/ { if (b ~ t) { print b; exit } b = "" } { b = b $0 "\n" } END { if (b ~ t) print b }' "$LAB_OUT/notify-wire.txt"
}
scenario_notify() {
    scen_begin notify
    local editor innocent editor2 hog3 call sent_s delay apps=$LAB_HOME/.local/share/applications
    storm_preflight || { scen_end; return; }
    check notify_server_up notify_server_start
    as_lab mkdir -p "$apps"
    printf '[Desktop Entry]\nType=Application\nName=Lab Editor\nIcon=accessories-text-editor\nExec=true\n' | as_lab tee "$apps/labeditor.desktop" >/dev/null
    monitor_launch notify
    app_start innocent "$HR" run --id innocent -- node "$FIX/hog.js" 64
    app_start editor "$HR" run --id labeditor -- sh -c "$GATE_SH" "$(gate_file editor)" "$FIX/hog.js" "${HOG_ARGS[@]}"
    check monitor_ready monitor_ready
    check innocent_started wait_app innocent "$APPS_TIMEOUT_S"
    check editor_scope_started wait_scope editor "$APPS_TIMEOUT_S"
    editor=$(app_unit editor)
    innocent=$(app_unit innocent)
    rec editor_unit "$editor"
    hog_go editor
    storm_watch Killed "$editor" "$STORM_TIMEOUT_S"
    storm_assert Killed "$editor" labeditor killed
    check innocent_survived unit_populated "$innocent"
    storm_assert_oom

    # The notification as the server was sent it, and how long after the kill decision.
    check kill_notice_sent wait_until 15 grep -q 'Lab Editor was stopped' "$LAB_OUT/notify-wire.txt"
    call=$(notify_call 'Lab Editor was stopped')
    printf '%s\n' "$call" >"$LAB_OUT/notify-kill-call.txt"
    rec notice_summary "$(printf '%s\n' "$call" | sed -n 's/^ *string "\(.*was stopped.*\)"$/\1/p' | head -n 1)"
    rec notice_body "$(printf '%s\n' "$call" | sed -n 's/^ *string "\(It was using.*\)"$/\1/p' | head -n 1)"
    check notice_has_avoid_action grep -q "Don't kill Lab Editor again" "$LAB_OUT/notify-kill-call.txt"
    check notice_icon grep -q 'string "accessories-text-editor"' "$LAB_OUT/notify-kill-call.txt"
    check notice_desktop_entry grep -q 'string "labeditor"' "$LAB_OUT/notify-kill-call.txt"
    # From the end of the kill (decision time + how long the scope took to empty) to Notify.
    sent_s=$(printf '%s\n' "$call" | sed -n 's/^method call time=\([0-9.]*\) .*/\1/p' | head -n 1)
    delay=$(awk -v s="${sent_s:-0}" -v k="${K_atMs:-0}" -v d="${K_durationMs:-0}" 'BEGIN { if (s > 0 && k > 0) printf "%.2f", s - (k + d) / 1000 }')
    rec notice_seconds_after_kill "$delay"
    check notice_within_1s awk -v v="$delay" 'BEGIN { exit !(v != "" && v + 0 < 1.0) }'
    rec dunst_displayed "$(as_lab dunstctl count displayed 2>/dev/null)"
    check dunst_shows_it eval '[ "$(as_lab dunstctl count displayed 2>/dev/null)" -ge 1 ]'

    # The user clicks "Don't kill Lab Editor again" in dunst's menu.
    echo "Don't kill Lab Editor again" >"$NOTIFY_DIR/pick"
    as_lab env DISPLAY=:9 dunstctl context
    check avoid_remembered wait_until 30 grep -q '"labeditor": *"avoid"' "$LAB_HOME/.config/headroom/preferences.json"
    check preference_changed_signal wait_until 15 eval "grep -F '\"event\":\"PreferenceChanged\"' '$MON_FILE' | grep -q labeditor"
    monitor_stop
    settle

    # Next launch: the avoided editor (900 MiB, heavier than the hog gets) and a new hog.
    monitor_launch notify2
    app_start editor2 "$HR" run --id labeditor -- node "$FIX/hog.js" 900
    app_start hog3 "$HR" run --id hog3 -- sh -c "$GATE_SH" "$(gate_file hog3)" "$FIX/hog.js" "${HOG_ARGS[@]}"
    check monitor2_ready monitor_ready
    check editor2_started wait_app editor2 "$APPS_TIMEOUT_S"
    check hog3_scope_started wait_scope hog3 "$APPS_TIMEOUT_S"
    editor2=$(app_unit editor2)
    hog3=$(app_unit hog3)
    rec editor2_unit "$editor2"
    expect relaunch_carries_avoid "$(as_lab systemctl --user show -P ManagedOOMPreference "$editor2")" avoid
    # SetPreference on a running app reaches its unit through the user manager.
    as_lab busctl --user call org.headroom.Agent1 /org/headroom/Agent1 org.headroom.Agent1 SetPreference ss labeditor omit
    check set_unit_properties_omit wait_until 10 eval '[ "$(as_lab systemctl --user show -P ManagedOOMPreference '"$editor2"')" = omit ]'
    as_lab busctl --user call org.headroom.Agent1 /org/headroom/Agent1 org.headroom.Agent1 SetPreference ss labeditor avoid
    check set_unit_properties_avoid wait_until 10 eval '[ "$(as_lab systemctl --user show -P ManagedOOMPreference '"$editor2"')" = avoid ]'
    hog_go hog3
    storm_watch Killed "$hog3" "$STORM_TIMEOUT_S"
    check editor2_alive_at_kill unit_populated "$editor2"
    storm_assert Killed "$hog3" hog3 killed
    paced_sleep 6 # longer than the cool-down: a second kill would have come by now
    check avoided_editor_survived unit_populated "$editor2"
    expect one_kill_only "$(mon_count "$MON_FILE" Killed)" 1
    storm_assert_oom
    monitor_stop
    notify_server_stop
    settle
    scen_end
}

# ---- AppImage: `headroom install` from an image (the tray's path), the real user manager ----
# The image is built on the host (scenarios.test.ts, test/support/fake-appimage.ts): a runtime
# stand-in that "mounts" a fresh copy of the AppDir per run, electron-builder's AppRun exports,
# /usr/bin/node standing in for Electron as Node.
APPIMAGE_FILE=$LAB_HOME/Applications/Headroom.AppImage
appimage_copy_dir() { find "$LAB_HOME/.local/share/headroom/appimage" -mindepth 1 -maxdepth 1 -type d -print -quit 2>/dev/null; }
proc_env() { tr '\0' '\n' <"/proc/$1/environ" 2>/dev/null | sed -n "s/^$2=//p"; }
proc_runs_script() { tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | xargs -r -d '\n' realpath -m -- 2>/dev/null | grep -qxF "$2"; }
scenario_appimage() {
    scen_begin appimage
    local unit=$LAB_HOME/.config/systemd/user/$AGENT_UNIT out rc copy pid mount pid2 mount2 scope t0 envfile=$LAB_HOME/.cache/appimage-launched.env
    # The checkout's hand-written unit (scenario install) makes way: headroom install refuses a unit it did not write.
    as_lab systemctl --user disable --now "$AGENT_UNIT" >/dev/null 2>&1
    rm -f "$unit"
    as_lab systemctl --user daemon-reload
    as_lab mkdir -p "$LAB_HOME/Applications" "$LAB_HOME/.cache/appimage-mounts" "$LAB_HOME/.local/share/applications"
    as_lab install -m 0755 "$LAB_REPO/dist/lab-appimage/Headroom.AppImage" "$APPIMAGE_FILE"
    # The image's content on the guest's disk once (one tar over 9p); each run then hard-links
    # it into a fresh "mount".
    t0=$(now_ms)
    check image_staged stage_appimage
    rec stage_seconds "$(secs_between "$t0" "$(now_ms)")"

    t0=$(now_ms)
    out=$(as_lab timeout 300 "$APPIMAGE_FILE" --tray-runs install 2>&1); rc=$?
    rec install_seconds "$(secs_between "$t0" "$(now_ms)")"
    printf '%s\n' "$out" >"$LAB_OUT/appimage-install.txt"
    expect install_exit "$rc" 0
    copy=$(appimage_copy_dir)
    rec copy_dir "$copy"
    check unit_runs_the_copy grep -qxF "ExecStart=$copy/headroom agent" "$unit"
    check is_active agent_active
    check owns_bus_name wait_until 180 agent_on_bus
    pid=$(agent_main_pid)
    expect bus_owner_is_main_pid "$(bus_owner_pid)" "$pid"
    check runs_the_copied_agent proc_runs_script "$pid" "$copy/app/dist/agent/cli/main.js"
    mount=$(proc_env "$pid" APPDIR)
    rec agent_mount "$mount"
    check runs_through_the_image expect_mount "$mount"
    expect node_is_the_image "$(proc_env "$pid" APPIMAGE)" "$APPIMAGE_FILE"
    check command_linked test "$(readlink "$LAB_HOME/.local/bin/headroom")" = "$copy/headroom"

    # A restart mounts the image afresh: nothing depends on the mount the install ran from.
    as_lab systemctl --user restart "$AGENT_UNIT"
    check restarted wait_until 180 agent_on_bus
    pid2=$(agent_main_pid)
    mount2=$(proc_env "$pid2" APPDIR)
    rec agent_mount_after_restart "$mount2"
    check new_mount_after_restart test -n "$mount2" -a "$mount2" != "$mount"

    # Launch through the bus, real systemd-run: the app sees the session's environment, not the image's.
    printf '#!/bin/sh\nenv >%s.tmp && mv %s.tmp %s\nexec sleep 30\n' "$envfile" "$envfile" "$envfile" | as_lab tee "$LAB_HOME/.cache/dumpenv" >/dev/null
    chmod 0755 "$LAB_HOME/.cache/dumpenv"
    printf '[Desktop Entry]\nType=Application\nName=Dump Env\nExec=%s\n' "$LAB_HOME/.cache/dumpenv" | as_lab tee "$LAB_HOME/.local/share/applications/dumpenv.desktop" >/dev/null
    scope=$(as_lab busctl --user call org.headroom.Agent1 /org/headroom/Agent1 org.headroom.Agent1 Launch sas dumpenv.desktop 0 2>&1 | sed -n 's/^s "\(.*\)"$/\1/p')
    rec launched_scope "$scope"
    expect_match launch_scope_name "$scope" '^app-headroom-dumpenv-[0-9a-f]{16}\.scope$'
    check launched_app_ran wait_until 60 test -s "$envfile"
    cp "$envfile" "$LAB_OUT/appimage-launched.env" 2>/dev/null
    check app_env_without_image_vars not_grep -E '^(APPDIR|APPIMAGE|ARGV0|OWD|ELECTRON_RUN_AS_NODE|LD_LIBRARY_PATH|GSETTINGS_SCHEMA_DIR)=' "$envfile"
    check app_paths_without_mount not_grep -F 'appimage-mounts' "$envfile"
    check app_in_its_scope unit_populated "$scope"
    unit_kill "$scope"

    # Uninstall through the linked command: unit, activation file, link and copies gone.
    out=$(as_lab timeout 300 "$LAB_HOME/.local/bin/headroom" uninstall 2>&1); rc=$?
    printf '%s\n' "$out" >"$LAB_OUT/appimage-uninstall.txt"
    expect uninstall_exit "$rc" 0
    check agent_stopped eval '! agent_active'
    check unit_removed test ! -e "$unit"
    check copies_removed test ! -e "$LAB_HOME/.local/share/headroom/appimage"
    check link_removed test ! -L "$LAB_HOME/.local/bin/headroom"
    scen_end
}
stage_appimage() {
    as_lab tar -xf "$LAB_REPO/dist/lab-appimage/AppDir.tar" -C "$LAB_HOME/.cache" &&
        as_lab mv "$LAB_HOME/.cache/AppDir" "$LAB_HOME/.cache/appimage-stage"
}
expect_mount() { [[ $1 == "$LAB_HOME/.cache/appimage-mounts/.mount_Headro"* ]] && [ -d "$1" ]; }
not_grep() { ! grep -q "$@"; }

# ---- Units the desktop names by other conventions than app-*: a terminal tab, a snap ----
# app_in_unit NAME UNIT: the app's PID sits in UNIT. wait_app_in_unit NAME UNIT TIMEOUT.
app_in_unit() { [ "$(app_unit "$1")" = "$2" ]; }
wait_app_in_unit() { wait_until "$3" app_in_unit "$1" "$2"; }
# app_cgroup NAME: the app's cgroup path relative to user@UID.service
app_cgroup() { sed -n "s|^0::/user.slice/user-$LAB_UID.slice/user@$LAB_UID.service/||p" "/proc/$(app_pid "$1")/cgroup" 2>/dev/null; }
unit_main_pid() { as_lab systemctl --user show -P MainPID "$1" 2>/dev/null; }
# kernel_uuid: a random UUID as snapd (randutil.RandomKernelUUID) and GLib's g_uuid_string_random print it
kernel_uuid() { cat /proc/sys/kernel/random/uuid; }

# stop_hog_if_missed HOG_UNIT: right after storm_watch. If the first Killed took another app and
# the hog still grows, stop the hog at once (cgroup.kill as root) while memory is left: an agent
# that misses the hog otherwise hands the guest to the kernel's OOM killer, which under TCG froze
# it for 6 min (first run of boot D, vte: the CLI call of the next check hung that long), past the
# boot's budget. (A Killed for the hog comes once its scope has emptied, so a populated hog after
# a Killed naming it is a partial kill, left alone.) Sets HOG_STOPPED_BY_SCRIPT.
HOG_STOPPED_BY_SCRIPT=
stop_hog_if_missed() {
    local line victim
    HOG_STOPPED_BY_SCRIPT=
    unit_populated "$1" || return 0
    line=$(mon_event "$MON_FILE" Killed)
    [ -n "$line" ] || return 0
    victim=$(printf '%s' "$line" | jpy 'o["kill"]["unit"]')
    [ "$victim" != "$1" ] || return 0
    unit_kill "$1"
    HOG_STOPPED_BY_SCRIPT=yes
    rec hog_stopped_by_script "$(secs_between "$T0" "$(now_ms)") s after hog start (the first kill took $victim)"
}
# check_hog_gone NAME HOG_UNIT: the hog's unit emptied by the kill (not by the script)
check_hog_gone() {
    if [ -n "$HOG_STOPPED_BY_SCRIPT" ]; then
        fail "$1"
        rec "$1_got" "stopped by the script"
    else
        check "$1" wait_until 10 unit_gone "$2"
    fi
}
# hog_end HOG_UNIT: how the storm ended (kills, the kernel), then the hog stopped if it still runs
# (a storm that produced no Killed within STORM_TIMEOUT_S).
hog_end() {
    local f=$LAB_OUT/kernel-oom-$SCEN.txt
    rec kills_total "$(mon_count "$MON_FILE" Killed)"
    storm_assert_oom
    if [ -s "$f" ]; then
        rec kernel_oom_killed "$(grep -o 'Killed process [0-9]* ([^)]*)' "$f" | head -n 1) at $(grep -m1 'Killed process' "$f" | sed 's/^\[ *\([0-9.]*\)\].*/\1/') s uptime"
        rec kernel_oom_memcg "$(grep -o 'task_memcg=[^,]*' "$f" | head -n 1 | sed 's|.*/||')"
    fi
    if unit_populated "$1"; then
        unit_kill "$1"
        rec hog_ended "still running at the end; stopped by the script"
    fi
}

# ---- vte: a hog in a GNOME Terminal tab ----
# Where VTE (src/systemd.cc, create_scope_for_pid_sync) puts a tab's job: a transient scope
# vte-spawn-<random uuid>.scope in the slice of the terminal server's own unit, job mode "fail",
# Description "VTE child process <child PID> launched by <prgname> process <server PID>". For
# GNOME Terminal that slice is app.slice/app-org.gnome.Terminal.slice, beside
# gnome-terminal-server.service. Here: a stand-in terminal server (a transient user service of
# a few tens of MiB in that slice), the tab's scope made by systemd-run exactly so, and a
# browser-like app of 500 MiB launched as GNOME Shell does (app-gnome-<desktop id>-<pid>.scope).
# The tab's process is a child of the script, not of the server: the agent reads cgroups only.
TERMINAL_SLICE=app-org.gnome.Terminal.slice
TERMINAL_SERVER=gnome-terminal-server.service
scenario_vte() {
    scen_begin vte
    local uuid server_pid tab browser tab_pid
    storm_preflight || { scen_end; return; }
    monitor_launch vte
    as_lab systemd-run --user --quiet --collect --slice="$TERMINAL_SLICE" --unit="$TERMINAL_SERVER" \
        --description="GNOME Terminal Server" node "$FIX/hog.js" 16
    server_pid=$(unit_main_pid "$TERMINAL_SERVER")
    rec server_pid "$server_pid"
    check server_started test "${server_pid:-0}" -gt 0
    app_start browser sh -c 'exec systemd-run --user --scope --quiet --unit="app-gnome-firefox-$$.scope" -- node "$0" 500' "$FIX/hog.js"
    uuid=$(kernel_uuid)
    # The PID in the description is the tab's own: sh execs systemd-run, which execs the job.
    app_start tab sh -c 'slice=$1 u=$2 srv=$3; shift 3; exec systemd-run --user --scope --quiet --slice="$slice" --unit="vte-spawn-$u.scope" --description="VTE child process $$ launched by gnome-terminal-server process $srv" -- sh -c "$@"' \
        sh "$TERMINAL_SLICE" "$uuid" "$server_pid" "$GATE_SH" "$(gate_file tab)" "$FIX/hog.js" "${HOG_ARGS[@]}"
    tab=vte-spawn-$uuid.scope
    check monitor_ready monitor_ready
    check browser_started wait_app browser "$APPS_TIMEOUT_S"
    check tab_scope_started wait_app_in_unit tab "$tab" "$APPS_TIMEOUT_S"
    browser=$(app_unit browser)
    tab_pid=$(app_pid tab)
    rec browser_unit "$browser"
    rec hog_unit "$tab"
    expect browser_unit_name "$browser" "app-gnome-firefox-$(app_pid browser).scope"
    expect tab_cgroup "$(app_cgroup tab)" "app.slice/$TERMINAL_SLICE/$tab"
    expect tab_description "$(as_lab systemctl --user show -P Description "$tab")" \
        "VTE child process $tab_pid launched by gnome-terminal-server process $server_pid"
    expect server_cgroup "$(sed -n 's|^0::.*/user@[0-9]*\.service/||p' "/proc/$server_pid/cgroup" 2>/dev/null)" \
        "app.slice/$TERMINAL_SLICE/$TERMINAL_SERVER"
    rec server_mib "$(mib "$(cat "$(unit_dir "$TERMINAL_SERVER")/memory.current" 2>/dev/null)")"
    rec browser_mib "$(mib "$(cat "$(unit_dir "$browser")/memory.current" 2>/dev/null)")"
    hog_go tab
    storm_watch Killed "$tab" "$STORM_TIMEOUT_S"
    stop_hog_if_missed "$tab"
    paced_sleep 2
    storm_assert Killed "$tab" "" killed
    rec victim_display_name "${K_displayName-}"
    # The agent names a terminal's job by the job and the terminal, e.g. "node in Terminal".
    expect_match victim_display_name_in_terminal "${K_displayName-}" ' in Terminal$'
    check_hog_gone tab_gone "$tab"
    check browser_survived unit_populated "$browser"
    check terminal_server_survived unit_populated "$TERMINAL_SERVER"
    expect one_kill_only "$(mon_count "$MON_FILE" Killed)" 1
    hog_end "$tab"
    monitor_stop
    as_lab systemctl --user stop "$TERMINAL_SERVER" 2>/dev/null
    settle
    scen_end
}

# ---- snap: a hog in a snap's tracking scope ----
# snapd (sandbox/cgroup/tracking.go, CreateTransientScopeForTracking) moves a snap app into a
# transient scope named <escaped security tag>-<kernel random uuid>.scope, the tag being
# snap.<snap>.<app>; it sets PIDs only, so the scope lands in the user manager's default slice
# (app.slice) and shows its own name as its description. Beside it the usual innocent app.
scenario_snap() {
    scen_begin snap
    local uuid hog innocent
    storm_preflight || { scen_end; return; }
    monitor_launch snap
    app_start innocent "$HR" run --id innocent -- node "$FIX/hog.js" 64
    uuid=$(kernel_uuid)
    hog=snap.firefox.firefox-$uuid.scope
    app_start snaphog sh -c 'u=$1; shift; exec systemd-run --user --scope --quiet --unit="$u" --description="$u" -- sh -c "$@"' \
        sh "$hog" "$GATE_SH" "$(gate_file snaphog)" "$FIX/hog.js" "${HOG_ARGS[@]}"
    check monitor_ready monitor_ready
    check innocent_started wait_app innocent "$APPS_TIMEOUT_S"
    check hog_scope_started wait_app_in_unit snaphog "$hog" "$APPS_TIMEOUT_S"
    innocent=$(app_unit innocent)
    rec innocent_unit "$innocent"
    rec hog_unit "$hog"
    expect hog_cgroup "$(app_cgroup snaphog)" "app.slice/$hog"
    hog_go snaphog
    storm_watch Killed "$hog" "$STORM_TIMEOUT_S"
    stop_hog_if_missed "$hog"
    paced_sleep 2
    # The snap desktop-id convention: <snap>_<app>.
    storm_assert Killed "$hog" firefox_firefox killed
    rec victim_display_name "${K_displayName-}"
    check_hog_gone hog_gone "$hog"
    check innocent_survived unit_populated "$innocent"
    expect one_kill_only "$(mon_count "$MON_FILE" Killed)" 1
    hog_end "$hog"
    monitor_stop
    settle
    scen_end
}

# ---- tab: a runaway tab of a browser, stopped in its browser's place ----
# Chromium as GNOME Shell launches it: app-gnome-chromium-<pid>.scope (GNOME Shell's
# app-gnome-<desktop id>-<pid>.scope, as in gnome), a main process and renderers that set their
# own oom_score_adj to 300 and carry --type=renderer, as Chromium's do (fixtures/bin/browser.ts).
# One renderer runs away at the hog's pace. The agent must stop that renderer alone: the
# browser's main process, its other tabs and the innocent app live, and the record says so.
pid_alive() { [ -e "/proc/$1" ] && ! grep -q '^[0-9]* (.*) Z ' "/proc/$1/stat" 2>/dev/null; }
pid_gone() { ! pid_alive "$1"; }
scenario_tab() {
    scen_begin tab
    local innocent browser main runaway quiet1 quiet2 _
    storm_preflight || { scen_end; return; }
    monitor_launch tab
    app_start innocent "$HR" run --id innocent -- node "$FIX/hog.js" 64
    app_start browser sh -c 'exec systemd-run --user --scope --quiet --unit="app-gnome-chromium-$$.scope" -- sh -c "$@"' \
        sh "$GATE_SH" "$(gate_file browser)" "$FIX/browser.js" 40 "+${HOG_ARGS[1]}" 24 24
    check monitor_ready monitor_ready
    check innocent_started wait_app innocent "$APPS_TIMEOUT_S"
    check browser_scope_started wait_scope browser "$APPS_TIMEOUT_S"
    innocent=$(app_unit innocent)
    browser=$(app_unit browser)
    main=$(app_pid browser)
    rec innocent_unit "$innocent"
    rec hog_unit "$browser"
    expect browser_unit_name "$browser" "app-gnome-chromium-$main.scope"
    hog_go browser
    check browser_ready wait_until "$APPS_TIMEOUT_S" app_ready browser
    read -r _ runaway quiet1 quiet2 <"$LAB_OUT/app-browser.out"
    rec runaway_pid "$runaway"
    expect runaway_marked "$(cat "/proc/$runaway/oom_score_adj" 2>/dev/null)" 300
    expect main_unmarked_below "$(awk '{ exit !($1 < 300) }' "/proc/$main/oom_score_adj" && echo yes)" yes
    storm_watch Killed "$browser" "$STORM_TIMEOUT_S"
    stop_hog_if_missed "$browser"
    paced_sleep 2
    storm_assert Killed "$browser" chromium child-killed
    rec victim_child "${K_childPid-} ${K_childKind-}"
    expect victim_child_is_runaway "${K_childPid-}" "$runaway"
    expect victim_child_kind "${K_childKind-}" renderer
    check runaway_gone wait_until 10 pid_gone "$runaway"
    check browser_main_survived pid_alive "$main"
    check quiet_tabs_survived eval "pid_alive $quiet1 && pid_alive $quiet2"
    check browser_unit_still_running unit_populated "$browser"
    check innocent_survived unit_populated "$innocent"
    expect one_kill_only "$(mon_count "$MON_FILE" Killed)" 1
    hog_end "$browser"
    monitor_stop
    settle
    scen_end
}

# ---- burst: a burst that fits is not killed ----
# No swap. The burst (fixtures/bin/burst.ts) grows at the hog's pace but stops by itself when one
# more step would leave MemAvailable below BURST_FLOOR_PCT % of MemTotal, holds its memory
# BURST_HOLD_S s, then writes "done" and exits 0. Its shell stays in the scope and writes the exit
# status ("exit N"), so a kill (no "done", no "exit 0") and a clean end are told apart.
BURST_FLOOR_PCT=11
BURST_HOLD_S=20
BURST_ARGS=(64 32 100 "$BURST_FLOOR_PCT" "$BURST_HOLD_S")
# Ramp (~1.5 GiB at 30-70 MiB/s under TCG, so 20-50 s, plus Node's start-up) + hold: ~90 s; a
# loaded host may double it. Past this the burst never ended, which is the missing effect.
BURST_TIMEOUT_S=300
BURST_SH='while [ ! -e "$0" ]; do sleep 0.1; done; node "$@"; echo "exit $?"'
burst_over() { grep -q '^exit ' "$LAB_OUT/app-burst.out" 2>/dev/null || unit_gone "$1"; }
# burst_field LINE KEY: the value of KEY=… in one of the burst's output lines
burst_field() { grep "^$1 " "$LAB_OUT/app-burst.out" 2>/dev/null | head -n 1 | tr ' ' '\n' | sed -n "s/^$2=//p"; }
# state_trail FILE: the agent's states from the monitor, each with MemAvailable (% of RAM)
state_trail() {
    python3 -c '
import json, sys
out = []
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    try:
        o = json.loads(line)
    except ValueError:
        continue
    if o.get("event") == "StateChanged":
        p = o["pressure"]
        out.append("%s@%.1f%%" % (o["state"], 100.0 * p["memAvailableBytes"] / p["memTotalBytes"]))
    elif o.get("event") in ("Killed", "Warned"):
        out.append(o["event"] + ":" + o["kill"].get("unit", ""))
print(" ".join(out) or "none")' "$1"
}
scenario_burst() {
    scen_begin burst
    local innocent burst out=$LAB_OUT/app-burst.out line stop_ms done_ms
    storm_preflight || { scen_end; return; }
    expect no_swap "$(meminfo_kib SwapTotal)" 0
    monitor_launch burst
    app_start innocent "$HR" run --id innocent -- node "$FIX/hog.js" 64
    app_start burst "$HR" run --id burst -- sh -c "$BURST_SH" "$(gate_file burst)" "$FIX/burst.js" "${BURST_ARGS[@]}"
    check monitor_ready monitor_ready
    check innocent_started wait_app innocent "$APPS_TIMEOUT_S"
    check burst_scope_started wait_scope burst "$APPS_TIMEOUT_S"
    innocent=$(app_unit innocent)
    burst=$(app_unit burst)
    rec innocent_unit "$innocent"
    rec hog_unit "$burst"
    rec burst_floor_mib "$(( $(meminfo_kib MemTotal) * BURST_FLOOR_PCT / 100 / 1024 ))"
    hog_go burst
    check burst_ended wait_until "$BURST_TIMEOUT_S" burst_over "$burst"
    rec burst_end_seconds "$(secs_between "$T0" "$(now_ms)")"
    # Killed for a scope that emptied comes after it emptied: give a late signal time to arrive.
    grep -q '^exit ' "$out" 2>/dev/null || wait_until 15 grep -qF '"event":"Killed"' "$MON_FILE"
    paced_sleep 2
    stop_ms=$(burst_field stopped at_ms)
    done_ms=$(burst_field done at_ms)
    rec burst_stopped "$(grep '^stopped ' "$out" 2>/dev/null | head -n 1 | cut -d' ' -f2-)"
    [ -n "$stop_ms" ] && rec burst_stop_seconds "$(secs_between "$T0" "$stop_ms")"
    [ -n "$stop_ms" ] && [ -n "$done_ms" ] && rec burst_held_seconds "$(secs_between "$stop_ms" "$done_ms")"
    check burst_stopped_itself grep -q '^stopped ' "$out"
    check burst_done_marker grep -q '^done ' "$out"
    expect burst_exit "$(sed -n 's/^exit //p' "$out" | head -n 1)" 0
    expect no_killed_signal "$(mon_count "$MON_FILE" Killed)" 0
    line=$(mon_event "$MON_FILE" Killed)
    [ -n "$line" ] && record_kill victim "$line" "$T0"
    rec warned_signals "$(mon_count "$MON_FILE" Warned)"
    rec agent_states "$(state_trail "$MON_FILE")"
    check innocent_survived unit_populated "$innocent"
    storm_assert_oom
    unit_kill "$burst"
    monitor_stop
    settle
    scen_end
}

# ---- ssh: a hog out of reach (a login session's scope) is named, and no bystander dies ----
# logind puts an ssh or tty login in user-UID.slice/session-N.scope, root-owned and outside
# user@UID.service: the agent cannot stop it by unit. The hog runs there as the lab user (the
# scope made by root with that exact name and slice, as logind does), beside a browser-like app
# in the user's tree. The agent must not stop the browser in its place, and must say what the
# hog is. Once it has said so (or at the timeout) the script stops the hog itself, before the
# kernel's OOM killer would take minutes under TCG.
SSH_SESSION=session-99.scope
ssh_hog_unit_dir() { echo "/sys/fs/cgroup/user.slice/user-$LAB_UID.slice/$SSH_SESSION"; }
agent_said_out_of_reach() { agent_log | grep -q "which Headroom cannot stop"; }
scenario_ssh() {
    scen_begin ssh
    local browser d line
    storm_preflight || { scen_end; return; }
    monitor_launch ssh
    app_start browser "$HR" run --id browser -- node "$FIX/hog.js" 400
    # As root: a scope named and placed as logind's, its command dropped to the lab user.
    sh -c 'exec systemd-run --scope --quiet --unit="$0" --slice="user-$1.slice" -- setpriv --reuid="$1" --regid="$1" --init-groups sh -c "$2" "$3" "$4" "$5" "$6" "$7"' \
        "$SSH_SESSION" "$LAB_UID" "$GATE_SH" "$(gate_file sshhog)" "$FIX/hog.js" "${HOG_ARGS[@]}" >"$LAB_OUT/app-sshhog.out" 2>&1 &
    check monitor_ready monitor_ready
    check browser_started wait_app browser "$APPS_TIMEOUT_S"
    d=$(ssh_hog_unit_dir)
    check hog_in_login_session wait_until "$APPS_TIMEOUT_S" grep -q '^populated 1' "$d/cgroup.events"
    rec hog_cgroup "${d#/sys/fs/cgroup}"
    browser=$(app_unit browser)
    rec browser_unit "$browser"
    hog_go sshhog
    # The hog grows from the login session until memory runs short; the agent answers in its log.
    if wait_until "$STORM_TIMEOUT_S" agent_said_out_of_reach; then pass agent_named_the_hog; else fail agent_named_the_hog; fi
    rec seconds_to_word "$(secs_between "$T0" "$(now_ms)")"
    line=$(agent_log | grep -m1 "which Headroom cannot stop" | sed 's/^[^:]*: //')
    rec agent_said "$line"
    expect_match names_process_and_session "$line" 'node \(pid [0-9]+\) in your login session 99'
    echo 1 >"$d/cgroup.kill" 2>/dev/null
    wait_until 60 eval '! grep -q "^populated 1" "'"$d"'/cgroup.events"'
    paced_sleep 2
    check browser_survived unit_populated "$browser"
    expect no_killed_signal "$(mon_count "$MON_FILE" Killed)" 0
    rec state_trail "$(state_trail "$MON_FILE")"
    storm_assert_oom
    monitor_stop
    settle
    scen_end
}


# ---- pause: a slow leak with zram still taking memory is paused through the real user manager
# (FreezeUnit: FreezerState frozen) and asked about in dunst; Resume, clicked there, thaws it
# (ThawUnit). A second leak, left unanswered, is stopped at its deadline. ----
# agent_logged TEXT: the agent's journal of this boot has a line holding TEXT
agent_logged() { agent_log | grep -qF -- "$1"; }
freezer_state() { as_lab systemctl --user show -P FreezerState "$1" 2>/dev/null; }
# pause_leak NAME: a leak of ~40 MiB/s (hog.js fills each MiB with one byte value: zram keeps such
# pages for nothing, so swap goes on taking memory) in its own scope; sets LEAK_UNIT
pause_leak() {
    app_start "$1" "$HR" run --id "$1" -- sh -c "$GATE_SH" "$(gate_file "$1")" "$FIX/hog.js" 64 4 100
    check "${1}_scope_started" wait_scope "$1" "$APPS_TIMEOUT_S"
    LEAK_UNIT=$(app_unit "$1")
    rec "${1}_unit" "$LEAK_UNIT"
    hog_go "$1"
}
scenario_pause() {
    scen_begin pause
    local dev d cfg=$LAB_HOME/.config/headroom/config.toml paused_s
    storm_preflight || { scen_end; return; }
    if ! dev=$(zram_swap 2G); then
        fail zram_swap_on
        scen_end
        return
    fi
    pass zram_swap_on
    check notify_server_up notify_server_start
    monitor_launch pause
    check monitor_ready monitor_ready

    # 1. Paused, asked, resumed through dunst.
    pause_leak leaky
    check paused_by_agent wait_until "$(paced 180)" agent_logged "paused $LEAK_UNIT (systemd)"
    paused_s=$(secs_between "$T0" "$(now_ms)")
    rec paused_after_seconds "$paused_s"
    expect freezer_state_frozen "$(freezer_state "$LEAK_UNIT")" frozen
    d=$(unit_dir "$LEAK_UNIT")
    check cgroup_frozen grep -q '^frozen 1' "$d/cgroup.events"
    check paused_notice_sent wait_until 15 grep -q 'is paused: memory is nearly full' "$LAB_OUT/notify-wire.txt"
    notify_call 'is paused: memory is nearly full' >"$LAB_OUT/notify-pause-call.txt"
    check notice_offers_resume grep -q 'string "Resume"' "$LAB_OUT/notify-pause-call.txt"
    check notice_offers_force_quit grep -q 'string "Force quit"' "$LAB_OUT/notify-pause-call.txt"
    paced_sleep 1 # let dunst draw it
    echo "Resume" >"$NOTIFY_DIR/pick"
    as_lab env DISPLAY=:9 dunstctl context
    check resumed_by_click wait_until "$(paced 30)" agent_logged "resumed $LEAK_UNIT: resumed on request"
    expect freezer_state_running "$(freezer_state "$LEAK_UNIT")" running
    check cgroup_thawed grep -q '^frozen 0' "$d/cgroup.events"
    check still_running unit_populated "$LEAK_UNIT"
    unit_kill "$LEAK_UNIT"
    settle

    # 2. Paused, no answer within the (shortened) answer time: stopped at its deadline.
    printf '[pause]\nanswer_seconds = 15\n' | as_lab tee "$cfg" >/dev/null
    as_lab systemctl --user reload "$AGENT_UNIT"
    check reloaded wait_until "$(paced 30)" agent_logged 'reloaded the config'
    pause_leak leaky2
    check paused2_by_agent wait_until "$(paced 180)" agent_logged "paused $LEAK_UNIT (systemd)"
    storm_watch Killed "$LEAK_UNIT" "$(paced 90)"
    storm_assert Killed "$LEAK_UNIT" leaky2 killed
    check stopped_for_no_answer eval "mon_event '$MON_FILE' Killed | grep -q 'no answer came'"
    check leak_gone unit_gone "$LEAK_UNIT"
    expect one_kill_only "$(mon_count "$MON_FILE" Killed)" 1
    storm_assert_oom
    rm -f "$cfg"
    as_lab systemctl --user reload "$AGENT_UNIT"
    monitor_stop
    notify_server_stop
    settle
    timeout 120 swapoff "$dev" && zramctl --reset "$dev"
    scen_end
}

failed=0
lab_measure_pace boot
for s in ${LAB_SCENARIOS:-install}; do
    lab_measure_pace # the host's load may have changed since the last scenario
    echo "scenario $s: pace ${LAB_PACE_PCT} %"
    if declare -F "scenario_$s" >/dev/null; then
        "scenario_$s" || failed=$((failed + 1))
    else
        echo "no such scenario: $s"
        failed=$((failed + 1))
    fi
done
agent_log >"$LAB_OUT/agent.log"
dmesg >"$LAB_OUT/dmesg.txt" 2>&1
echo "scenarios failed: $failed"
[ "$failed" -eq 0 ]

