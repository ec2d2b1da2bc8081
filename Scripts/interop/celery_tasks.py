"""A stock Celery 5 app with the task names of Celeriac's examples, for interop tests.

Run a Python worker on the same Redis as Celeriac:
    CELERIAC_INTEROP_BROKER=redis://127.0.0.1:6379/0 \
    CELERIAC_INTEROP_BACKEND=redis://127.0.0.1:6379/1 \
    .venv/bin/celery -A celery_tasks worker -c 1 --pool prefork   (from Scripts/interop)
"""
import os
import signal

from celery import Celery

# A parent (such as a test runner) may have left TERM/QUIT/INT blocked; unblock them so that
# the worker's warm and cold shutdown work.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGQUIT, signal.SIGINT})

app = Celery(
    "celery_tasks",
    broker=os.environ.get("CELERIAC_INTEROP_BROKER", "redis://127.0.0.1:6379/0"),
    backend=os.environ.get("CELERIAC_INTEROP_BACKEND", "redis://127.0.0.1:6379/1"),
)
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    broker_connection_retry_on_startup=True,
)


@app.task(name="tasks.add")
def add(x, y):
    return x + y


@app.task(name="tasks.xsum")
def xsum(numbers):
    return sum(numbers)


@app.task(name="tasks.fail")
def fail(message=None):
    raise ValueError(message or "failed on purpose")


@app.task(name="tasks.noop")
def noop():
    return None


@app.task(name="tasks.record", bind=True)
def record(self, path, seconds=None):
    with open(path, "a") as runs:
        runs.write(f"{self.request.id} {os.getpid()}\n")
    return self.request.id
