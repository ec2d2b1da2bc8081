"""Shared pieces of ./Scripts/chaos: processes we start (and only those), a tiny Redis client,
the two brokers under test, and counting executions from the record file.

Python 3 standard library only. Everything listens on 127.0.0.1 except the network-partition
scenario, which uses addresses inside network namespaces it creates itself."""

import collections
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time

BINARY = None  # set by main


def log(message):
    print(f"[chaos {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Processes: every one we start is in its own session, so its whole group can be ended.

STARTED = []


def spawn(argv, log_path, env=None):
    handle = open(log_path, "ab")
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=handle,
                            stderr=subprocess.STDOUT, env=env, start_new_session=True)
    handle.close()
    proc.log_path = log_path
    STARTED.append(proc)
    return proc


def kill_group(proc, sig=signal.SIGKILL):
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def reap(proc, timeout=5):
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        pass


def cleanup_processes():
    for proc in STARTED:
        if proc.poll() is None:
            kill_group(proc)
            reap(proc)
        else:
            kill_group(proc)  # stray children of an exited leader
    STARTED.clear()


def terminate(proc, timeout=30.0):
    """SIGTERM to the main process only (systemd's KillMode=mixed); waits up to `timeout`,
    then SIGKILLs the group. Returns (seconds to exit, hung)."""
    if proc.poll() is not None:
        kill_group(proc)
        return 0.0, False
    start = time.monotonic()
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
        hung = False
    except subprocess.TimeoutExpired:
        hung = True
        kill_group(proc)
        reap(proc, 10)
    seconds = time.monotonic() - start
    kill_group(proc)  # children that outlived their parent (they should not)
    return seconds, hung


def tail(path, lines=12):
    try:
        with open(path, errors="replace") as handle:
            return "".join(handle.readlines()[-lines:])
    except OSError:
        return ""


def log_text(proc):
    try:
        with open(proc.log_path, errors="replace") as handle:
            return handle.read()
    except OSError:
        return ""


def wait_for_log(proc, text, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in log_text(proc):
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.02)
    return False


def children_of(pid):
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            out.append(int(entry))
    return out


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------------------------
# A minimal RESP client (enough for FLUSHALL, LLEN, LRANGE, MGET, KEYS, PING).

class RedisError(Exception):
    pass


class Redis:
    def __init__(self, host, port, timeout=5.0):
        self.host, self.port, self.timeout = host, port, timeout
        self.sock = None

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None
            self.reader = None

    def _connect(self):
        self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        self.reader = self.sock.makefile("rb")

    def _read(self):
        line = self.reader.readline()
        if not line:
            raise RedisError("connection closed")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RedisError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            if size < 0:
                return None
            data = self.reader.read(size + 2)
            return data[:-2]
        if kind == b"*":
            size = int(rest)
            return None if size < 0 else [self._read() for _ in range(size)]
        raise RedisError(f"bad reply {line!r}")

    def command(self, *args):
        for attempt in range(2):
            try:
                if self.sock is None:
                    self._connect()
                parts = [f"*{len(args)}\r\n".encode()]
                for arg in args:
                    data = arg if isinstance(arg, bytes) else str(arg).encode()
                    parts.append(f"${len(data)}\r\n".encode() + data + b"\r\n")
                self.sock.sendall(b"".join(parts))
                return self._read()
            except (OSError, RedisError) as error:
                self.close()
                if attempt == 1 or (isinstance(error, RedisError) and
                                    "connection closed" not in str(error)):
                    raise
        return None


def wait_redis(client, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if client.command("PING") == "PONG":
                return True
        except (OSError, RedisError):
            pass
        time.sleep(0.02)
    return False


# --------------------------------------------------------------------------------------------
# The brokers under test. Each gives URLs, the ids still waiting (or claimed), and results.

FINAL = ("SUCCESS", "FAILURE", "REVOKED")


class RedisServer:
    def __init__(self, workdir, port=None, durable=False, netns=None, bind="127.0.0.1"):
        self.workdir, self.durable, self.netns, self.bind = workdir, durable, netns, bind
        self.port = port or free_port()
        self.proc = None
        self.starts = 0

    def argv(self):
        argv = ["redis-server", "--port", str(self.port), "--bind", self.bind, "--save", "",
                "--dir", self.workdir, "--protected-mode", "no", "--daemonize", "no"]
        if self.durable:
            argv += ["--appendonly", "yes", "--appendfsync", "always"]
        else:
            argv += ["--appendonly", "no"]
        if self.netns:
            argv = ["ip", "netns", "exec", self.netns, *argv]
        return argv

    def start(self, client=None):
        self.starts += 1
        self.proc = spawn(self.argv(), os.path.join(self.workdir, f"redis-{self.starts}.log"))
        if client is not None and not wait_redis(client):
            raise RuntimeError("redis-server did not start:\n" + tail(self.proc.log_path))
        return self.proc

    def kill(self):
        if self.proc is not None:
            kill_group(self.proc)
            reap(self.proc)


class RedisBroker:
    name = "redis"

    def __init__(self, workdir, durable=False):
        self.workdir = workdir
        self.server = RedisServer(workdir, durable=durable)
        self.client = Redis("127.0.0.1", self.server.port)
        self.server.start(self.client)

    def urls(self):
        base = f"redis://127.0.0.1:{self.server.port}"
        return ["--broker", f"{base}/0", "--backend", f"{base}/1"]

    def reset(self, trial):
        self.client.command("FLUSHALL")

    def waiting_ids(self):
        ids = set()
        self.client.command("SELECT", 0)
        keys = [b"celery"] + (self.client.command("KEYS", "celeriac.processing.*") or [])
        for key in keys:
            for raw in self.client.command("LRANGE", key, 0, -1) or []:
                ids.add(message_id(raw))
        for raw in self.client.command("ZRANGE", "celeriac.delayed.celery", 0, -1) or []:
            ids.add(message_id(raw))
        return ids

    def dead_letters(self):
        self.client.command("SELECT", 0)
        return self.client.command("LLEN", "celeriac.dead_letter") or 0

    def results(self, ids):
        out = {}
        self.client.command("SELECT", 1)
        ids = list(ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            values = self.client.command("MGET", *[f"celery-task-meta-{i}" for i in chunk])
            for task_id, raw in zip(chunk, values or []):
                if raw is not None:
                    try:
                        out[task_id] = json.loads(raw).get("status")
                    except ValueError:
                        out[task_id] = "?"
        self.client.command("SELECT", 0)
        return out

    def close(self):
        self.client.close()
        self.server.kill()


def message_id(raw):
    try:
        message = json.loads(raw)
    except ValueError:
        return "?"
    headers = message.get("headers") or {}
    return headers.get("id") or message.get("id") or "?"


class SQLiteBroker:
    name = "sqlite"

    def __init__(self, workdir, directory=None):
        self.workdir = workdir
        self.directory = directory or workdir
        self.path = None

    def urls(self):
        return ["--broker", f"sqlite://{self.path}", "--backend", f"sqlite://{self.path}"]

    def reset(self, trial):
        if self.path:
            remove_db(self.path)
        self.path = os.path.join(self.directory, f"chaos-{trial}.db")
        remove_db(self.path)

    def _query(self, sql):
        if not os.path.exists(self.path):
            return []
        db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10)
        try:
            return db.execute(sql).fetchall()
        except sqlite3.OperationalError:
            return []
        finally:
            db.close()

    def waiting_ids(self):
        return {row[0] for row in self._query("SELECT task_id FROM tasks")}

    def dead_letters(self):
        rows = self._query("SELECT COUNT(*) FROM dead_letters")
        return rows[0][0] if rows else 0

    def results(self, ids):
        wanted = set(ids)
        return {task_id: state for task_id, state in
                self._query("SELECT task_id, state FROM results") if task_id in wanted}

    def close(self):
        if self.path:
            remove_db(self.path)


def remove_db(path):
    for suffix in ("", "-wal", "-shm"):
        try:
            os.unlink(path + suffix)
        except FileNotFoundError:
            pass


# --------------------------------------------------------------------------------------------
# Workers, producers and counting.

def worker(broker_urls, log_path, concurrency=2, lease=2, extra=(), prefix=(), name=None):
    argv = [*prefix, BINARY, "worker", *broker_urls, "-c", str(concurrency), "-l", "info",
            "--lease", str(lease), *extra]
    if name:
        argv += ["-n", name]
    return spawn(argv, log_path)


def send(broker_urls, path, seconds, count, prefix=(), timeout=120):
    argv = [*prefix, BINARY, "send", "tasks.record", path, json.dumps(seconds), *broker_urls,
            "--count", str(count)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"celeriac send exited {done.returncode}: {done.stderr.strip()}")
    ids = done.stdout.split()
    if len(ids) != count:
        raise RuntimeError(f"celeriac send printed {len(ids)} ids for {count} tasks")
    return ids


def record_lines(path):
    """[(task id, pid)] in the order they were appended."""
    try:
        with open(path) as handle:
            out = []
            for line in handle:
                parts = line.split()
                if len(parts) >= 2:
                    out.append((parts[0], int(parts[1])))
            return out
    except FileNotFoundError:
        return []


def count_lines(path):
    try:
        with open(path, "rb") as handle:
            return handle.read().count(b"\n")
    except FileNotFoundError:
        return 0


def wait_lines(path, threshold, timeout, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if count_lines(path) >= threshold:
            return True
        if proc is not None and proc.poll() is not None:
            return False
        time.sleep(0.005)
    return False


def wait_final(broker, ids, timeout, idle=None, progress_path=None):
    """Polls until every id has a final result; gives up after `timeout`, or after `idle`
    seconds with no new result and no new record line. Returns (all final, seconds)."""
    start = time.monotonic()
    last, last_change = None, start
    while True:
        now = time.monotonic()
        try:
            done = broker.results(ids)
        except (OSError, RedisError):
            done = {}
        finals = sum(1 for s in done.values() if s in FINAL)
        if finals >= len(ids):
            return True, now - start
        marker = (finals, count_lines(progress_path) if progress_path else 0)
        if marker != last:
            last, last_change = marker, now
        if now - start > timeout or (idle and now - last_change > idle):
            return False, now - start
        time.sleep(0.05)


def drain(broker, ids, path, workdir, tag, lease=2):
    """A fresh worker runs whatever the trial returned to the queue; then it is stopped."""
    proc = worker(broker.urls(), os.path.join(workdir, f"drain-{tag}.log"), lease=lease)
    ok, _ = wait_final(broker, ids, timeout=60, idle=3 * lease + 4, progress_path=path)
    terminate(proc, 30)
    return ok


def tally(path, ids, broker):
    """Executions per id from the record file; lost = never executed and not waiting."""
    runs = collections.Counter(task_id for task_id, _ in record_lines(path))
    waiting = broker.waiting_ids()
    lost = [i for i in ids if runs[i] == 0 and i not in waiting]
    twice = [i for i in ids if runs[i] > 1]
    stuck = [i for i in ids if runs[i] == 0 and i in waiting]
    return runs, lost, twice, stuck
