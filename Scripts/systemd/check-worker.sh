#!/usr/bin/env bash
# check-worker.sh OUT - runs INSIDE the container that Scripts/systemd-check boots with
# run-under-systemd.sh (systemctl and journalctl talk to the container's systemd 252).
# OUT is bound read-write from the host; OUT/stage holds the binary, the units and this
# script. Prints one PASS/FAIL line per check; exits non-zero on any failure.
# Every wait is a poll with a deadline: no sleep stands in for synchronisation.
set -euo pipefail
OUT=${1:?usage: check-worker.sh OUT}
STAGE=$OUT/stage
U=${SD_UNIT:-celeriac-worker.service}
C=/usr/local/bin/celeriac
STATE=/var/lib/celeriac
failures=0

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
note() { echo "      $*"; }
prop() { systemctl show "${2:-$U}" -p "$1" --value; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# wait_until SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds or time is up.
wait_until() {
  local deadline=$(($(now_ms) + $1 * 1000))
  shift
  until "$@"; do
    (($(now_ms) < deadline)) || return 1
    sleep 0.1
  done
}

children() { { pgrep -P "$1" || true; } | sort -n | tr '\n' ' ' | sed 's/ $//'; }
count_words() { wc -w <<<"$1" | tr -d ' '; }
is_state() { [ "$(prop ActiveState "${2:-$U}")" = "$1" ]; }
# The journal of the unit after CURSOR (short-precise), or all of it.
journal_after() {
  if [ -n "${1:-}" ]; then
    journalctl -u "${2:-$U}" --no-pager -o short-precise --after-cursor="$1"
  else
    journalctl -u "${2:-$U}" --no-pager -o short-precise
  fi
}
cursor() { journalctl -u "$U" -n 1 -q --show-cursor -o cat | sed -n 's/^-- cursor: //p'; }
journal_has() { journal_after "$1" "${3:-$U}" | grep -qF -- "$2"; }
# Every task id in file $1 has a SUCCESS result?
all_success() {
  local id
  while read -r id; do
    "$C" result "$id" 2>/dev/null | grep -q '^SUCCESS' || return 1
  done <"$1"
}
lines_at_least() { [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]; }

# --- install the real units unchanged; test values only in a drop-in ---------------------
install -m 0755 "$STAGE/celeriac" "$C"
install -d -m 0755 /etc/celeriac
install -m 0600 "$STAGE/units/celeriac.env" /etc/celeriac/celeriac.env
install -m 0644 "$STAGE/units/celeriac-worker@.service" "$STAGE/units/celeriac-beat.service" \
  /etc/systemd/system/
systemctl daemon-reload
broker=$(sed -n 's/^CELERIAC_BROKER_URL=//p' /etc/celeriac/celeriac.env)
export CELERIAC_BROKER_URL=$broker

if verify=$(systemd-analyze verify /etc/systemd/system/celeriac-worker.service \
  /etc/systemd/system/celeriac-worker@.service /etc/systemd/system/celeriac-beat.service 2>&1) \
  && [ -z "$verify" ]; then
  pass "systemd-analyze verify: celeriac-worker.service, celeriac-worker@.service, celeriac-beat.service"
else
  fail "systemd-analyze verify: $verify"
fi

install -d /etc/systemd/system/"$U".d
cat >/etc/systemd/system/"$U".d/50-systemd-check.conf <<'EOF'
# test-only values (Scripts/systemd-check)
[Service]
WatchdogSec=3s
RestartSec=1s
Environment=CELERIAC_TEST_HANG_ON_USR2=1
EOF
systemctl daemon-reload

# --- 1. start returns only after READY=1 --------------------------------------------------
t0=$(now_ms)
if systemctl start "$U"; then start_rc=0; else start_rc=$?; fi
t1=$(now_ms)
main=$(prop MainPID)
kids=$(children "$main")
status=$(prop StatusText)
exec_start=$(prop ExecMainStartTimestampMonotonic)
active_enter=$(prop ActiveEnterTimestampMonotonic)
if [ "$start_rc" = 0 ] && is_state active && [ "$(prop SubState)" = running ] \
  && [ "$(count_words "$kids")" = 2 ] && [[ $status =~ ^celery:\ 0/2\ busy,\ [0-9]+\ queued$ ]] \
  && journal_has "" "all pools ready"; then
  pass "start: 'systemctl start' returned after $((t1 - t0)) ms with the unit active/running," \
    "READY=1 $(((active_enter - exec_start) / 1000)) ms after exec, 2 children up ($kids)," \
    "StatusText='$status'"
else
  fail "start: rc=$start_rc state=$(prop ActiveState)/$(prop SubState) children='$kids' StatusText='$status'"
fi
user=$(ps -o user= -p "$main" | tr -d ' ')
note "supervisor $main runs as user '$user' (uid $(ps -o uid= -p "$main" | tr -d ' ')), ExecStart: $(tr '\0' ' ' </proc/"$main"/cmdline)"

# --- 2. children do not inherit NOTIFY_SOCKET / WATCHDOG_* --------------------------------
env_of() { tr '\0' '\n' <"/proc/$1/environ"; }
main_env=$(env_of "$main" | grep -E '^(NOTIFY_SOCKET|WATCHDOG_USEC|WATCHDOG_PID)=' | sort | tr '\n' ' ')
leaked=""
for kid in $kids; do
  if env_of "$kid" | grep -qE '^(NOTIFY_SOCKET|WATCHDOG_[A-Z]+|LISTEN_[A-Z]+)='; then
    leaked="$leaked $kid"
  fi
done
if [[ $main_env == *NOTIFY_SOCKET=* && $main_env == *WATCHDOG_USEC=3000000* ]] && [ -z "$leaked" ]; then
  pass "environment: supervisor has ${main_env% }; children ($kids) have no NOTIFY_SOCKET/WATCHDOG_*"
else
  fail "environment: supervisor '$main_env', children leaking:${leaked:- none}"
fi

# --- 3. watchdog pings move WatchdogTimestamp ----------------------------------------------
w1=$(prop WatchdogTimestampMonotonic)
watchdog_moved() { [ "$(prop WatchdogTimestampMonotonic)" != "$w1" ]; }
if [ "$(prop WatchdogUSec)" = 3s ] && wait_until 5 watchdog_moved; then
  w2=$(prop WatchdogTimestampMonotonic)
  pass "watchdog: WatchdogUSec=3s, WatchdogTimestampMonotonic $w1 -> $w2 (+$(((w2 - w1) / 1000)) ms)"
else
  fail "watchdog: WatchdogUSec=$(prop WatchdogUSec), timestamp stuck at $w1"
fi

# --- 4. SIGKILL of a child is survived -----------------------------------------------------
restarts0=$(prop NRestarts)
victim=${kids%% *}
before_kill=$(cursor)
kill -KILL "$victim"
replaced() {
  local now
  now=$(children "$main")
  [ "$(count_words "$now")" = 2 ] && [[ " $now " != *" $victim "* ]] \
    && [[ $(prop StatusText) =~ ^celery:\ [0-9]/2\ busy ]]
}
if wait_until 20 replaced && is_state active && [ "$(prop NRestarts)" = "$restarts0" ] \
  && [ "$(prop MainPID)" = "$main" ] && journal_has "$before_kill" "child $victim of celery was killed by signal 9"; then
  kids=$(children "$main")
  pass "child SIGKILL: child $victim replaced (children now $kids), unit still active," \
    "MainPID $main, NRestarts=$restarts0"
else
  fail "child SIGKILL: state=$(prop ActiveState) NRestarts=$(prop NRestarts) MainPID=$(prop MainPID) children='$(children "$main")'"
fi

# --- 5. reload mid-burst: new children, every task exactly once, all SUCCESS ---------------
burst=60
record=$STATE/reload-record.txt
ids=$OUT/reload-ids.txt
rm -f "$record"
"$C" send tasks.record "$record" 0.1 --count "$burst" >"$ids"
old_kids=$(children "$main")
wait_until 20 lines_at_least "$record" 6 || true
ran_before=$(wc -l <"$record" 2>/dev/null || echo 0)
before_reload=$(cursor)
# A background poller records ActiveState while the reload runs: the new generation is up
# within ~0.1 s, too short to catch with polls after 'systemctl reload' has returned.
states=$OUT/reload-states.txt
(while :; do prop ActiveState; done) >"$states" 2>/dev/null &
poller=$!
reload_t0=$(now_ms)
systemctl reload "$U"
reload_rc_ms=$(($(now_ms) - reload_t0))
reload_done() { is_state active && journal_has "$before_reload" "reload complete"; }
if wait_until 30 reload_done; then reload_ok=1; else reload_ok=0; fi
reload_ms=$(($(now_ms) - reload_t0))
kill "$poller"
wait "$poller" 2>/dev/null || true
seen=$(uniq "$states" | tr '\n' ' ' | sed 's/ $//')
old_gone() {
  local now kid
  now=$(children "$main")
  [ "$(count_words "$now")" = 2 ] || return 1
  for kid in $old_kids; do [[ " $now " != *" $kid "* ]] || return 1; done
}
if wait_until 30 old_gone; then drained=1; else drained=0; fi
new_kids=$(children "$main")
if wait_until 60 all_success "$ids"; then results=1; else results=0; fi
sent=$(sort "$ids")
ran=$(awk '{print $1}' "$record" | sort)
dupes=$(uniq -d <<<"$ran" | wc -l | tr -d ' ')
missing=$(comm -23 <(echo "$sent") <(echo "$ran" | uniq) | wc -l | tr -d ' ')
by_new=0
for kid in $new_kids; do by_new=$((by_new + $(awk -v p="$kid" '$2 == p' "$record" | wc -l))); done
if [ "$reload_ok" = 1 ] && [ "$drained" = 1 ] && [ "$results" = 1 ] && [ "$dupes" = 0 ] \
  && [ "$missing" = 0 ] && [ "$(wc -l <"$record")" = "$burst" ] && [ "$(prop MainPID)" = "$main" ] \
  && [[ " $seen " == *" reloading "* ]] && [ "$by_new" -gt 0 ]; then
  pass "reload: 'systemctl reload' returned after $reload_rc_ms ms; ActiveState went '$seen';" \
    "reload complete (READY=1) after $reload_ms ms; children $old_kids -> $new_kids;" \
    "$burst tasks ($ran_before ran before the reload, $by_new in the new generation) each ran exactly once, all SUCCESS"
else
  fail "reload: ok=$reload_ok states='$seen' drained=$drained ($old_kids -> $new_kids) results=$results" \
    "lines=$(wc -l <"$record") dupes=$dupes missing=$missing by_new=$by_new MainPID=$(prop MainPID)"
fi
journal_after "$before_reload" | grep -vE 'succeeded in|SUCCESS' >"$OUT/journal-reload.txt" || true
systemctl status "$U" --no-pager -l >"$OUT/systemctl-status.txt" 2>&1 || true
echo "--- systemctl status $U (after the reload)"
cat "$OUT/systemctl-status.txt"
echo "--- journal of the reload"
cat "$OUT/journal-reload.txt"
echo "---"

# --- 6. a hung supervisor loop is killed by the watchdog and restarted ---------------------
main0=$(prop MainPID)
kids0=$(children "$main0")
restarts0=$(prop NRestarts)
before_hang=$(cursor)
hang_t0=$(now_ms)
systemctl kill -s USR2 --kill-whom=main "$U"
restarted() {
  local pid
  pid=$(prop MainPID)
  [ "$(prop NRestarts)" -gt "$restarts0" ] && is_state active && [ "$pid" != 0 ] \
    && [ "$pid" != "$main0" ]
}
if wait_until 30 restarted && journal_has "$before_hang" "Watchdog timeout" \
  && journal_has "$before_hang" "Failed with result 'watchdog'"; then
  orphans=""
  for kid in $kids0; do if kill -0 "$kid" 2>/dev/null; then orphans="$orphans $kid"; fi; done
  main=$(prop MainPID)
  if [ -z "$orphans" ]; then
    pass "watchdog restart: loop hung, killed by the watchdog, restarted in $(($(now_ms) - hang_t0)) ms" \
      "(NRestarts $restarts0 -> $(prop NRestarts), MainPID $main0 -> $main, old children $kids0 gone," \
      "StatusText='$(prop StatusText)')"
  else
    fail "watchdog restart: old children still alive:$orphans"
  fi
else
  fail "watchdog restart: state=$(prop ActiveState) NRestarts=$(prop NRestarts) MainPID=$(prop MainPID) Result=$(prop Result)"
fi
journal_after "$before_hang" >"$OUT/journal-watchdog.txt" || true
echo "--- journal of the watchdog restart"
cat "$OUT/journal-watchdog.txt"
echo "---"

# --- 7. stop during running tasks: they finish, the unit ends inactive/success -------------
record=$STATE/stop-record.txt
ids=$OUT/stop-ids.txt
rm -f "$record"
wait_until 20 is_state active || true
"$C" send tasks.record "$record" 3 --count 2 >"$ids"
if wait_until 20 lines_at_least "$record" 2; then
  stop_t0=$(now_ms)
  before_stop=$(cursor)
  if systemctl stop "$U"; then stop_rc=0; else stop_rc=$?; fi
  stop_ms=$(($(now_ms) - stop_t0))
  if [ "$stop_rc" = 0 ] && is_state inactive && [ "$(prop Result)" = success ] \
    && all_success "$ids" && journal_has "$before_stop" "Deactivated successfully"; then
    pass "stop: 'systemctl stop' with 2 tasks running waited $stop_ms ms; both SUCCESS;" \
      "unit $(prop ActiveState), Result=$(prop Result)"
  else
    fail "stop: rc=$stop_rc state=$(prop ActiveState) Result=$(prop Result) results:" \
      "$(while read -r id; do "$C" result "$id" 2>&1 | head -c 60; echo; done <"$ids" | tr '\n' ';')"
  fi
  journal_after "$before_stop" | grep -vE 'succeeded in' >"$OUT/journal-stop.txt" || true
else
  fail "stop: the 2 tasks never started"
fi

# --- 7b. EXTEND_TIMEOUT_USEC keeps a drain alive past TimeoutStopSec= ----------------------
printf '[Service]\nTimeoutStopSec=2s\n' >/etc/systemd/system/"$U".d/60-short-stop-timeout.conf
systemctl daemon-reload
record=$STATE/extend-record.txt
ids=$OUT/extend-ids.txt
rm -f "$record"
if systemctl start "$U" && "$C" send tasks.record "$record" 5 >"$ids" \
  && wait_until 20 lines_at_least "$record" 1; then
  stop_t0=$(now_ms)
  if systemctl stop "$U"; then stop_rc=0; else stop_rc=$?; fi
  stop_ms=$(($(now_ms) - stop_t0))
  if [ "$stop_rc" = 0 ] && [ "$stop_ms" -gt 2500 ] && is_state inactive \
    && [ "$(prop Result)" = success ] && all_success "$ids"; then
    pass "stop past TimeoutStopSec=2s: EXTEND_TIMEOUT_USEC kept the drain alive for $stop_ms ms;" \
      "the 5 s task SUCCESS, Result=success"
  else
    fail "stop past TimeoutStopSec=2s: rc=$stop_rc after $stop_ms ms, state=$(prop ActiveState)" \
      "Result=$(prop Result), task: $("$C" result "$(cat "$ids")" 2>&1 | head -c 80)"
  fi
else
  fail "stop past TimeoutStopSec=2s: could not start the unit or the task"
fi
rm -f /etc/systemd/system/"$U".d/60-short-stop-timeout.conf
systemctl daemon-reload

# --- 8. the per-queue template ----------------------------------------------------------------
T=celeriac-worker@images.service
if systemctl start "$T" && is_state active "$T"; then
  tstatus=$(prop StatusText "$T")
  tmain=$(prop MainPID "$T")
  targs=$(tr '\0' ' ' </proc/"$tmain"/cmdline)
  sum=$("$C" send tasks.add 2 3 -q images --wait --timeout 20 2>&1 || true)
  # A producer as the units' shared dynamic user (units/README.md, "Sending tasks").
  via=$(systemd-run --quiet --pipe --wait -p DynamicUser=yes -p User=celeriac \
    -p StateDirectory=celeriac -E CELERIAC_BROKER_URL="$broker" \
    "$C" send tasks.add 20 22 -q images --wait --timeout 20 </dev/null 2>&1 || true)
  if [[ $tstatus =~ ^images:\ 0/2\ busy ]] && [[ $targs == *"--queues images --hostname images@"* ]] \
    && [ "$sum" = 5 ] && [ "$via" = 42 ]; then
    pass "template: $T active, StatusText='$tstatus'; on queue images tasks.add 2 3 = $sum (root)," \
      "tasks.add 20 22 = $via (systemd-run as the dynamic user celeriac)"
  else
    fail "template: StatusText='$tstatus' args='$targs' add as root='$sum' add as celeriac='$via'"
  fi
  systemctl stop "$T"
  [ "$(prop Result "$T")" = success ] || fail "template: stop Result=$(prop Result "$T")"
else
  fail "template: $T did not start: $(prop ActiveState "$T")/$(prop Result "$T")"
fi

# --- 9. beat: READY, STATUS, WATCHDOG, publishing, HUP with a bad and a good file, stop ---
B=celeriac-beat.service
install -d /etc/systemd/system/"$B".d
printf '# test-only values (Scripts/systemd-check)\n[Service]\nWatchdogSec=3s\n' \
  >/etc/systemd/system/"$B".d/50-systemd-check.conf
systemctl daemon-reload
schedule=/etc/celeriac/beat-schedule.json
echo '{"entries": [{"name": "check-tick", "task": "tasks.noop", "every": 1, "queue": "beat-check"}]}' >"$schedule"
# `beat list` reads a copy: the unit's file is made invalid on purpose below.
cp "$schedule" "$OUT/beat-tick.json"
last_tick() {
  { "$C" beat list --schedule "$OUT/beat-tick.json" 2>/dev/null || true; } \
    | awk '$1 == "check-tick" { for (i = 1; i <= NF; i++) if ($i ~ /^last=/) print substr($i, 6) }'
}
bcursor() { journalctl -u "$B" -n 1 -q --show-cursor -o cat | sed -n 's/^-- cursor: //p'; }
t0=$(now_ms)
if systemctl start "$B"; then beat_rc=0; else beat_rc=$?; fi
t1=$(now_ms)
bstatus=$(prop StatusText "$B")
bmain=$(prop MainPID "$B")
buser=$(ps -o user= -p "$bmain" | tr -d ' ')
if [ "$beat_rc" = 0 ] && is_state active "$B" \
  && [[ $bstatus == "leader, 1 entries, next check-tick at "* ]]; then
  pass "beat start: 'systemctl start' returned after $((t1 - t0)) ms (READY=1 once the schedule" \
    "is loaded and the broker answers), StatusText='$bstatus', user '$buser'"
else
  fail "beat start: rc=$beat_rc state=$(prop ActiveState "$B")/$(prop Result "$B") StatusText='$bstatus'"
fi
tick1=$(last_tick)
tick_moved() { [ -n "$(last_tick)" ] && [ "$(last_tick)" != "$tick1" ]; }
bw1=$(prop WatchdogTimestampMonotonic "$B")
beat_watchdog_moved() { [ "$(prop WatchdogTimestampMonotonic "$B")" != "$bw1" ]; }
if wait_until 10 tick_moved && [ "$(prop WatchdogUSec "$B")" = 3s ] && wait_until 5 beat_watchdog_moved; then
  pass "beat running: check-tick last run ${tick1:-never} -> $(last_tick);" \
    "WatchdogUSec=3s and the scheduler loop's pings move WatchdogTimestamp"
else
  fail "beat running: last run '$tick1' -> '$(last_tick)', WatchdogUSec=$(prop WatchdogUSec "$B")"
fi
# HUP with a broken file keeps the old schedule; HUP with a good file switches to it.
before=$(bcursor)
echo '{"entries": [{"name": "bad", "task": "tasks.noop", "cron": "61 * * * *"}]}' >"$schedule"
systemctl reload "$B"
bad_kept() { journal_has "$before" "schedule not reloaded, keeping the old one" "$B"; }
tick2=$(last_tick)
tick_moved_again() { [ "$(last_tick)" != "$tick2" ]; }
if wait_until 10 bad_kept && is_state active "$B" && [ "$(prop MainPID "$B")" = "$bmain" ] \
  && journal_has "$before" "field 'cron': minute value 61 is out of range 0-59" "$B" \
  && wait_until 10 tick_moved_again; then
  pass "beat reload, bad file: old schedule kept (check-tick still runs), unit active, the" \
    "journal names the entry and the field"
else
  fail "beat reload, bad file: state=$(prop ActiveState "$B") MainPID=$(prop MainPID "$B")"
fi
before=$(bcursor)
echo '{"entries": [{"name": "check-tock", "task": "tasks.noop", "every": 1, "queue": "beat-check"}]}' >"$schedule"
systemctl reload "$B"
good_loaded() {
  journal_has "$before" "schedule reloaded: 1 file entries" "$B" \
    && [[ $(prop StatusText "$B") == *check-tock* ]]
}
if wait_until 10 good_loaded && is_state active "$B"; then
  pass "beat reload, good file: StatusText='$(prop StatusText "$B")'"
else
  fail "beat reload, good file: StatusText='$(prop StatusText "$B")'"
fi
before=$(bcursor)
if systemctl stop "$B" && is_state inactive "$B" && [ "$(prop Result "$B")" = success ] \
  && journal_has "$before" "beat: shutting down" "$B"; then
  pass "beat stop: inactive, Result=success, lease given up"
else
  fail "beat stop: state=$(prop ActiveState "$B") Result=$(prop Result "$B")"
fi
"$C" purge -Q beat-check >/dev/null 2>&1 || true

journalctl -u "$U" -u "$T" -u "$B" --no-pager -o short-precise >"$OUT/journal-all.txt" || true
echo "check-worker: $failures failure(s)"
[ "$failures" = 0 ]
