"""Drives `celeriac dashboard` in a real headless Chromium (selenium + chromium-driver).

Starts the dashboard (through `celeriac dashboard`, which runs `celeriac-dashboard`) on a
SQLite broker in a temporary folder, then a real `celeriac worker`, and checks: the task list
fills while a burst runs, a task page shows a failure's traceback, a dead letter is replayed
and its task then runs, the revoke button revokes a waiting task and the terminate button
ends a running one.

    python dashboard_test.py CELERIAC DASHBOARD_DIR [--redis] [--screenshots docs]

CELERIAC is the core binary; DASHBOARD_DIR holds the built `celeriac-dashboard` (put on
PATH, as a user would). With --redis, the broker and backend are a redis-server of the test's
own instead of the SQLite file. With --screenshots, saves the overview and the task list under load
and a failure's task page as PNGs there. Prints one line per check and a closing
"N passed, M failed"; exits 1 on any failure.
"""

import argparse
import os
import json
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback

import browserlib
from browserlib import served_url
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

TIMEOUT = 30  # seconds a page may take to show what a check waits for
BURST = 400  # tasks in the burst
BURST_SECONDS = "0.02"  # each task's sleep


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Fleet:
    """The dashboard and a worker on one broker: a SQLite file in `folder`, or a redis-server
    of its own."""

    def __init__(self, celeriac, dashboard_dir, folder, redis=False):
        self.celeriac = celeriac
        self.redis = None
        self.database = f"{folder}/celeriac.db"
        if redis:
            self.redis_port = free_port()
            self.redis = subprocess.Popen(
                ["redis-server", "--port", str(self.redis_port), "--save", "", "--dir", folder],
                stdout=subprocess.DEVNULL)
            deadline = time.time() + 10
            while subprocess.run(["redis-cli", "-p", str(self.redis_port), "ping"],
                                 capture_output=True, text=True).stdout.strip() != "PONG":
                if time.time() > deadline:
                    raise RuntimeError("redis-server did not start")
                time.sleep(0.05)
            self.broker = f"redis://127.0.0.1:{self.redis_port}/0"
            self.backend = f"redis://127.0.0.1:{self.redis_port}/1"
        else:
            self.broker = f"sqlite://{folder}/celeriac.db"
            self.backend = self.broker
        self.env = dict(os.environ, PATH=dashboard_dir + os.pathsep + os.environ.get("PATH", ""))
        self.env.pop("CELERIAC_BROKER_URL", None)
        self.env.pop("CELERIAC_RESULT_BACKEND", None)
        self.worker = None
        self.web = subprocess.Popen(
            [celeriac, "dashboard", "--port", "0", "--broker", self.broker,
             "--backend", self.backend],
            env=self.env, stdout=subprocess.PIPE, text=True)
        self.url = served_url(self.web)
        if self.url is None:
            self.stop()
            raise RuntimeError("the dashboard did not start")

    def start_worker(self):
        self.worker = subprocess.Popen(
            [self.celeriac, "worker", "-c", "2", "-l", "warning", "--broker", self.broker,
             "--backend", self.backend],
            env=self.env)

    def send(self, *arguments):
        """Runs `celeriac send …`; returns the ids it printed."""
        output = subprocess.run(
            [self.celeriac, "send", *arguments, "--broker", self.broker, "--backend", self.backend],
            env=self.env,
            check=True, capture_output=True, text=True).stdout
        return output.split()

    def stop(self):
        processes = [p for p in (self.web, self.worker) if p is not None]
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        if self.redis is not None:
            self.redis.terminate()
            self.redis.wait(timeout=10)

    def redis_cli(self, *arguments):
        return subprocess.run(["redis-cli", "-p", str(self.redis_port), *arguments],
                              check=True, capture_output=True, text=True).stdout


def browser():
    return browserlib.browser("1280,960")


def text_of(driver, element_id):
    """The element's text, or "" while it is missing or being re-rendered."""
    try:
        return driver.find_element(By.ID, element_id).text
    except Exception:
        return ""


def click(driver, element_id):
    """Clicks an element that the page may re-render under the click."""
    deadline = time.time() + TIMEOUT
    while True:
        try:
            driver.find_element(By.ID, element_id).click()
            return
        except (StaleElementReferenceException, Exception):
            if time.time() > deadline:
                raise
            time.sleep(0.1)


def open_task(driver, fleet, task_id):
    driver.get(f"{fleet.url}#/task/{task_id}")
    WebDriverWait(driver, TIMEOUT).until(lambda d: text_of(d, "task-id") == task_id)


def wait_state(driver, states):
    WebDriverWait(driver, TIMEOUT).until(lambda d: text_of(d, "field-state") in states)
    return text_of(driver, "field-state")


def make_dead_letter(fleet):
    """Sends tasks.add 2 3 while no worker runs, then moves its message to the dead letters as
    the broker stores one (what a worker does with a message it cannot run); returns the task
    id."""
    task_id = fleet.send("tasks.add", "2", "3")[0]
    if fleet.redis is not None:
        payload = fleet.redis_cli("RPOP", "celery").rstrip("\n")
        entry = json.dumps({"task_id": task_id, "queue": "celery", "created": time.time(),
                            "reason": "parked by the browser test", "payload": payload})
        fleet.redis_cli("LPUSH", "celeriac.dead_letter", entry)
        return task_id
    with sqlite3.connect(fleet.database, timeout=10) as db:
        db.execute(
            "INSERT INTO dead_letters (task_id, queue, reason, payload, created) "
            "SELECT task_id, queue, 'parked by the browser test', payload, ? FROM tasks "
            "WHERE task_id = ?", (time.time(), task_id))
        db.execute("DELETE FROM tasks WHERE task_id = ?", (task_id,))
    return task_id


def check_dead_letter_replay(driver, fleet, state):
    driver.get(f"{fleet.url}#/dead-letters")
    task_id = state["dead_letter_task"]
    row = WebDriverWait(driver, TIMEOUT).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "#dead-letter-table tr[data-id]"))
    assert task_id in row.text, row.text
    row.find_element(By.CSS_SELECTOR, "button.replay").click()
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: d.find_elements(By.ID, "no-dead-letters"))
    open_task(driver, fleet, task_id)
    assert wait_state(driver, ("SUCCESS",)) == "SUCCESS"
    assert text_of(driver, "task-result") == "5", text_of(driver, "task-result")


def check_list_fills_during_burst(driver, fleet, state):
    driver.get(f"{fleet.url}#/tasks?name=tasks.sleep")
    WebDriverWait(driver, TIMEOUT).until(lambda d: d.find_elements(By.ID, "task-rows"))
    fleet.send("tasks.sleep", BURST_SECONDS, "--count", str(BURST))
    seen = []
    deadline = time.time() + TIMEOUT
    while time.time() < deadline:
        count = driver.execute_script(
            "return document.querySelectorAll('#task-rows tr[data-state=SUCCESS]').length")
        if not seen or seen[-1] != count:
            seen.append(count)
        if count >= 100:  # the page shows the newest 100
            break
        if state.get("screenshots") and 20 <= count and "tasks" not in state["shot"]:
            driver.save_screenshot(os.path.join(state["screenshots"], "dashboard-tasks.png"))
            state["shot"].add("tasks")
        time.sleep(0.2)
    assert seen[-1] >= 100, seen
    assert any(0 < count < 100 for count in seen), f"the list never showed a partial burst: {seen}"


def check_overview_under_load(driver, fleet, state):
    driver.get(fleet.url + "#/")
    fleet.send("tasks.fail", "boom", "--count", "20")
    fleet.send("tasks.sleep", BURST_SECONDS, "--count", str(BURST))
    deadline = time.time() + TIMEOUT
    busy_seen = False
    while time.time() < deadline:
        busy = text_of(driver, "stat-busy")
        queued = text_of(driver, "stat-queued")
        if busy.startswith("2 /") or busy.startswith("1 /"):
            busy_seen = True
        failed = text_of(driver, "stat-failed")
        if busy_seen and failed.isdigit() and int(failed) > 0 and queued.isdigit() \
                and int(queued) < BURST // 2:
            break
        time.sleep(0.2)
    assert busy_seen, "the overview never showed a busy child"
    paths = driver.execute_script(
        "return document.querySelectorAll('#chart-depth path, #chart-throughput path').length")
    assert paths >= 2, paths
    if state.get("screenshots"):
        driver.save_screenshot(os.path.join(state["screenshots"], "dashboard-overview.png"))


def check_failure_traceback(driver, fleet, state):
    task_id = fleet.send("tasks.fail", "boom from the browser test")[0]
    open_task(driver, fleet, task_id)
    assert wait_state(driver, ("FAILURE",)) == "FAILURE"
    tb = WebDriverWait(driver, TIMEOUT).until(lambda d: text_of(d, "task-traceback"))
    assert tb.startswith("Traceback (most recent call last):"), tb
    assert "ValueError: boom from the browser test" in tb, tb
    assert text_of(driver, "task-args") == '["boom from the browser test"]'
    assert text_of(driver, "field-child-pid").isdigit(), text_of(driver, "field-child-pid")
    if state.get("screenshots"):
        driver.save_screenshot(os.path.join(state["screenshots"], "dashboard-task.png"))


def check_revoke_button(driver, fleet, state):
    task_id = fleet.send("tasks.add", "1", "1", "--countdown", "2")[0]
    driver.get(f"{fleet.url}#/queued")
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, f"#queued-table tr[data-id='{task_id}']"))
    open_task(driver, fleet, task_id)
    assert "waiting in queue celery" in text_of(driver, "task-waiting"), text_of(driver, "task-waiting")
    click(driver, "revoke")
    WebDriverWait(driver, TIMEOUT).until(lambda d: text_of(d, "field-revoked") == "yes")
    # When its countdown ends the worker finds it revoked and stores REVOKED without running it.
    assert wait_state(driver, ("REVOKED", "SUCCESS")) == "REVOKED"


def check_terminate_button(driver, fleet, state):
    task_id = fleet.send("tasks.sleep", "60")[0]
    open_task(driver, fleet, task_id)
    assert wait_state(driver, ("STARTED",)) == "STARTED"
    click(driver, "terminate")
    assert wait_state(driver, ("REVOKED", "FAILURE")) == "REVOKED"


CHECKS = [check_dead_letter_replay, check_list_fills_during_burst, check_overview_under_load,
          check_failure_traceback, check_revoke_button, check_terminate_button]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("celeriac")
    parser.add_argument("dashboard_dir")
    parser.add_argument("--redis", action="store_true", help="run on a redis-server of its own")
    parser.add_argument("--screenshots", help="save PNGs of the dashboard under load here")
    arguments = parser.parse_args()
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="celeriac-dashboard-") as folder:
        fleet = Fleet(arguments.celeriac, arguments.dashboard_dir, folder, redis=arguments.redis)
        print(f"broker {fleet.broker}")
        state = {"screenshots": arguments.screenshots, "shot": set()}
        driver = browser()
        try:
            state["dead_letter_task"] = make_dead_letter(fleet)
            fleet.start_worker()
            for check in CHECKS:
                try:
                    check(driver, fleet, state)
                    passed += 1
                    print(f"✔ {check.__name__}")
                except Exception:
                    failed += 1
                    print(f"✘ {check.__name__}\n{traceback.format_exc()}")
        finally:
            driver.quit()
            fleet.stop()
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
