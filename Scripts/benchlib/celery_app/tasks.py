"""Celery 5 side of Scripts/bench: the same task names as Celeriac's example tasks.

Broker and result backend: the benchmark's own redis-server, db 0 and db 1 (as in
shared/celery-wire). The URL comes from BENCH_REDIS_URL (redis://127.0.0.1:PORT).
Configuration is Celery's defaults (prefetch multiplier 4, early ack, JSON) except where
noted: `tasks.record` is acks_late + reject_on_worker_lost, as Celery users configure a
task that must not be lost, and as Celeriac's `tasks.record` is.
"""

import os
import time

from celery import Celery

_base = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379")
app = Celery("tasks", broker=f"{_base}/0", backend=f"{_base}/1")
app.conf.update(
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=True,
)


@app.task(name="tasks.noop")
def noop():
    return None


@app.task(name="tasks.add")
def add(x, y):
    return x + y


@app.task(name="tasks.record", bind=True, acks_late=True, reject_on_worker_lost=True)
def record(self, path, seconds=None):
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{self.request.id} {os.getpid()}\n".encode())
    finally:
        os.close(fd)
    if seconds:
        time.sleep(seconds)
    return self.request.id
