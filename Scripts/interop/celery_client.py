"""A stock Celery 5 client talking to Celeriac through Redis; prints one JSON line per check.

    celery_client.py BROKER_URL BACKEND_URL roundtrip
        tasks.add with args and with kwargs, a countdown, tasks.fail, an unregistered task
        and tasks.add with arguments of the wrong type, each sent with send_task and read
        with AsyncResult.get().
    celery_client.py BROKER_URL BACKEND_URL get TASK_ID
        AsyncResult(TASK_ID).get(): the value, or the exception Celery rebuilt.
    celery_client.py BROKER_URL BACKEND_URL control
        Remote control of the workers: ping, registered, active (with a task running), stats,
        pool_grow and revoke with terminate.
    celery_client.py BROKER_URL BACKEND_URL events
        Captures Celery events (as `celery events` and Flower do) while a task runs; prints the
        event types seen per worker.
    celery_client.py BROKER_URL BACKEND_URL priority PATH
        Sends sixteen tasks.record(PATH) with priorities 9, 4, 7, 0, 2, 99, 3 and 6 (twice, no
        worker needed) and prints their ids and priorities in the order sent.
    celery_client.py BROKER_URL BACKEND_URL restore GROUP_ID
        GroupResult.restore(GROUP_ID): the member ids and their values.
    celery_client.py BROKER_URL BACKEND_URL mapping
        celery.map (xmap of tasks.xsum), celery.starmap (xstarmap of tasks.add), chunks of
        tasks.add, a map naming an unregistered task, and celery.chunks sent by name.
    celery_client.py BROKER_URL BACKEND_URL chord
        Chords: twenty tasks.add into tasks.xsum; a header with tasks.fail, whose body must
        raise ChordError and call the body's link_error errback.
    celery_client.py BROKER_URL BACKEND_URL chord_kill PATH COUNT
        A chord of COUNT tasks.record(PATH, 0.05) (acks-late, requeued when their child dies)
        into an immutable tasks.record(PATH + ".body"); prints the body's id and waits for it.
    celery_client.py BROKER_URL BACKEND_URL workflow
        Canvas messages: a chain of two and of three steps, a link callback, a link_error
        errback, and a chord (which must fail at once, never hang, on a worker without
        chords).
"""
import json
import sys
import time

import uuid

from celery import Celery, chain, chord, signature


def outcome(result, timeout=20):
    """The value of a result, or the exception Celery raised for it."""
    try:
        return {"value": result.get(timeout=timeout)}
    except Exception as error:  # noqa: BLE001 - the point is to see what Celery raises
        return {
            "exc_type": type(error).__name__,
            "exc_module": type(error).__module__,
            "message": str(error),
            "is_exception": isinstance(error, Exception),
        }


def main():
    broker, backend, command = sys.argv[1], sys.argv[2], sys.argv[3]
    app = Celery("interop_client", broker=broker, backend=backend)
    app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"])
    if command == "get":
        print(json.dumps({"check": "get", **outcome(app.AsyncResult(sys.argv[4]))}), flush=True)
        return
    if command == "workflow":
        workflow(app)
        return
    if command == "chord":
        chords(app)
        return
    if command == "mapping":
        from celery.canvas import chunks as chunked, xmap, xstarmap
        xsum, add = signature("tasks.xsum", app=app), signature("tasks.add", app=app)
        sent = [
            ("map", lambda: xmap(xsum, [[1, 2], [3, 4, 5]], app=app).apply_async()),
            ("starmap", lambda: xstarmap(add, [(1, 2), (3, 4)], app=app).apply_async()),
            ("chunks", lambda: chunked(add, [(i, i) for i in range(6)], 3,
                                       app=app).apply_async()),
            ("map_unknown", lambda: xmap(signature("tasks.nope", app=app), [1],
                                         app=app).apply_async()),
        ]
        for name, send in sent:
            print(json.dumps({"check": name, **outcome(send())}), flush=True)
        # celery.chunks sent by name: its value is the group's tuple, read back as Celery does.
        from celery.result import result_from_tuple
        called = app.send_task("celery.chunks", kwargs={
            "task": dict(add), "it": [[i, i] for i in range(6)], "n": 3})
        tuple_value = outcome(called)
        if "value" in tuple_value:
            tuple_value = outcome(result_from_tuple(tuple_value["value"], app))
        print(json.dumps({"check": "chunks_by_name", **tuple_value}), flush=True)
        return
    if command == "restore":
        restored = app.GroupResult.restore(sys.argv[4])
        ids = [result.id for result in restored.results] if restored else None
        values = restored.get(timeout=20) if restored else None
        print(json.dumps({"check": "restore", "ids": ids, "values": values}), flush=True)
        return
    if command == "chord_kill":
        chord_kill(app, sys.argv[4], int(sys.argv[5]))
        return
    if command == "priority":
        sent = []
        for priority in [9, 4, 7, 0, 2, 99, 3, 6] * 2:
            result = app.send_task("tasks.record", args=(sys.argv[4],), priority=priority)
            sent.append([result.id, priority])
        print(json.dumps({"check": "priority", "sent": sent}), flush=True)
        return
    if command == "control":
        control(app)
        return
    if command == "events":
        events(app)
        return
    checks = [
        ("add_args", lambda: app.send_task("tasks.add", args=(2, 3))),
        ("add_kwargs", lambda: app.send_task("tasks.add", kwargs={"x": 40, "y": 2})),
        ("fail", lambda: app.send_task("tasks.fail", args=("boom",))),
        ("unregistered", lambda: app.send_task("tasks.no_such_task")),
        ("bad_arguments", lambda: app.send_task("tasks.add", args=("a",))),
    ]
    for name, send in checks:
        print(json.dumps({"check": name, **outcome(send())}), flush=True)
    started = time.monotonic()
    delayed = app.send_task("tasks.add", args=(1, 2), countdown=1)
    result = outcome(delayed)
    result["elapsed"] = time.monotonic() - started
    print(json.dumps({"check": "countdown", **result}), flush=True)


def workflow(app):
    """Sends each canvas form with signatures by name (no task code needed here)."""
    add = lambda *args: signature("tasks.add", args=args, app=app)  # noqa: E731
    print(json.dumps({"check": "chain2", **outcome(chain(add(1, 2), add(3)).apply_async())}),
          flush=True)
    three = chain(add(1, 2), add(3), add(4)).apply_async()
    print(json.dumps({"check": "chain3", **outcome(three),
                      "parent": three.parent.get(timeout=5)}), flush=True)
    callback_id = str(uuid.uuid4())
    linked = app.send_task("tasks.add", args=(2, 2),
                           link=add(10).set(task_id=callback_id))
    result = outcome(linked)
    result["callback"] = outcome(app.AsyncResult(callback_id))
    print(json.dumps({"check": "link", **result}), flush=True)
    errback_id = str(uuid.uuid4())
    failing = app.send_task("tasks.fail", args=("boom",),
                            link_error=signature("tasks.add", args=(5, 5), immutable=True,
                                                 app=app).set(task_id=errback_id))
    result = outcome(failing)
    result["errback"] = outcome(app.AsyncResult(errback_id))
    print(json.dumps({"check": "link_error", **result}), flush=True)
    started = time.monotonic()
    body = signature("tasks.xsum", app=app)
    result = outcome(chord([add(1, 1), add(2, 2)], body).apply_async(), timeout=15)
    result["elapsed"] = time.monotonic() - started
    print(json.dumps({"check": "chord", **result}), flush=True)


def chords(app):
    """A chord that sums, and one whose header fails."""
    add = lambda *args: signature("tasks.add", args=args, app=app)  # noqa: E731
    started = time.monotonic()
    result = chord([add(i, i) for i in range(20)], signature("tasks.xsum", app=app))()
    checked = outcome(result, timeout=30)
    checked["elapsed"] = time.monotonic() - started
    print(json.dumps({"check": "chord20", **checked}), flush=True)
    errback_id = str(uuid.uuid4())
    body = signature("tasks.xsum", app=app).set(
        link_error=signature("tasks.add", args=(5, 5), immutable=True,
                             app=app).set(task_id=errback_id))
    started = time.monotonic()
    failing = chord([add(1, 1), signature("tasks.fail", args=("boom",), app=app)], body)()
    checked = outcome(failing, timeout=30)
    checked["elapsed"] = time.monotonic() - started
    checked["errback"] = outcome(app.AsyncResult(errback_id))
    # The handle above re-raises its header's error first (Celery does so with its own
    # workers too); the body's own result holds the ChordError.
    checked["body"] = outcome(app.AsyncResult(failing.id))
    print(json.dumps({"check": "chord_failing_header", **checked}), flush=True)


def chord_kill(app, path, count):
    """A long chord whose header tasks survive a lost child (acks-late, requeued)."""
    late = {"celeriac_acks_late": True, "celeriac_reject_on_worker_lost": True}
    header = [signature("tasks.record", args=(path, 0.05), app=app).set(headers=late)
              for _ in range(count)]
    body = signature("tasks.record", args=(path + ".body",), immutable=True, app=app)
    result = chord(header, body)()
    print(json.dumps({"check": "sent", "body": result.id}), flush=True)
    print(json.dumps({"check": "chord_kill", **outcome(result, timeout=120)}), flush=True)


def control(app):
    """Inspects and steers the workers the way `celery inspect` and Flower do (rate_limit
    included: a rate, then 0 to lift it)."""
    inspect = app.control.inspect(timeout=2)
    print(json.dumps({"check": "ping", "value": inspect.ping()}), flush=True)
    print(json.dumps({"check": "registered", "value": inspect.registered()}), flush=True)
    running = app.send_task("tasks.sleep", args=(30,))
    active = {}
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        active = inspect.active() or {}
        if any(task["id"] == running.id for tasks in active.values() for task in tasks):
            break
        time.sleep(0.1)
    print(json.dumps({"check": "active", "value": active, "id": running.id}), flush=True)
    print(json.dumps({"check": "stats", "value": inspect.stats()}), flush=True)
    grown = app.control.pool_grow(1, reply=True, timeout=2)
    print(json.dumps({"check": "pool_grow", "value": grown}), flush=True)
    limited = app.control.rate_limit("tasks.throttled", "2/s", reply=True, timeout=2)
    print(json.dumps({"check": "rate_limit", "value": limited}), flush=True)
    lifted = app.control.rate_limit("tasks.throttled", 0, reply=True, timeout=2)
    print(json.dumps({"check": "rate_limit_off", "value": lifted}), flush=True)
    started = time.monotonic()
    app.control.revoke(running.id, terminate=True, signal="SIGKILL")
    state = running.state
    while state != "REVOKED" and time.monotonic() - started < 10:
        time.sleep(0.05)
        state = running.state
    print(json.dumps({"check": "revoke", "state": state,
                      "elapsed": time.monotonic() - started}), flush=True)


def events(app):
    """Receives events for a few seconds while tasks.add and tasks.fail run."""
    import threading

    seen = []

    def capture():
        with app.connection() as connection:
            receiver = app.events.Receiver(connection, handlers={"*": seen.append})
            try:
                receiver.capture(limit=None, timeout=6, wakeup=False)
            except Exception:  # noqa: BLE001 - the capture ends by timing out
                pass

    thread = threading.Thread(target=capture, daemon=True)
    thread.start()
    time.sleep(1)
    value = app.send_task("tasks.add", args=(2, 3)).get(timeout=5)
    try:
        app.send_task("tasks.fail", args=("boom",)).get(timeout=5)
    except Exception:  # noqa: BLE001
        pass
    thread.join(timeout=10)
    types = sorted({event["type"] for event in seen})
    hosts = sorted({event.get("hostname", "") for event in seen})
    succeeded = [event for event in seen if event["type"] == "task-succeeded"]
    print(json.dumps({"check": "events", "types": types, "hostnames": hosts, "value": value,
                      "result": succeeded[0].get("result") if succeeded else None}), flush=True)


if __name__ == "__main__":
    main()
