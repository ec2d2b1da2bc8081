"""Times a chord of N header tasks (tasks.add(i, i)) into tasks.xsum on three stacks in one run
and prints a table: Celeriac on SQLite, Celeriac on Redis, Python Celery on Redis.

Each stack gets its own worker (concurrency --concurrency, prefork children in both) on
loopback. The time runs from just before the chord is sent to the body's value in the
client's hands:
- Celeriac on SQLite: `celeriac chord … --body tasks.xsum --wait` (the CLI's start-up, a few
  milliseconds, is inside the figure; `--cli-overhead` reports it);
- both Redis stacks: the same Python Celery client (`chord(...).apply_async().get()`), which
  Celeriac's worker serves wire-compatibly, timed inside the client.
One warm-up run per stack is not counted.
"""

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INTEROP = os.path.join(ROOT, "Scripts", "interop")
VENV_PYTHON = os.path.join(ROOT, ".venv", "bin", "python")
VENV_CELERY = os.path.join(ROOT, ".venv", "bin", "celery")

PYTHON_CLIENT = """
import sys, time
from celery import Celery, chord, signature
broker, backend, n, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
app = Celery(broker=broker, backend=backend)
app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"])
header = [signature("tasks.add", args=(i, i), app=app) for i in range(n)]
canvas = chord(header, signature("tasks.xsum", app=app))
start = time.monotonic()
value = canvas.apply_async().get(timeout=timeout)
elapsed = time.monotonic() - start
assert value == n * (n - 1), value
print(elapsed)
"""


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise SystemExit(f"timed out waiting for {what}")


def log_contains(path, text):
    with open(path, encoding="utf-8", errors="replace") as log:
        return text in log.read()


def start(arguments, log_path, ready_text, cwd=None, env=None, timeout=60):
    log = open(log_path, "w", encoding="utf-8")
    process = subprocess.Popen(
        arguments, stdout=log, stderr=subprocess.STDOUT, cwd=cwd, env=env,
        start_new_session=True)
    wait_for(lambda: process.poll() is not None or log_contains(log_path, ready_text), timeout,
             f"{arguments[0]} ({log_path})")
    if process.poll() is not None:
        raise SystemExit(f"{arguments[0]} exited: see {log_path}")
    return process


def stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def timed_cli(binary, broker, n, timeout):
    header = [f"tasks.add {i} {i}" for i in range(n)]
    start_time = time.monotonic()
    done = subprocess.run(
        [binary, "chord", "--broker", broker, *header, "--body", "tasks.xsum", "--wait",
         "--timeout", str(timeout)], capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - start_time
    if done.returncode != 0 or done.stdout.strip() != str(n * (n - 1)):
        raise SystemExit(f"celeriac chord failed: {done.stdout}{done.stderr}")
    return elapsed


def timed_python(broker, backend, n, timeout):
    done = subprocess.run(
        [VENV_PYTHON, "-c", PYTHON_CLIENT, broker, backend, str(n), str(timeout)],
        capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the Python chord failed: {done.stdout}{done.stderr}")
    return float(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True, help="the celeriac executable")
    parser.add_argument("--size", type=int, default=100, help="header tasks (default 100)")
    parser.add_argument("--runs", type=int, default=3, help="counted runs per stack (default 3)")
    parser.add_argument("--concurrency", type=int, default=2, help="children per worker")
    parser.add_argument("--timeout", type=float, default=120, help="seconds per chord")
    parser.add_argument("--cli-overhead", action="store_true",
                        help="also time `celeriac --help` (the CLI's start-up)")
    args = parser.parse_args()
    args.binary = os.path.abspath(args.binary)  # the workers run in a scratch directory
    if not (1 <= args.size <= 100_000 and 1 <= args.runs <= 100 and 1 <= args.concurrency <= 64):
        raise SystemExit("--size 1…100000, --runs 1…100, --concurrency 1…64")
    for needed in (VENV_PYTHON, VENV_CELERY, args.binary):
        if not os.access(needed, os.X_OK):
            raise SystemExit(f"missing {needed} (run ./Scripts/install-dependencies)")
    redis_server = shutil.which("redis-server")
    if not redis_server:
        raise SystemExit("redis-server is not installed")

    workdir = tempfile.mkdtemp(prefix="celeriac-chord-")
    port = free_port()
    redis = start([redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                   "--appendonly", "no", "--dir", workdir],
                  os.path.join(workdir, "redis.log"), "Ready to accept connections")
    redis_url = f"redis://127.0.0.1:{port}"
    sqlite_url = f"sqlite://{workdir}/celeriac.db"
    concurrency = str(args.concurrency)
    stacks = [
        ("Celeriac", "SQLite", "celeriac chord CLI",
         [args.binary, "worker", "--broker", sqlite_url, "-c", concurrency, "-n", "sqlite@bench", "-l", "info"],
         "all pools ready", None,
         lambda: timed_cli(args.binary, sqlite_url, args.size, args.timeout)),
        ("Celeriac", "Redis", "Python Celery client",
         [args.binary, "worker", "--broker", f"{redis_url}/0", "--backend", f"{redis_url}/1",
          "-c", concurrency, "-n", "redis@bench", "-l", "info"],
         "all pools ready", None,
         lambda: timed_python(f"{redis_url}/0", f"{redis_url}/1", args.size, args.timeout)),
        ("Python Celery", "Redis", "Python Celery client",
         [VENV_CELERY, "-A", "celery_tasks", "worker", "-c", concurrency, "--pool", "prefork",
          "-l", "info", "--without-gossip", "--without-mingle", "--without-heartbeat",
          "-n", "py@bench"],
         "ready.", dict(os.environ, CELERIAC_INTEROP_BROKER=f"{redis_url}/2",
                        CELERIAC_INTEROP_BACKEND=f"{redis_url}/3", PYTHONDONTWRITEBYTECODE="1"),
         lambda: timed_python(f"{redis_url}/2", f"{redis_url}/3", args.size, args.timeout)),
    ]
    rows = []
    try:
        for name, broker, client, command, ready, env, measure in stacks:
            log_path = os.path.join(workdir, f"{name}-{broker}.log".replace(" ", "_"))
            print(f"== {name} on {broker}", file=sys.stderr)
            worker = start(command, log_path, ready, cwd=INTEROP if env else workdir, env=env)
            try:
                measure()  # warm-up
                times = [measure() for _ in range(args.runs)]
            finally:
                stop(worker)
            rows.append((name, broker, client, statistics.median(times), min(times), max(times)))
        overhead = None
        if args.cli_overhead:
            start_time = time.monotonic()
            subprocess.run([args.binary, "--help"], capture_output=True, check=True)
            overhead = time.monotonic() - start_time
    finally:
        stop(redis)
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"chord of {args.size} x tasks.add into tasks.xsum, {args.runs} runs per stack, "
          f"-c {args.concurrency}, load average {os.getloadavg()[0]:.2f}")
    print(f"{'stack':<14} {'broker':<7} {'client':<21} {'median s':>9} {'min s':>7} {'max s':>7}")
    for name, broker, client, median, low, high in rows:
        print(f"{name:<14} {broker:<7} {client:<21} {median:>9.3f} {low:>7.3f} {high:>7.3f}")
    if overhead is not None:
        print(f"celeriac CLI start-up (--help): {overhead:.3f} s")


if __name__ == "__main__":
    main()
