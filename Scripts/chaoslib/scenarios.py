"""The fault scenarios of ./Scripts/chaos. Each trial starts its own processes, breaks
something, lets the system recover, and counts executions from the record file (every
`tasks.record` appends "<task id> <pid>"), never from results."""

import os
import random
import re
import shutil
import signal
import subprocess
import time

from . import common as c


class Row:
    def __init__(self, scenario, broker, time_label):
        self.scenario, self.broker, self.time_label = scenario, broker, time_label
        self.trials = self.tasks = self.lost = self.twice = self.expected_twice = 0
        self.max_time = 0.0
        self.missed = []   # target misses, one short text each
        self.notes = []    # facts worth printing (not misses)
        self.skipped = None

    def add_miss(self, trial, text):
        if len(self.missed) < 8:
            self.missed.append(text if trial is None else f"trial {trial}: {text}")
        elif len(self.missed) == 8:
            self.missed.append("…")


def record_path(workdir, tag):
    path = os.path.join(workdir, f"record-{tag}.txt")
    if os.path.exists(path):
        os.unlink(path)
    return path


def count_trial(row, trial, broker, ids, path, workdir, tag, expected=frozenset(),
                need_drain=True):
    """Drain what came back, count, add to the row. `expected`: ids allowed to run twice."""
    if need_drain:
        c.drain(broker, ids, path, workdir, tag)
    runs, lost, twice, stuck = c.tally(path, ids, broker)
    unexpected = [i for i in twice if i not in expected]
    row.trials += 1
    row.tasks += len(ids)
    row.lost += len(lost)
    row.twice += len(twice)
    row.expected_twice += len(twice) - len(unexpected)
    if lost:
        row.add_miss(trial, f"{len(lost)} lost, e.g. {lost[0]} (logs in {workdir})")
    if unexpected:
        row.add_miss(trial, f"{len(unexpected)} run twice that were not running at the fault,"
                            f" e.g. {unexpected[0]} (logs in {workdir})")
    if stuck:
        row.add_miss(trial, f"{len(stuck)} never ran and are still in the queue after the "
                            f"drain (logs in {workdir})")
    return runs


# --------------------------------------------------------------------------------------------
# 1. SIGTERM while draining.

def sigterm(broker, workdir, trials, quick):
    row = Row("SIGTERM while draining", broker.name, "exit after SIGTERM")
    count, seconds = 24, 0.1
    for trial in range(trials):
        tag = f"sigterm-{broker.name}-{trial}"
        broker.reset(tag)
        path = record_path(workdir, tag)
        ids = c.send(broker.urls(), path, seconds, count)
        proc = c.worker(broker.urls(), os.path.join(workdir, f"{tag}.log"))
        if not c.wait_lines(path, int(count * 0.2), 60, proc):
            row.add_miss(trial, "the worker did not start tasks: " + c.tail(proc.log_path, 3))
        time.sleep(random.uniform(0, 0.1))
        exit_seconds, hung = c.terminate(proc, timeout=30)
        row.max_time = max(row.max_time, exit_seconds)
        if hung:
            row.add_miss(trial, f"no exit within 30 s of SIGTERM ({proc.log_path})")
        elif exit_seconds > 1.0:
            row.add_miss(trial, f"exit took {exit_seconds:.2f} s ({proc.log_path})")
        if proc.returncode not in (0, None) and not hung:
            row.add_miss(trial, f"exit status {proc.returncode} ({proc.log_path})")
        count_trial(row, trial, broker, ids, path, workdir, tag)
    return row


# --------------------------------------------------------------------------------------------
# 2. SIGKILL of the supervisor mid-burst, then a new supervisor.

def supervisor_kill(broker, workdir, trials, quick):
    row = Row("SIGKILL supervisor, new one", broker.name, "kill to all results")
    count, seconds, lease = 30, 0.1, 2
    for trial in range(trials):
        tag = f"supkill-{broker.name}-{trial}"
        broker.reset(tag)
        path = record_path(workdir, tag)
        ids = c.send(broker.urls(), path, seconds, count)
        proc = c.worker(broker.urls(), os.path.join(workdir, f"{tag}.log"), lease=lease)
        c.wait_lines(path, int(count * random.uniform(0.15, 0.6)), 60, proc)
        killed_at = time.monotonic()
        os.kill(proc.pid, signal.SIGKILL)  # the supervisor only: children go by PDEATHSIG
        c.reap(proc)
        time.sleep(0.3)
        c.kill_group(proc)  # nothing of it may linger
        # Tasks running at the kill: recorded, but no result stored (results and the
        # acknowledgement commit together, so these are exactly the unacknowledged ones).
        done = broker.results(ids)
        recorded = {task_id for task_id, _ in c.record_lines(path)}
        running = {i for i in recorded if done.get(i) not in c.FINAL}
        fresh = c.worker(broker.urls(), os.path.join(workdir, f"{tag}-new.log"), lease=lease)
        ok, _ = c.wait_final(broker, ids, timeout=60, idle=3 * lease + 4, progress_path=path)
        row.max_time = max(row.max_time, time.monotonic() - killed_at)
        if not ok:
            row.add_miss(trial, f"not every task had a result 60 s after the kill "
                                f"({fresh.log_path})")
        c.terminate(fresh, 30)
        count_trial(row, trial, broker, ids, path, workdir, tag, expected=running,
                    need_drain=not ok)
    row.notes.append(f"{row.expected_twice} run twice were running at the kill (expected: "
                     f"acks-late, at-least-once)")
    return row


# --------------------------------------------------------------------------------------------
# 3. SIGKILL of random children during a burst.

def child_kill(broker, workdir, trials, quick):
    row = Row("SIGKILL random children", broker.name, "last kill to all results")
    count, seconds, kills = 40, 0.1, 4
    for trial in range(trials):
        tag = f"childkill-{broker.name}-{trial}"
        broker.reset(tag)
        path = record_path(workdir, tag)
        ids = c.send(broker.urls(), path, seconds, count)
        proc = c.worker(broker.urls(), os.path.join(workdir, f"{tag}.log"), concurrency=3,
                        extra=["--restart-backoff-min", "0.05", "--restart-backoff-max", "0.2"])
        c.wait_lines(path, 3, 60, proc)
        killed = []
        last_kill = time.monotonic()
        for _ in range(kills):
            time.sleep(random.uniform(0.1, 0.4))
            if c.count_lines(path) >= count:
                break
            children = c.children_of(proc.pid)
            if not children:
                continue
            victim = random.choice(children)
            try:
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)
                last_kill = time.monotonic()
            except ProcessLookupError:
                pass
        ok, _ = c.wait_final(broker, ids, timeout=60, idle=10, progress_path=path)
        row.max_time = max(row.max_time, time.monotonic() - last_kill)
        if proc.poll() is not None:
            row.add_miss(trial, f"the supervisor exited ({proc.returncode}): {proc.log_path}")
        c.terminate(proc, 30)
        # A killed child's task is its last recorded line: those may run twice.
        lines = c.record_lines(path)
        last_by_pid = {}
        for task_id, pid in lines:
            last_by_pid[pid] = task_id
        expected = {last_by_pid[p] for p in killed if p in last_by_pid}
        runs = count_trial(row, trial, broker, ids, path, workdir, tag, expected=expected,
                           need_drain=not ok)
        states = broker.results(ids)
        failed = [i for i in ids if states.get(i) != "SUCCESS" and runs[i] > 0]
        if failed:
            row.add_miss(trial, f"{len(failed)} ran but did not end in SUCCESS, e.g. "
                                f"{failed[0]}={states.get(failed[0])} ({proc.log_path})")
    row.notes.append(f"{row.expected_twice} run twice were running in a killed child "
                     f"(expected: acks-late + reject-on-worker-lost, cap 3 redeliveries)")
    return row


# --------------------------------------------------------------------------------------------
# 4. Redis SIGKILLed and restarted (appendonly yes, appendfsync always) mid-burst.

def redis_restart(broker, workdir, trials, quick):
    row = Row("Redis SIGKILL + restart (AOF)", "redis", "restart to all results")
    count, seconds = 40, 0.05
    for trial in range(trials):
        tag = f"redis-restart-{trial}"
        broker.reset(tag)
        path = record_path(workdir, tag)
        ids = c.send(broker.urls(), path, seconds, count)
        proc = c.worker(broker.urls(), os.path.join(workdir, f"{tag}.log"))
        c.wait_lines(path, int(count * random.uniform(0.1, 0.5)), 60, proc)
        broker.server.kill()
        broker.client.close()
        running_at_kill = {task_id for task_id, _ in c.record_lines(path)}
        time.sleep(random.uniform(0.3, 1.5))
        broker.server.start(broker.client)
        restarted = time.monotonic()
        ok, _ = c.wait_final(broker, ids, timeout=60, idle=12, progress_path=path)
        row.max_time = max(row.max_time, time.monotonic() - restarted)
        if proc.poll() is not None:
            row.add_miss(trial, f"the supervisor exited ({proc.returncode}): {proc.log_path}")
        elif not ok:
            row.add_miss(trial, f"the worker did not finish the burst after the restart "
                                f"({proc.log_path})")
        c.terminate(proc, 30)
        # Anything recorded before the kill may legitimately run again (its result or
        # acknowledgement may not have reached Redis); run twice is reported, not a target.
        done = broker.results(ids)
        expected = {i for i in running_at_kill}
        count_trial(row, trial, broker, ids, path, workdir, tag, expected=expected,
                    need_drain=not ok)
        missing = [i for i in ids if done.get(i) not in c.FINAL]
        if ok and missing:
            row.add_miss(trial, f"{len(missing)} without a final result")
    row.notes.append(f"{row.expected_twice} run twice had started before Redis died "
                     f"(allowed: at-least-once)")
    return row


# --------------------------------------------------------------------------------------------
# 5. A real network partition between three network namespaces.

# Names carry this run's pid, so that two campaigns (two worktrees) never share a namespace.
RUN = os.getpid() % 100000
NS = {"r": f"chaos{RUN}-redis", "a": f"chaos{RUN}-sup-a", "b": f"chaos{RUN}-sup-b"}
NET = {"a": ("192.168.77.1", "192.168.77.2"), "b": ("192.168.78.1", "192.168.78.2")}


def ip(*args, netns=None, check=True):
    argv = ["ip", *(["netns", "exec", netns, "ip"] if netns else []), *args]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {done.stderr.strip()}")
    return done


def veth(end, side):
    return f"c{RUN}{end}{side}"  # at most 8 characters (the limit is 15)


def netns_teardown():
    for name in NS.values():
        subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10)


def netns_setup():
    """Three namespaces; a veth pair links each supervisor's to Redis's, on private
    addresses that exist only inside these namespaces."""
    netns_teardown()
    for name in NS.values():
        ip("netns", "add", name)
        ip("link", "set", "lo", "up", netns=name)
    for side in ("a", "b"):
        redis_end, sup_end = veth("r", side), veth("s", side)
        ip("link", "add", redis_end, "type", "veth", "peer", "name", sup_end)
        ip("link", "set", redis_end, "netns", NS["r"])
        ip("link", "set", sup_end, "netns", NS[side])
        redis_addr, sup_addr = NET[side]
        ip("addr", "add", f"{redis_addr}/30", "dev", redis_end, netns=NS["r"])
        ip("addr", "add", f"{sup_addr}/30", "dev", sup_end, netns=NS[side])
        ip("link", "set", redis_end, "up", netns=NS["r"])
        ip("link", "set", sup_end, "up", netns=NS[side])


def set_cut(side, cut):
    """Drops every packet on the supervisor's link (a silent partition, as between hosts)
    when tc/netem is there; else sets the link down."""
    dev = veth("s", side)
    if shutil.which("tc"):
        if cut:
            done = subprocess.run(["ip", "netns", "exec", NS[side], "tc", "qdisc", "add", "dev",
                                   dev, "root", "netem", "loss", "100%"], capture_output=True)
            if done.returncode == 0:
                return "netem loss 100%"
        else:
            subprocess.run(["ip", "netns", "exec", NS[side], "tc", "qdisc", "del", "dev", dev,
                            "root"], capture_output=True)
    ip("link", "set", dev, "down" if cut else "up", netns=NS[side])
    return "link down"


class NetnsRedisBroker(c.RedisBroker):
    """Redis inside its namespace; this script reaches it only through `ip netns exec`
    (a localhost-only relay would break the isolation) — so results are read with redis-cli."""
    name = "redis"

    def __init__(self, workdir):
        self.workdir = workdir
        self.server = c.RedisServer(workdir, port=6379, netns=NS["r"], bind="0.0.0.0")
        self.server.start()
        deadline = time.monotonic() + 10
        while self.cli("PING").strip() != "PONG":
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server in its namespace did not start:\n" +
                                   c.tail(self.server.proc.log_path))
            time.sleep(0.05)

    def cli(self, *args, db=0):
        done = subprocess.run(["ip", "netns", "exec", NS["r"], "redis-cli", "-n", str(db),
                               *args], capture_output=True, text=True, timeout=20)
        return done.stdout

    def urls(self, side=None):
        host = NET[side][0] if side else "127.0.0.1"
        return ["--broker", f"redis://{host}:6379/0", "--backend", f"redis://{host}:6379/1"]

    def reset(self, trial):
        self.cli("FLUSHALL")

    def waiting_ids(self):
        ids = set()
        keys = ["celery"] + self.cli("KEYS", "celeriac.processing.*").split()
        for key in keys:
            for raw in self.cli("LRANGE", key, "0", "-1").splitlines():
                ids.add(c.message_id(raw))
        return ids

    def results(self, ids):
        ids = list(ids)
        out = {}
        for start in range(0, len(ids), 200):
            chunk = ids[start:start + 200]
            values = self.cli("MGET", *[f"celery-task-meta-{i}" for i in chunk], db=1)
            for task_id, raw in zip(chunk, values.splitlines()):
                if raw.startswith("{"):
                    out[task_id] = c.json.loads(raw).get("status")
        return out

    def close(self):
        self.server.kill()


def partition(workdir, trials, quick):
    row = Row("network partition (netns)", "redis", "restore to cut-off serving")
    if not shutil.which("ip"):
        row.skipped = "skipped: iproute2 (`ip`) is not installed"
        return row
    try:
        netns_setup()
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
        netns_teardown()
        row.skipped = f"skipped: cannot create network namespaces here ({error})"
        return row
    broker = None
    try:
        broker = NetnsRedisBroker(workdir)
        lease = 2
        count, seconds = 40, 0.25
        methods = set()
        stalls = []
        takeovers = []
        reconnects = []
        max_cut = 0.0
        for trial in range(trials):
            tag = f"partition-{trial}"
            broker.reset(tag)
            path = record_path(workdir, tag)
            in_r = ["ip", "netns", "exec", NS["r"]]
            ids = c.send(broker.urls(), path, seconds, count, prefix=in_r)
            procs = {}
            for side in ("a", "b"):
                procs[side] = c.worker(
                    broker.urls(side), os.path.join(workdir, f"{tag}-{side}.log"), lease=lease,
                    prefix=["ip", "netns", "exec", NS[side]], name=f"chaos-{side}@netns",
                    extra=["--broker-startup-timeout", "30"])
            for side in ("a", "b"):
                c.wait_for_log(procs[side], "all pools ready", 60)
            a_children = set(c.children_of(procs["a"].pid))
            c.wait_lines(path, int(count * 0.25), 60)
            methods.add(set_cut("a", True))
            cut_at = time.monotonic()
            # While A is cut off: B must take A's tasks back once A's lease runs out; and A's
            # loop must stay responsive (no broker call may hold it past the lease): SIGUSR1
            # after 1.5 leases must be answered (its "pool celery:" dump) within a lease.
            cut_seconds = random.uniform(3 * lease, 6 * lease)
            max_cut = max(max_cut, cut_seconds)
            took_over = False
            probe_sent = probe_answered = None
            dumps_before = c.log_text(procs["a"]).count("pool celery:")
            while time.monotonic() - cut_at < cut_seconds:
                now = time.monotonic()
                if not took_over and "tasks of a lost worker" in c.log_text(procs["b"]):
                    took_over = True
                    takeovers.append(now - cut_at)
                if probe_sent is None and now - cut_at >= 1.5 * lease:
                    os.kill(procs["a"].pid, signal.SIGUSR1)
                    probe_sent = now
                if (probe_sent is not None and probe_answered is None and
                        c.log_text(procs["a"]).count("pool celery:") > dumps_before):
                    probe_answered = now - probe_sent
                time.sleep(0.05)
            if probe_answered is None:
                stalls.append(f"trial {trial}: no answer to SIGUSR1 during the "
                              f"{cut_seconds - 1.5 * lease:.1f} s left of the cut")
            elif probe_answered > lease:
                stalls.append(f"trial {trial}: SIGUSR1 answered after {probe_answered:.1f} s")
            took_over = took_over or "tasks of a lost worker" in c.log_text(procs["b"])
            set_cut("a", False)
            restored = time.monotonic()
            lines_at_restore = c.count_lines(path)
            # A must find its broker again by itself; the second burst waits for that, so
            # that it is not a race between A's reconnect backoff and B draining the burst.
            if c.wait_for_log(procs["a"], "broker is back", 30):
                reconnects.append(time.monotonic() - restored)
            else:
                row.add_miss(trial, "A did not reach its broker within 30 s of the restore")
            # A second burst, so that A has work again after the link returns.
            ids2 = c.send(broker.urls(), path, seconds, count, prefix=in_r)
            all_ids = ids + ids2
            ok, _ = c.wait_final(broker, all_ids, timeout=90, idle=15, progress_path=path)
            # Does A serve again (without a restart)? Lines from A's children after restore.
            a_children |= set(c.children_of(procs["a"].pid))
            served_again = None
            lines = c.record_lines(path)
            second = set(ids2)
            for task_id, pid in lines:
                if task_id in second and pid in a_children:
                    served_again = True
                    break
            serve_seconds = time.monotonic() - restored
            if served_again:
                row.max_time = max(row.max_time, serve_seconds if not ok else
                                   min(serve_seconds, time.monotonic() - restored))
            a_log = c.log_text(procs["a"])
            fenced = "lease ran out" in a_log
            for side in ("a", "b"):
                if procs[side].poll() is not None:
                    row.add_miss(trial, f"supervisor {side.upper()} exited "
                                        f"({procs[side].returncode}): {procs[side].log_path}")
            for side in ("a", "b"):
                c.terminate(procs[side], 30)
            if not took_over:
                row.add_miss(trial, "B did not take A's tasks back during the cut")
            # Fencing itself is checked below (`late`): A must start nothing B took back. A
            # logs "lease ran out" only when it still held reserved or running deliveries; a
            # cut that found it with outcomes pending is fenced silently (its acknowledgements
            # LREM its own list, where the messages no longer are).
            if not served_again:
                row.add_miss(trial, "A ran none of the second burst after the link returned")
            if not ok:
                row.add_miss(trial, "not every task had a result 90 s after the restore")
            # Tasks A was running at the cut may run twice (B re-ran them); a result must
            # still exist once per task: MGET gives one value per key, so check states.
            states = broker.results(all_ids)
            not_success = [i for i in all_ids if states.get(i) != "SUCCESS"]
            # Only what A was running when it was cut off may run twice; a task A *starts*
            # after the link returns that B had taken back is a fencing failure.
            expected = {t for t, p in lines[:lines_at_restore] if p in a_children}
            successes = {}
            for side in ("a", "b"):
                found = re.search(r"exiting \(clean\): (\d+) succeeded",
                                  c.log_text(procs[side]))
                successes[side] = int(found.group(1)) if found else None
            row.notes.append(f"trial {trial}: A ran {successes['a']} tasks, B {successes['b']}, "
                             f"for {len(all_ids)}; A fenced itself: {'yes' if fenced else 'no'}")
            late = [t for t, p in lines[lines_at_restore:] if p in a_children
                    and t in {u for u, q in lines if q not in a_children}]
            if late:
                row.add_miss(trial, f"A started {len(late)} tasks after the link returned that B "
                                    f"had taken back and ran (never 'lease ran out'), e.g. "
                                    f"{late[0]}")
            count_trial(row, trial, broker, all_ids, path, workdir, tag,
                        expected=expected, need_drain=False)
            if not_success and ok:
                row.add_miss(trial, f"{len(not_success)} not SUCCESS")
        row.notes.append(f"partition by {', '.join(sorted(methods))} for {3 * lease}-"
                         f"{6 * lease} s (longest {max_cut:.1f} s), lease {lease} s; "
                         f"{row.expected_twice} run twice were running in A at the cut; B took "
                         f"A's tasks back {max(takeovers, default=0):.1f} s after the cut at most; "
                         f"A reached its broker {max(reconnects, default=0):.1f} s after the "
                         f"restore at most")
        if stalls:
            row.add_miss(None, f"A's loop was held past the lease by a broker call while cut "
                              f"off in {len(stalls)}/{trials} trials ({'; '.join(stalls[:3])})")
    finally:
        c.cleanup_processes()
        if broker is not None:
            broker.close()
        netns_teardown()
    return row


# --------------------------------------------------------------------------------------------
# 6. SQLite on a small tmpfs that fills up.

def disk_full(workdir, trials, quick):
    row = Row("SQLite on a full tmpfs", "sqlite", "space freed to all results")
    mount = os.path.join(workdir, "tmpfs")
    os.makedirs(mount, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", mount],
                          capture_output=True, text=True)
    if done.returncode != 0:
        row.skipped = f"skipped: cannot mount a tmpfs ({(done.stderr.strip().splitlines() or ['?'])[0]})"
        return row
    try:
        broker = c.SQLiteBroker(workdir, directory=mount)
        count, seconds = 40, 0.05
        for trial in range(trials):
            tag = f"diskfull-{trial}"
            broker.reset(tag)
            path = record_path(workdir, tag)  # outside the tmpfs
            ids = c.send(broker.urls(), path, seconds, count)
            proc = c.worker(broker.urls(), os.path.join(workdir, f"{tag}.log"))
            c.wait_lines(path, 5, 60, proc)
            filler = os.path.join(mount, "filler")
            fill(filler)
            # A producer on the full disk must fail with a clear error, not trap.
            full_send = subprocess.run(
                [c.BINARY, "send", "tasks.record", path, "0", *broker.urls(), "--count", "50"],
                capture_output=True, text=True, timeout=60)
            send_ids = full_send.stdout.split() if full_send.returncode == 0 else []
            if full_send.returncode not in (0, 1):
                row.add_miss(trial, f"`celeriac send` on a full disk exited "
                                    f"{full_send.returncode}: {full_send.stderr.strip()[:200]}")
            elif full_send.returncode == 1 and "full" not in full_send.stderr.lower():
                row.notes.append(f"send on a full disk said: {full_send.stderr.strip()[:120]}")
            time.sleep(2.0)
            if proc.poll() is not None:
                row.add_miss(trial, f"the supervisor exited while the disk was full "
                                    f"({proc.returncode}): {proc.log_path}")
            text = c.log_text(proc).lower()
            if "full" not in text and count_lines(path) < count:
                row.add_miss(trial, f"no clear 'disk is full' error in the log ({proc.log_path})")
            os.unlink(filler)
            freed = time.monotonic()
            all_ids = ids + send_ids
            ok, _ = c.wait_final(broker, all_ids, timeout=60, idle=12, progress_path=path)
            row.max_time = max(row.max_time, time.monotonic() - freed)
            alive = proc.poll() is None
            c.terminate(proc, 30)
            if alive and not ok:
                row.add_miss(trial, f"the worker did not finish once space was freed "
                                    f"({proc.log_path})")
            count_trial(row, trial, broker, all_ids, path, workdir, tag, need_drain=not ok)
            row.notes.append(f"trial {trial}: send on the full disk exited "
                             f"{full_send.returncode}"
                             + (f" ({full_send.stderr.strip().splitlines()[-1][-160:]})"
                                if full_send.stderr.strip() else ""))
        broker.close()
    finally:
        subprocess.run(["umount", "-l", mount], capture_output=True)
    return row


def count_lines(path):
    return c.count_lines(path)


def fill(path):
    """Writes until the file system says ENOSPC (unbuffered, so nothing fails later)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for size in (1 << 16, 4096, 512):
            block = b"\0" * size
            try:
                while True:
                    os.write(fd, block)
            except OSError:
                pass
    finally:
        os.close(fd)
