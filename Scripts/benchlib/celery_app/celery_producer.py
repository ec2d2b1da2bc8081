"""Celery's producer side of Scripts/bench, the counterpart of `celeriac-bench`.

Same modes and the same one-line JSON output:
  enqueue        --count N [--warmup W]   N x noop.delay(), one process, one message per call
  enqueue-batch  --count N [--warmup W]   the faster of Celery's two batch paths, both timed:
                 group(noop.s() x N).apply_async() and a loop of apply_async on one producer
  roundtrip      --count N [--warmup W]   N x add.delay(1, 2).get(); latencies in ms
  send TASK      --count N [--args JSON]  set-up only: N x apply_async on one producer; prints
                                          {"ids": [...]}
"""

import argparse
import json
import sys
import time

from celery import group

from tasks import add, app, noop


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["enqueue", "enqueue-batch", "roundtrip", "send"])
    parser.add_argument("task", nargs="?")
    parser.add_argument("--args", default="[]")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=0)
    parser.add_argument("--flush-between", action="store_true",
                        help="enqueue-batch: delete the queue between the two paths")
    options = parser.parse_args()
    clock = time.perf_counter

    if options.mode == "enqueue":
        for _ in range(options.warmup):
            noop.delay()
        start = clock()
        for _ in range(options.count):
            noop.delay()
        out = {"seconds": clock() - start}
    elif options.mode == "enqueue-batch":
        for _ in range(options.warmup):
            noop.delay()
        start = clock()
        group(noop.s() for _ in range(options.count)).apply_async()
        group_seconds = clock() - start
        if options.flush_between:
            with app.connection_for_write() as connection:
                connection.default_channel.client.delete("celery")
        start = clock()
        with app.producer_or_acquire() as producer:
            for _ in range(options.count):
                noop.apply_async(producer=producer)
        producer_seconds = clock() - start
        out = {
            "seconds": min(group_seconds, producer_seconds),
            "group_seconds": group_seconds,
            "shared_producer_seconds": producer_seconds,
            "path": "group.apply_async" if group_seconds <= producer_seconds
            else "apply_async(producer=shared)",
        }
    elif options.mode == "send":
        task = app.tasks[options.task]
        args = json.loads(options.args)
        with app.producer_or_acquire() as producer:
            ids = [task.apply_async(args=args, producer=producer).id
                   for _ in range(options.count)]
        out = {"ids": ids}
    else:
        for _ in range(options.warmup):
            assert add.delay(1, 2).get(timeout=30) == 3
        latencies = []
        for _ in range(options.count):
            start = clock()
            value = add.delay(1, 2).get(timeout=30)
            latencies.append((clock() - start) * 1000)
            if value != 3:
                sys.exit(f"add(1, 2) returned {value!r}")
        out = {"latencies_ms": latencies}
    out.update({"mode": options.mode, "count": options.count})
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
