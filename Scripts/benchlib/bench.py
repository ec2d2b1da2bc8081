#!/usr/bin/env python3
"""Celeriac vs Celery 5, side by side on this machine: the harness behind Scripts/bench.

Everything runs on 127.0.0.1: one redis-server of our own (free port, no persistence), Celery
5 prefork -c 2 on it (broker db 0, results db 1), Celeriac -c 2 on a SQLite file, and
Celeriac -c 2 on the same Redis once `celeriac worker --broker redis://...` starts. See
Scripts/benchlib/README.md for how each figure is measured.
"""

import argparse
import atexit
import collections
import datetime
import json
import os
import platform
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# CELERIAC_BINARY / CELERIAC_BENCH_BINARY run other builds (e.g. a copy of the previous
# release build, with --no-build, for a before/after table).
CELERIAC = os.environ.get("CELERIAC_BINARY") or os.path.join(ROOT, ".build", "release", "celeriac")
CELERIAC_BENCH = (os.environ.get("CELERIAC_BENCH_BINARY")
                  or os.path.join(ROOT, ".build", "release", "celeriac-bench"))
# CELERIAC_BENCH_KEEP=1 keeps the working folder: the workers' logs and, for the
# instructions row, the callgrind outputs, to see where the supervisor's instructions go.
KEEP_WORKDIR = os.environ.get("CELERIAC_BENCH_KEEP") == "1"
VENV_PYTHON = os.path.join(ROOT, ".venv", "bin", "python")
CELERY = os.path.join(ROOT, ".venv", "bin", "celery")
CELERY_APP_DIR = os.path.join(ROOT, "Scripts", "benchlib", "celery_app")

# SPEC.md "Targets": Celery's figures measured on this 2-core machine, for the rows the
# --celeriac-only mode cannot measure itself.
SPEC_CELERY = {
    "enqueue": 3400.0, "drain": 1700.0, "rt_p50": 1.4, "spawn": 0.23, "pss": 80.0,
}

MEASURES = ["enqueue", "batch", "drain", "roundtrip", "spawn", "pss", "sigterm", "observe",
            "growth", "instructions"]

# The drains of `observe`: what Celery's events (-E) and the Prometheus endpoint cost a
# Celeriac worker. None of the variants changes what the tasks do.
OBSERVE_VARIANTS = [("plain", []), ("-E", ["-E"]), ("--metrics-port", ["--metrics-port"]),
                    ("-E --metrics-port", ["-E", "--metrics-port"])]


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Processes we start (and only those) are tracked and ended at exit, by their own group id.

STARTED = []


def spawn(argv, log_path, env=None):
    handle = open(log_path, "ab")
    proc = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=handle, stderr=subprocess.STDOUT, env=env,
        start_new_session=True)
    handle.close()
    proc.log_path = log_path
    STARTED.append(proc)
    return proc


def kill_group(proc, sig=signal.SIGKILL):
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def cleanup():
    for proc in STARTED:
        if proc.poll() is None:
            kill_group(proc)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                pass


atexit.register(cleanup)


def on_signal(number, _frame):
    cleanup()
    sys.exit(128 + number)


def stop(proc, timeout=60.0):
    """SIGTERM to the main process only (as systemd's KillMode=mixed does); waits up to
    `timeout`, then SIGKILLs the whole group. Returns (seconds to exit, hung)."""
    if proc.poll() is not None:
        return 0.0, False
    start = time.monotonic()
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
        hung = False
    except subprocess.TimeoutExpired:
        hung = True
        kill_group(proc)
        proc.wait(10)
    seconds = time.monotonic() - start
    # Children that outlived their parent (they should not) go too.
    kill_group(proc)
    return seconds, hung


def tail(path, lines=15):
    try:
        with open(path, errors="replace") as handle:
            return "".join(handle.readlines()[-lines:])
    except OSError:
        return ""


def wait_for_log(proc, text, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(proc.log_path, errors="replace") as handle:
            if text in handle.read():
                return True
        if proc.poll() is not None:
            return False
        time.sleep(0.01)
    return False


def process_tree(root):
    children = collections.defaultdict(list)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        children[ppid].append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def memory_kib(pids):
    """Sums of smaps_rollup fields over `pids`: Pss, Rss and private (USS) kB."""
    total = collections.Counter()
    for pid in pids:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                field, _, rest = line.partition(":")
                if field in ("Pss", "Rss", "Private_Clean", "Private_Dirty", "Pss_Anon",
                             "Pss_File"):
                    total[field] += int(rest.split()[0])
    return total


def run_json(argv, env=None, timeout=600):
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(
            f"{os.path.basename(argv[0])} {' '.join(argv[1:3])} exited {done.returncode}: "
            f"{(done.stderr or done.stdout).strip().splitlines()[-1:] or ''}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(fraction * (len(ordered) - 1)))))
    return ordered[index]


def loadavg():
    with open("/proc/loadavg") as handle:
        return [float(x) for x in handle.read().split()[:3]]


# --------------------------------------------------------------------------------------------
# Result stores: Celery's celery-task-meta-<id> keys in Redis db 1, or Celeriac's SQLite file.

def final_state(state):
    return state in ("SUCCESS", "FAILURE", "REVOKED")


def decode_record(raw):
    record = json.loads(raw)
    state = record.get("status") or record.get("state")
    done = record.get("date_done") or record.get("dateDone")
    return state, parse_time(done) if done else None


class RedisResults:
    def __init__(self, client):
        self.client = client

    def cheap_count(self):
        return self.client.dbsize()

    def fetch(self, ids):
        out = {}
        for start in range(0, len(ids), 2000):
            chunk = ids[start:start + 2000]
            values = self.client.mget([f"celery-task-meta-{i}" for i in chunk])
            for task_id, raw in zip(chunk, values):
                if raw is not None:
                    out[task_id] = decode_record(raw)
        return out


class SQLiteResults:
    def __init__(self, path):
        self.path = path
        self.connection = None

    def _db(self):
        if self.connection is None:
            self.connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10)
        return self.connection

    def cheap_count(self):
        return self._db().execute(
            "SELECT COUNT(*) FROM results WHERE state IN ('SUCCESS', 'FAILURE', 'REVOKED')"
        ).fetchone()[0]

    def fetch(self, ids):
        out = {}
        rows = self._db().execute("SELECT task_id, record FROM results").fetchall()
        wanted = set(ids)
        for task_id, raw in rows:
            if task_id in wanted:
                out[task_id] = decode_record(raw)
        return out

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def wait_all_final(results, ids, timeout, poll=0.25):
    """Polls until every id has a final state; returns (all final, time seen)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if results.cheap_count() >= len(ids):
                fetched = results.fetch(ids)
                if sum(1 for s, _ in fetched.values() if final_state(s)) >= len(ids):
                    return True, time.time()
        except sqlite3.OperationalError:
            pass
        time.sleep(poll)
    return False, time.time()


# --------------------------------------------------------------------------------------------
# The systems under test.

class RedisServer:
    def __init__(self, workdir):
        import redis  # from the venv (celery[redis])

        self.port = free_port()
        self.proc = spawn(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", workdir, "--protected-mode", "yes"],
            os.path.join(workdir, "redis-server.log"))
        self.db0 = redis.Redis(host="127.0.0.1", port=self.port, db=0)
        self.db1 = redis.Redis(host="127.0.0.1", port=self.port, db=1)
        for _ in range(200):
            try:
                self.db0.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.02)
        else:
            raise RuntimeError("redis-server did not start:\n" + tail(self.proc.log_path))
        self.version = self.db0.info("server").get("redis_version")

    @property
    def base_url(self):
        return f"redis://127.0.0.1:{self.port}"

    def flush(self):
        self.db0.flushall()


class CelerySystem:
    key = "celery"
    label = "Celery (Redis)"

    def __init__(self, redis_server, workdir):
        self.redis = redis_server
        self.workdir = workdir
        self.env = dict(os.environ, BENCH_REDIS_URL=redis_server.base_url,
                        PYTHONPATH=CELERY_APP_DIR, PYTHONDONTWRITEBYTECODE="1")
        self.results = RedisResults(redis_server.db1)
        self.starts = 0

    def reset(self):
        self.redis.flush()

    def worker(self, concurrency=2):
        self.starts += 1
        argv = [CELERY, "-A", "tasks", "--workdir", CELERY_APP_DIR, "worker",
                "-P", "prefork", "-c", str(concurrency), "-l", "warning",
                "--without-gossip", "--without-mingle", "--without-heartbeat",
                "-n", f"bench{self.starts}@%h"]
        return spawn(argv, os.path.join(self.workdir, f"celery-worker-{self.starts}.log"),
                     env=self.env)

    def wait_ready(self, proc, timeout=60):
        ids = self.send("tasks.add", [1, 2], 1)
        ok, _ = wait_all_final(self.results, ids, timeout, poll=0.02)
        return ok

    def producer(self, mode, count, warmup):
        argv = [VENV_PYTHON, os.path.join(CELERY_APP_DIR, "celery_producer.py"), mode,
                "--count", str(count), "--warmup", str(warmup)]
        if mode == "enqueue-batch":
            argv.append("--flush-between")
        return run_json(argv, env=self.env)

    def send(self, task, args, count):
        argv = [VENV_PYTHON, os.path.join(CELERY_APP_DIR, "celery_producer.py"), "send", task,
                "--args", json.dumps(args), "--count", str(count)]
        return run_json(argv, env=self.env)["ids"]

    def leftovers(self):
        return {"queue": self.redis.db0.llen("celery"), "unacked": self.redis.db0.hlen("unacked")}


class CeleriacSystem:
    def __init__(self, kind, workdir, redis_server=None):
        self.kind = kind
        self.key = f"celeriac-{kind}"
        self.label = f"Celeriac ({'SQLite' if kind == 'sqlite' else 'Redis'})"
        self.workdir = workdir
        self.redis = redis_server
        self.starts = 0
        self.resets = 0
        self.db_path = None
        self.results = None
        self.extra_flags = []
        self.reset()

    def urls(self):
        if self.kind == "sqlite":
            url = f"sqlite://{self.db_path}"
            return ["--broker", url, "--backend", url]
        return ["--broker", f"{self.redis.base_url}/0", "--backend", f"{self.redis.base_url}/1"]

    def reset(self):
        if self.kind == "redis":
            self.redis.flush()
            self.results = RedisResults(self.redis.db1)
            return
        if self.results is not None:
            self.results.close()
        if self.db_path:
            for suffix in ("", "-wal", "-shm"):
                try:
                    os.unlink(self.db_path + suffix)
                except FileNotFoundError:
                    pass
        self.resets += 1
        self.db_path = os.path.join(self.workdir, f"celeriac-{self.resets}.db")
        self.results = SQLiteResults(self.db_path)

    def worker(self, concurrency=2):
        self.starts += 1
        argv = [CELERIAC, "worker", *self.urls(), "-c", str(concurrency), *self.extra_flags]
        return spawn(argv, os.path.join(self.workdir, f"{self.key}-worker-{self.starts}.log"))

    def wait_ready(self, proc, timeout=60):
        return wait_for_log(proc, "all pools ready", timeout)

    def producer(self, mode, count, warmup):
        return run_json([CELERIAC_BENCH, mode, *self.urls(), "--count", str(count),
                         "--warmup", str(warmup)])

    def send(self, task, args, count):
        argv = [CELERIAC, "send", task, *[json.dumps(a) if not isinstance(a, str) else a
                                          for a in args], *self.urls(), "--count", str(count)]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise RuntimeError(f"celeriac send {task} exited {done.returncode}: "
                               f"{done.stderr.strip()}")
        return done.stdout.split()

    def leftovers(self):
        if self.kind == "redis":
            return {"queue": self.redis.db0.llen("celery")}
        db = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10)
        try:
            rows = dict(db.execute("SELECT state, COUNT(*) FROM tasks GROUP BY state").fetchall())
        finally:
            db.close()
        return {"queue": rows.get("queued", 0), "claimed": rows.get("claimed", 0)}

    def probe(self):
        """Whether `celeriac worker` starts on this broker; (ok, reason)."""
        self.reset()
        proc = self.worker(concurrency=1)
        ready = wait_for_log(proc, "all pools ready", 30)
        stop(proc, 10)
        if ready:
            return True, ""
        lines = [line for line in tail(proc.log_path, 5).splitlines() if line.strip()]
        return False, (lines[-1].strip() if lines else "did not report ready in 30 s")


# --------------------------------------------------------------------------------------------
# The measures. Each returns a dict of raw figures for one repetition of one system.

def measure_enqueue(system, sizes):
    system.reset()
    out = system.producer("enqueue", sizes["enqueue"], warmup=100)
    out["rate"] = out["count"] / out["seconds"]
    if isinstance(system, CeleriacSystem):
        # The same sends on the caller's own thread (the synchronous `publish`), which is what
        # Celery's `delay` always does: the async `send` above never blocks a thread of Swift's
        # cooperative pool, and pays two thread hand-offs per send for it.
        system.reset()
        blocking = system.producer("enqueue-blocking", sizes["enqueue"], warmup=100)
        out["blocking_rate"] = blocking["count"] / blocking["seconds"]
    else:
        out["blocking_rate"] = out["rate"]
    return out


def measure_batch(system, sizes):
    system.reset()
    out = system.producer("enqueue-batch", sizes["batch"], warmup=100)
    out["rate"] = out["count"] / out["seconds"]
    return out


def cpu_seconds(pids):
    """User + system CPU time of `pids` (fields 14 and 15 of /proc/PID/stat), in seconds."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / CLOCK_TICKS


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def wait_first_result(results, timeout):
    """Polls until at least one result is stored; returns how many are (None on timeout)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            done = results.cheap_count()
            if done > 0:
                return done
        except sqlite3.OperationalError:
            pass
        time.sleep(0.002)
    return None


def measure_drain(system, sizes):
    count = sizes["drain"]
    system.reset()
    ids = system.send("tasks.noop", [], count)
    assert len(ids) == count, f"enqueued {len(ids)} of {count}"
    exec_time = time.time()
    proc = system.worker()
    # CPU per task: the worker tree's and redis-server's user + system time from the first
    # stored result to the last (start-up, Python's imports included, is left out), divided
    # by the tasks done in between. Noise on the machine moves this far less than a rate.
    redis_pids = [system.redis.proc.pid] if system.redis else []
    first_done = wait_first_result(system.results, timeout=60)
    tree_cpu_start = cpu_seconds(process_tree(proc.pid))
    redis_cpu_start = cpu_seconds(redis_pids)
    ok, seen = wait_all_final(system.results, ids, timeout=60 + count / 100)
    tree_cpu = cpu_seconds(process_tree(proc.pid)) - tree_cpu_start
    redis_cpu = cpu_seconds(redis_pids) - redis_cpu_start
    stop(proc)
    fetched = system.results.fetch(ids)
    done = sorted(t for s, t in fetched.values() if s == "SUCCESS" and t is not None)
    out = {"count": count, "succeeded": len(done), "complete": ok,
           "wall_seconds_from_exec": seen - exec_time}
    if len(done) >= 2:
        out["first_to_last_seconds"] = done[-1] - done[0]
        out["rate"] = (len(done) - 1) / (done[-1] - done[0])
        out["rate_from_exec"] = len(done) / (done[-1] - exec_time)
    if first_done is not None and len(done) > first_done:
        tasks = len(done) - first_done
        out["cpu_us_per_task"] = tree_cpu / tasks * 1e6
        if redis_pids:
            out["redis_cpu_us_per_task"] = redis_cpu / tasks * 1e6
        out["total_cpu_us_per_task"] = (tree_cpu + redis_cpu) / tasks * 1e6
    if not ok:
        out["error"] = f"only {len(done)} of {count} results stored"
    return out


def measure_observe(system, sizes):
    """The drain once per OBSERVE_VARIANTS entry (a free port for --metrics-port)."""
    variants = {}
    try:
        for name, flags in OBSERVE_VARIANTS:
            system.extra_flags = []
            for flag in flags:
                system.extra_flags += [flag, str(free_port())] if flag == "--metrics-port" \
                    else [flag]
            variants[name] = measure_drain(system, sizes)
    finally:
        system.extra_flags = []
    return {"variants": variants}


def enqueue_noops(system, count, chunk=100_000):
    """`count` no-ops in batches of at most `chunk` (one sendBatch each, no ids printed)."""
    left = count
    while left > 0:
        now = min(chunk, left)
        system.producer("enqueue-batch", now, 0)
        left -= now


def drain_window(system, queued, workers, concurrency, window, lead):
    """The drain rate over `window` results, after the first `lead` (start-up left out),
    with `queued` no-ops waiting (plus the `lead`) and `workers` supervisors of `concurrency`
    children each."""
    system.reset()
    enqueue_noops(system, queued + lead)
    procs = [system.worker(concurrency=concurrency) for _ in range(workers)]
    try:
        def reach(count, timeout):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    if system.results.cheap_count() >= count:
                        return time.monotonic()
                except sqlite3.OperationalError:
                    pass
                time.sleep(0.01)
            return None
        start = reach(lead, 120)
        trees = [pid for proc in procs for pid in process_tree(proc.pid)]
        cpu_start = cpu_seconds(trees)
        end = reach(lead + window, 60 + window / 100) if start else None
        cpu = cpu_seconds([pid for proc in procs for pid in process_tree(proc.pid)]) - cpu_start
    finally:
        for proc in procs:
            stop(proc)
    if start is None or end is None:
        return {"queued": queued, "error": "the window was not reached in time"}
    return {"queued": queued, "workers": workers, "concurrency": concurrency,
            "rate": window / (end - start), "cpu_us_per_task": cpu / window * 1e6}


def measure_growth(system, sizes):
    """Cost as work grows: the drain rate of one window with 1×, 10× and 100× the window
    queued (-c 2), with 1, 2 and 4 children (1× queued), and with two supervisors."""
    window = sizes["growth_window"]
    lead = window // 10
    cases = {}
    for factor in (1, 10, 100):
        cases[f"queued {window * factor:,}"] = drain_window(
            system, window * factor, 1, 2, window, lead)
    for children in (1, 2, 4):
        cases[f"-c {children}"] = drain_window(system, window * 2, 1, children, window, lead)
    cases["two supervisors, -c 2 each"] = drain_window(system, window * 2, 2, 2, window, lead)
    system.reset()
    return {"window": window, "cases": cases}


def print_growth_table(grown):
    print()
    print("Cost as work grows (Celeriac; rate over a window of results, start-up left out; "
          "ratio to the first row of each broker)")
    header = ["case", "broker", "drain rate", "ratio", "CPU µs/task (worker trees)"]
    rows = []
    for key, reps in grown.items():
        broker = "SQLite" if key == "celeriac-sqlite" else "Redis"
        names = list(next((r["cases"] for r in reps if "cases" in r), {}).keys())
        first = None
        for name in names:
            rates = [r["cases"][name]["rate"] for r in reps
                     if "rate" in r.get("cases", {}).get(name, {})]
            cpus = [r["cases"][name]["cpu_us_per_task"] for r in reps
                    if "rate" in r.get("cases", {}).get(name, {})]
            rate = statistics.median(rates) if rates else None
            first = first or rate
            rows.append([name, broker, fmt_rate(rate),
                         f"{rate / first:.2f}×" if rate and first else "—",
                         fmt_us(statistics.median(cpus)) if cpus else "—"])
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    line = "  ".join("{:<%d}" % w for w in widths)
    print(line.format(*header))
    print(line.format(*["-" * w for w in widths]))
    for row in rows:
        print(line.format(*row))


def print_observe_table(observed):
    """Rate and CPU per task of each variant, as medians over the repetitions, with the
    ratio to the plain drain of the same broker."""
    print()
    print("Cost of events and metrics on the drain (Celeriac, -c 2; ratio to the plain drain)")
    header = ["variant", "broker", "drain rate", "ratio", "CPU µs/task (worker tree)", "ratio"]
    rows = []
    for key, reps in observed.items():
        broker = "SQLite" if key == "celeriac-sqlite" else "Redis"
        def median(variant, field):
            values = [r["variants"][variant][field] for r in reps
                      if "variants" in r and field in r["variants"].get(variant, {})]
            return statistics.median(values) if values else None
        plain_rate, plain_cpu = median("plain", "rate"), median("plain", "cpu_us_per_task")
        for name, _ in OBSERVE_VARIANTS:
            rate, cpu = median(name, "rate"), median(name, "cpu_us_per_task")
            rows.append([name, broker, fmt_rate(rate) if rate else "—",
                         f"{rate / plain_rate:.2f}×" if rate and plain_rate else "—",
                         fmt_us(cpu) if cpu else "—",
                         f"{cpu / plain_cpu:.2f}×" if cpu and plain_cpu else "—"])
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    line = "  ".join("{:<%d}" % w for w in widths)
    print(line.format(*header))
    print(line.format(*["-" * w for w in widths]))
    for row in rows:
        print(line.format(*row))


def callgrind_binary(workdir):
    """A copy of CELERIAC without its debug sections, made once per run: valgrind 3.19 gives
    up on the DWARF 5 that Swift writes ("Possibly corrupted debuginfo file"). The symbol
    table stays, and the code is the same bytes."""
    path = os.path.join(workdir, "celeriac-for-callgrind")
    if not os.path.exists(path):
        subprocess.run(["objcopy", "--strip-debug", CELERIAC, path], check=True)
    return path


def callgrind_total(path):
    """The `totals:` line of a callgrind output file: instructions executed (Ir)."""
    with open(path) as handle:
        for line in handle:
            if line.startswith("totals:"):
                return int(line.split()[1])
    raise RuntimeError(f"no totals in {path}")


def measure_instructions(system, sizes):
    """Instructions the supervisor executes per task, a figure that the machine's load does
    not move: two drains of no-ops (`-c 2`) with the supervisor under valgrind's callgrind
    (its children run natively), the difference of the two counts over the difference of
    the task counts, so that start-up, the idle turns around the drain and shutdown cancel
    out. `perf stat -e instructions` would do the same natively, but this machine has no
    hardware counters. Under valgrind the supervisor has no pidfds (valgrind 3.19 does not
    know `pidfd_open`) and falls back to its exit pipes."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return {"error": "valgrind is not installed (apt-get install valgrind)"}
    binary = callgrind_binary(system.workdir)
    small, large = sizes["instructions_small"], sizes["instructions_large"]
    counts = {}
    for count in (small, large):
        system.reset()
        ids = system.send("tasks.noop", [], count)
        out_file = os.path.join(system.workdir, f"callgrind-{system.key}-{count}.out")
        argv = [valgrind, "--tool=callgrind", "--trace-children=no",
                f"--callgrind-out-file={out_file}", binary, "worker", *system.urls(), "-c", "2"]
        proc = spawn(argv, os.path.join(system.workdir, f"{system.key}-callgrind-{count}.log"))
        # Under valgrind the supervisor runs some 50 times slower than natively.
        ok, _ = wait_all_final(system.results, ids, timeout=120 + count / 10, poll=0.05)
        _, hung = stop(proc, 120)
        if not ok:
            return {"error": f"the drain of {count} under callgrind did not finish: "
                    + tail(proc.log_path, 2)}
        if hung:
            return {"error": "the supervisor under callgrind did not exit on SIGTERM"}
        counts[str(count)] = callgrind_total(out_file)
    per_task = (counts[str(large)] - counts[str(small)]) / (large - small)
    return {"instructions_per_task": per_task, "counts": counts}


def measure_spawn(system, sizes):
    system.reset()
    (task_id,) = system.send("tasks.add", [1, 2], 1)
    exec_time = time.time()
    proc = system.worker()
    deadline = time.monotonic() + 30
    record = None
    while time.monotonic() < deadline:
        try:
            record = system.results.fetch([task_id]).get(task_id)
        except sqlite3.OperationalError:
            record = None
        if record and record[0] == "SUCCESS":
            break
        time.sleep(0.002)
    seen = time.time()
    stop(proc)
    if not record or record[0] != "SUCCESS":
        return {"error": "first task not done in 30 s"}
    return {"seconds": record[1] - exec_time, "observed_seconds": seen - exec_time}


def measure_worker_session(system, sizes, do_roundtrip, do_pss):
    """One idle worker: warm-up burst, then round trips, then PSS of the idle tree."""
    system.reset()
    proc = system.worker()
    out = {}
    try:
        if not system.wait_ready(proc):
            return {"error": "worker not ready in 60 s: " + tail(proc.log_path, 3)}
        ids = system.send("tasks.add", [1, 2], 200)
        ok, _ = wait_all_final(system.results, ids, 60, poll=0.05)
        if not ok:
            return {"error": "warm-up burst of 200 add tasks did not finish"}
        if do_roundtrip:
            trips = system.producer("roundtrip", sizes["roundtrip"], warmup=50)
            latencies = trips["latencies_ms"]
            out["roundtrip"] = {
                "count": len(latencies), "p50_ms": percentile(latencies, 0.50),
                "p90_ms": percentile(latencies, 0.90), "p99_ms": percentile(latencies, 0.99),
                "mean_ms": statistics.fmean(latencies), "max_ms": max(latencies)}
        if do_pss:
            time.sleep(2.0)
            pids = process_tree(proc.pid)
            memory = memory_kib(pids)
            out["pss"] = {
                "processes": len(pids), "pss_kib": memory["Pss"],
                "pss_mib": memory["Pss"] / 1024.0, "rss_kib": memory["Rss"],
                "uss_kib": memory["Private_Clean"] + memory["Private_Dirty"],
                "pss_anon_kib": memory["Pss_Anon"], "pss_file_kib": memory["Pss_File"],
                "per_process_pss_kib": {str(p): memory_kib([p])["Pss"] for p in pids}}
    finally:
        stop(proc)
    return out


def count_lines(path):
    try:
        with open(path, "rb") as handle:
            return handle.read().count(b"\n")
    except FileNotFoundError:
        return 0


def measure_sigterm(system, sizes, trial):
    count = sizes["sigterm_tasks"]
    system.reset()
    path = os.path.join(system.workdir, f"record-{system.key}-{trial}.txt")
    if os.path.exists(path):
        os.unlink(path)
    ids = system.send("tasks.record", [path, sizes["record_seconds"]], count)
    proc = system.worker()
    threshold = int(count * 0.2)
    deadline = time.monotonic() + 120
    while count_lines(path) < threshold and time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        time.sleep(0.005)
    time.sleep(random.uniform(0, 0.1))
    ran_before = count_lines(path)
    shutdown_seconds, hung = stop(proc, timeout=60)
    after_shutdown = count_lines(path)
    restart_time = time.monotonic()
    proc = system.worker()
    # Drain the rest: until every task has a final result, or nothing moves for 10 s.
    last, last_change = (-1, -1), time.monotonic()
    complete = False
    while time.monotonic() - restart_time < 300:
        lines = count_lines(path)
        try:
            finals = system.results.cheap_count()
        except sqlite3.OperationalError:
            finals = -1
        if finals >= count:
            fetched = system.results.fetch(ids)
            if sum(1 for s, _ in fetched.values() if final_state(s)) >= count:
                complete = True
                break
        if (lines, finals) != last:
            last, last_change = (lines, finals), time.monotonic()
        elif time.monotonic() - last_change > 10:
            break
        time.sleep(0.1)
    drain_seconds = time.monotonic() - restart_time
    second_shutdown, second_hung = stop(proc, timeout=60)
    runs = collections.Counter()
    with open(path) as handle:
        for line in handle:
            if line.strip():
                runs[line.split()[0]] += 1
    lost = [i for i in ids if runs[i] == 0]
    twice = [i for i in ids if runs[i] > 1]
    return {
        "tasks": count, "ran_before_sigterm": ran_before, "ran_by_exit": after_shutdown,
        "shutdown_seconds": shutdown_seconds, "hung": hung,
        "restart_drain_seconds": drain_seconds, "all_results_stored": complete,
        "second_shutdown_seconds": second_shutdown, "second_hung": second_hung,
        "lost": len(lost), "run_twice": len(twice), "extra_runs": sum(runs.values()) - len(runs),
        "unknown_ids_in_file": len(set(runs) - set(ids)), "leftovers": system.leftovers(),
        "lost_sample": lost[:5], "twice_sample": twice[:5],
    }


# --------------------------------------------------------------------------------------------
# The table.

def median_of(reps, *path):
    values = []
    for rep in reps:
        value = rep
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, (int, float)):
            values.append(value)
    return statistics.median(values) if values else None


def fmt_rate(value):
    return "—" if value is None else f"{value:,.0f}/s"


def fmt_us(value):
    return "—" if value is None else f"{value:,.0f} µs"


def fmt_ms(value):
    return "—" if value is None else (f"{value:.2f} ms" if value < 10 else f"{value:,.0f} ms")


def fmt_count(value):
    return "—" if value is None else f"{value / 1000:,.0f} k"


def fmt_mib(value):
    return "—" if value is None else f"{value:.1f} MiB"


def build_rows(raw, systems, unavailable, celery_measured):
    """One row per measure and Celeriac broker: Celery's figure, Celeriac's, ratio, target."""
    rows = []
    celeriac_keys = [k for k in ("celeriac-sqlite", "celeriac-redis") if k in systems]

    def celery_value(measure, *path, spec=None):
        if celery_measured:
            return median_of(raw.get(measure, {}).get("celery", []), *path), False
        return spec, True

    def add(label, measure, path, fmt, target_text, check, spec_key=None, higher_better=True,
            redis_only_target=False, absolute=False):
        celery, from_spec = celery_value(measure, *path, spec=SPEC_CELERY.get(spec_key))
        celery_text = fmt(celery) + (" spec" if from_spec and celery is not None else "")
        for key in celeriac_keys:
            broker = "SQLite" if key == "celeriac-sqlite" else "Redis"
            if measure not in raw:
                continue
            if key in unavailable:
                rows.append([label, broker, celery_text, "not available yet", "—",
                             target_text, "skipped"])
                continue
            reps = raw[measure].get(key, [])
            value = median_of(reps, *path)
            errors = [r["error"] for r in reps if isinstance(r, dict) and "error" in r]
            ratio = None
            if value is not None and celery:
                ratio = value / celery
            if absolute:
                met = None if value is None else check(value)
            else:
                met = None if ratio is None else check(ratio)
            verdict = "—" if met is None else ("yes" if met else "NO")
            if met is not None and redis_only_target and broker == "SQLite":
                verdict = f"({verdict})"
            if errors:
                verdict += f" [{len(errors)} error(s): {errors[0][:60]}]"
            rows.append([label, broker, celery_text, fmt(value),
                         "—" if ratio is None else f"{ratio:.2f}×", target_text, verdict])

    add("enqueue, single sends", "enqueue", ("rate",), fmt_rate, "≥ 4.5× (Redis)",
        lambda r: r >= 4.5, "enqueue", redis_only_target=True)
    add("enqueue, single sends, blocking", "enqueue", ("blocking_rate",), fmt_rate, "≥ 4.5× (Redis)",
        lambda r: r >= 4.5, "enqueue", redis_only_target=True)
    add("enqueue, batched", "batch", ("rate",), fmt_rate, "≥ 60×", lambda r: r >= 60)
    if "drain" in raw:
        # Different targets per broker: ≥ 20× on Redis, ≥ 10× Celery-on-Redis for SQLite.
        celery, from_spec = celery_value("drain", "rate", spec=SPEC_CELERY["drain"])
        for key in celeriac_keys:
            broker = "SQLite" if key == "celeriac-sqlite" else "Redis"
            target, factor = ("≥ 10×", 10) if broker == "SQLite" else ("≥ 20×", 20)
            if key in unavailable:
                rows.append(["drain no-ops, -c 2", broker,
                             fmt_rate(celery) + (" spec" if from_spec else ""), "not available yet",
                             "—", target, "skipped"])
                continue
            reps = raw["drain"].get(key, [])
            value = median_of(reps, "rate")
            ratio = value / celery if value is not None and celery else None
            verdict = "—" if ratio is None else ("yes" if ratio >= factor else "NO")
            errors = [r["error"] for r in reps if "error" in r]
            if errors:
                verdict += f" [{len(errors)} error(s)]"
            rows.append(["drain no-ops, -c 2", broker,
                          fmt_rate(celery) + (" spec" if from_spec else ""), fmt_rate(value),
                          "—" if ratio is None else f"{ratio:.2f}×", target, verdict])
    add("CPU per task, worker tree (drain)", "drain", ("cpu_us_per_task",), fmt_us,
        "(none)", lambda r: None, higher_better=False)
    add("CPU per task, worker + redis (drain)", "drain", ("total_cpu_us_per_task",), fmt_us,
        "(none)", lambda r: None, higher_better=False)
    add("supervisor instructions per task", "instructions", ("instructions_per_task",),
        fmt_count, "(none)", lambda r: None, higher_better=False)
    add("round trip add(1,2) p50", "roundtrip", ("roundtrip", "p50_ms"), fmt_ms, "≤ 0.18×",
        lambda r: r <= 0.18, "rt_p50", higher_better=False)
    add("round trip add(1,2) p99", "roundtrip", ("roundtrip", "p99_ms"), fmt_ms, "(none)",
        lambda r: None, higher_better=False)
    add("spawn to first task done", "spawn", ("seconds",), lambda v: fmt_ms(
        None if v is None else v * 1000), "≤ 20 ms", lambda v: v <= 0.020, "spawn",
        higher_better=False, absolute=True)
    add("PSS supervisor + 2 children", "pss", ("pss", "pss_mib"), fmt_mib, "≤ 0.20×",
        lambda r: r <= 0.20, "pss", higher_better=False)
    if "sigterm" in raw:
        def summary(reps):
            if not reps:
                return "—", None
            lost = sum(r["lost"] for r in reps)
            twice = sum(r["run_twice"] for r in reps)
            hung = sum(1 for r in reps if r["hung"])
            slow = sum(1 for r in reps if r["shutdown_seconds"] > 10)
            bad = sum(1 for r in reps if r["lost"] or r["run_twice"] or r["hung"])
            exits = sorted(r["shutdown_seconds"] for r in reps)
            text = (f"{len(reps) - bad}/{len(reps)} clean; tasks lost {lost}, run twice "
                    f"{twice}; exit after SIGTERM median {statistics.median(exits):.2f} s, "
                    f"max {exits[-1]:.2f} s, {slow} trial(s) > 10 s, {hung} hung > 60 s")
            return text, bad == 0
        celery_text = summary(raw["sigterm"].get("celery", []))[0] if celery_measured else "—"
        for key in celeriac_keys:
            broker = "SQLite" if key == "celeriac-sqlite" else "Redis"
            if key in unavailable:
                rows.append(["SIGTERM while draining", broker, celery_text, "not available yet",
                             "—", "0 lost, 0 twice, 100/100", "skipped"])
                continue
            text, ok = summary(raw["sigterm"].get(key, []))
            n = len(raw["sigterm"].get(key, []))
            verdict = "—" if ok is None else ("yes" if ok else "NO")
            if ok and n < 100:
                verdict += f" (in {n} of the 100 trials the target asks for)"
            rows.append(["SIGTERM while draining", broker, celery_text, text, "—",
                         "0 lost, 0 twice, 100/100", verdict])
    return rows


def print_table(rows, celery_label, unavailable):
    header = ["measure", "broker", celery_label, "Celeriac", "ratio", "SPEC target", "met"]
    # The SIGTERM texts are long: print those rows as blocks under the table.
    short = [r for r in rows if r[0] != "SIGTERM while draining"]
    long_rows = [r for r in rows if r[0] == "SIGTERM while draining"]
    widths = [max(len(str(r[i])) for r in [header] + short) for i in range(len(header))]
    line = "  ".join("{:<%d}" % w for w in widths)
    print(line.format(*header))
    print(line.format(*["-" * w for w in widths]))
    for row in short:
        print(line.format(*row))
    for row in long_rows:
        print(f"SIGTERM while draining [{row[1]}] (target {row[5]}): met: {row[6]}")
        print(f"    {celery_label}: {row[2]}")
        print(f"    Celeriac: {row[3]}")
    for key, reason in unavailable.items():
        print(f"Celeriac on {'Redis' if key == 'celeriac-redis' else key}: not available yet "
              f"(`celeriac worker --broker redis://...` did not start: {reason}); its rows are "
              "skipped and will run once it starts.")
    if any(r[6].startswith("(") for r in rows):
        print("(yes)/(NO): the SPEC states this target for Redis; the SQLite row is shown "
              "against it for reference.")


# --------------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(prog="Scripts/bench", description=__doc__)
    parser.add_argument("--reps", type=int, default=None, help="repetitions (default 3)")
    parser.add_argument("--quick", action="store_true", help="1 repetition, smaller sizes")
    parser.add_argument("--trials", type=int, default=None,
                        help="SIGTERM trials per system (default 20, --quick 3)")
    parser.add_argument("--celeriac-only", action="store_true",
                        help="no Celery; with --sqlite: drain 10,000 no-ops, spawn, PSS")
    parser.add_argument("--sqlite", action="store_true", help="Celeriac on SQLite only")
    parser.add_argument("--only", help=f"comma-separated subset of {','.join(MEASURES)}")
    parser.add_argument("--drain-count", type=int, help="no-op tasks in the drain")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench-results"))
    parser.add_argument("--table", metavar="JSON", help="re-print the table of an earlier run")
    options = parser.parse_args()
    if options.table:
        with open(options.table) as handle:
            document = json.load(handle)
        rows = build_rows(document["raw"], document["systems"], document["unavailable"],
                          celery_measured="celery" in document["systems"])
        print(document.get("headline", ""))
        print_table(rows, "Celery 5 (Redis)" if "celery" in document["systems"]
                    else "Celery (SPEC fig.)", document["unavailable"])
        if "observe" in document["raw"]:
            print_observe_table(document["raw"]["observe"])
        if "growth" in document["raw"]:
            print_growth_table(document["raw"]["growth"])
        return
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    reps = options.reps or (1 if options.quick else 3)
    sizes = {"enqueue": 5000, "batch": 20000, "drain": 20000, "roundtrip": 1000,
             "sigterm_tasks": 2000, "record_seconds": 0.005, "growth_window": 10000,
             "instructions_small": 500, "instructions_large": 2500}
    if options.quick:
        sizes.update(enqueue=1000, batch=5000, drain=5000, roundtrip=200, sigterm_tasks=1000,
                     growth_window=2000, instructions_small=200, instructions_large=1000)
    measures = list(MEASURES)
    if options.celeriac_only:
        measures = ["drain", "spawn", "pss"]
        if not options.quick:
            sizes["drain"] = 10000
    if options.only:
        measures = [m.strip() for m in options.only.split(",") if m.strip()]
        unknown = set(measures) - set(MEASURES)
        if unknown:
            parser.error(f"unknown measure(s): {', '.join(sorted(unknown))}")
    if options.drain_count:
        sizes["drain"] = options.drain_count
    trials = options.trials or (3 if options.quick else 20)

    for path in (CELERIAC, CELERIAC_BENCH):
        if not os.access(path, os.X_OK):
            sys.exit(f"missing {path}: build with `swift build -c release` first")
    workdir = tempfile.mkdtemp(prefix="celeriac-bench-")
    if KEEP_WORKDIR:
        log(f"keeping {workdir} (logs; callgrind-*.out for callgrind_annotate)")
    else:
        atexit.register(lambda: shutil.rmtree(workdir, ignore_errors=True))
    start_load = loadavg()
    if start_load[0] > 1.0:
        log(f"warning: load average {start_load[0]:.2f} at start: other work is running on "
            f"this {os.cpu_count()}-core machine, figures will be noisy")

    use_celery = not options.celeriac_only
    use_redis = use_celery or not options.sqlite
    redis_server = RedisServer(workdir) if use_redis else None
    systems = {}
    unavailable = {}
    if use_celery:
        systems["celery"] = CelerySystem(redis_server, workdir)
    systems["celeriac-sqlite"] = CeleriacSystem("sqlite", workdir)
    if use_redis and not options.sqlite:
        celeriac_redis = CeleriacSystem("redis", workdir, redis_server)
        ok, reason = celeriac_redis.probe()
        systems["celeriac-redis"] = celeriac_redis
        if not ok:
            unavailable["celeriac-redis"] = reason
            log(f"Celeriac on Redis: not available yet ({reason}); its rows are skipped")
    runnable = {k: s for k, s in systems.items() if k not in unavailable}
    log(f"systems: {', '.join(s.label for s in runnable.values())}; measures: "
        f"{', '.join(measures)}; {reps} repetition(s); sizes {sizes}; SIGTERM trials {trials}")

    raw = {}
    for measure in measures:
        if measure == "pss" and "roundtrip" in measures:
            continue  # measured on the idle worker of the round-trip session
        iterations = trials if measure == "sigterm" else reps
        for rep in range(iterations):
            for key, system in runnable.items():
                if (measure in ("observe", "growth", "instructions")
                        and not isinstance(system, CeleriacSystem)):
                    continue  # Celeriac's own flags; Python under valgrind is too slow
                started = time.monotonic()
                figures = {}
                try:
                    if measure == "enqueue":
                        figures[measure] = measure_enqueue(system, sizes)
                    elif measure == "batch":
                        figures[measure] = measure_batch(system, sizes)
                    elif measure == "drain":
                        figures[measure] = measure_drain(system, sizes)
                    elif measure == "spawn":
                        figures[measure] = measure_spawn(system, sizes)
                    elif measure == "observe":
                        figures[measure] = measure_observe(system, sizes)
                    elif measure == "growth":
                        figures[measure] = measure_growth(system, sizes)
                    elif measure == "instructions":
                        figures[measure] = measure_instructions(system, sizes)
                    elif measure in ("roundtrip", "pss"):
                        wanted = [m for m in ("roundtrip", "pss") if m in measures]
                        session = measure_worker_session(
                            system, sizes, do_roundtrip="roundtrip" in wanted,
                            do_pss="pss" in wanted)
                        for name in wanted:
                            figures[name] = session if "error" in session else {
                                name: session[name]}
                    else:
                        figures[measure] = measure_sigterm(system, sizes, rep)
                except Exception as error:  # one failed run must not lose the others
                    figures = {measure: {"error": f"{type(error).__name__}: {error}"}}
                for name, figure in figures.items():
                    figure = dict(figure, load1=loadavg()[0])
                    raw.setdefault(name, {}).setdefault(key, []).append(figure)
                    log(f"{name} {rep + 1}/{iterations} {system.label}: "
                        f"{summarize(name, figure)} ({time.monotonic() - started:.1f} s)")

    rows = build_rows(raw, systems, unavailable, celery_measured=use_celery)
    celery_label = "Celery 5 (Redis)" if use_celery else "Celery (SPEC fig.)"
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    document = {
        "timestamp": stamp,
        "machine": {"host": platform.node(), "cpus": os.cpu_count(),
                    "kernel": platform.release(), "load_at_start": start_load,
                    "load_at_end": loadavg()},
        "git": subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"], capture_output=True,
                              text=True).stdout.strip(),
        "options": vars(options), "reps": reps, "trials": trials, "sizes": sizes,
        "versions": versions(redis_server),
        "systems": {k: s.label for k, s in systems.items()},
        "unavailable": unavailable, "raw": raw,
        "table": [dict(zip(["measure", "broker", "celery", "celeriac", "ratio", "target",
                            "met"], r)) for r in rows],
    }
    shown = {"enqueue": f"enqueue {sizes['enqueue']}", "batch": f"batch {sizes['batch']}",
             "drain": f"drain {sizes['drain']}", "roundtrip": f"round trips {sizes['roundtrip']}",
             "sigterm": f"SIGTERM {trials} × {sizes['sigterm_tasks']} tasks"}
    headline = (
        f"Celeriac vs Celery 5 — {os.cpu_count()} cores, load {start_load[0]:.2f} at start, "
        f"{reps} rep(s) (median); sizes: "
        + ", ".join(text for name, text in shown.items() if name in measures))
    document["headline"] = headline
    os.makedirs(options.out, exist_ok=True)
    out_path = os.path.join(options.out, f"{stamp}.json")
    with open(out_path, "w") as handle:
        json.dump(document, handle, indent=1)
    print()
    print(headline)
    print_table(rows, celery_label, unavailable)
    if "observe" in raw:
        print_observe_table(raw["observe"])
    if "growth" in raw:
        print_growth_table(raw["growth"])
    print(f"raw figures: {out_path}")


def summarize(measure, figure):
    if "error" in figure:
        return "ERROR " + figure["error"]
    if measure in ("enqueue", "batch", "drain"):
        return f"{figure.get('rate', 0):,.0f}/s"
    if measure == "spawn":
        return f"{figure['seconds'] * 1000:.1f} ms"
    if measure == "instructions":
        return f"{figure['instructions_per_task']:,.0f} instructions per task"
    if measure == "growth":
        return ", ".join(f"{name} {v.get('rate', 0):,.0f}/s"
                         for name, v in figure.get("cases", {}).items())
    if measure == "observe":
        return ", ".join(f"{name} {v.get('rate', 0):,.0f}/s"
                         for name, v in figure.get("variants", {}).items())
    if "roundtrip" in figure:
        trip = figure["roundtrip"]
        return f"p50 {trip['p50_ms']:.2f} ms, p99 {trip['p99_ms']:.2f} ms"
    if "pss" in figure:
        return f"PSS {figure['pss']['pss_mib']:.1f} MiB"
    if measure == "sigterm":
        return (f"lost {figure['lost']}, twice {figure['run_twice']}, exit in "
                f"{figure['shutdown_seconds']:.2f} s{' (HUNG)' if figure['hung'] else ''}, "
                f"{figure['ran_before_sigterm']} ran before TERM")
    return json.dumps(figure)[:80]


def versions(redis_server):
    out = {"python": platform.python_version()}
    if redis_server:
        out["redis"] = redis_server.version
    try:
        import celery
        import kombu
        out["celery"], out["kombu"] = celery.__version__, kombu.__version__
    except ImportError:
        pass
    return out


if __name__ == "__main__":
    main()
