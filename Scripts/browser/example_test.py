"""Drives the example web app in a real headless Chromium (selenium + chromium-driver).

Starts the example's binary twice, as the web app and as its Celeriac worker, on a SQLite
broker in a temporary folder, then: uploads a PNG and waits for its thumbnail, factors a
number, asks for a PDF report, counts files, and checks that bad input (a file that is not a
PNG, a number too large, a path that does not exist) shows its message and ends as FAILURE.

    python example_test.py BINARY [--screenshot docs/example.png]

Prints one line per check and a closing "N passed, M failed"; exits 1 on any failure.
"""

import argparse
import os
import signal
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request
import zlib

import browserlib
from browserlib import served_url
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

TASK_TIMEOUT = 30  # seconds a task page may take to show its outcome


def make_png(path, width, height):
    """Writes an RGB gradient PNG, as an upload."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            rows += bytes((x * 255 // width, y * 255 // height, 160))
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    data += chunk(b"IDAT", zlib.compress(bytes(rows))) + chunk(b"IEND", b"")
    with open(path, "wb") as file:
        file.write(data)


class Example:
    """The web app and its worker, on a broker in `folder`."""

    def __init__(self, binary, folder):
        env = dict(os.environ, CELERIAC_EXAMPLE_DATA=folder)
        env.pop("CELERIAC_BROKER_URL", None)
        env.pop("CELERIAC_RESULT_BACKEND", None)
        self.worker = subprocess.Popen([binary, "worker", "-c", "2", "-l", "warning"], env=env)
        self.web = subprocess.Popen(
            [binary, "serve", "--port", "0"], env=env, stdout=subprocess.PIPE, text=True)
        self.url = served_url(self.web)
        if self.url is None:
            self.stop()
            raise RuntimeError("the web app did not start")

    def stop(self):
        for process in (self.web, self.worker):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in (self.web, self.worker):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def browser():
    return browserlib.browser("1000,860")


def wait_for_outcome(driver):
    """Waits until the task page shows SUCCESS or FAILURE; returns the state."""
    WebDriverWait(driver, TASK_TIMEOUT).until(
        lambda d: d.find_element(By.ID, "state").text in ("SUCCESS", "FAILURE", "REVOKED"))
    return driver.find_element(By.ID, "state").text


def submit(driver, example, form, fields):
    driver.get(example.url)
    for name, value in fields.items():
        element = driver.find_element(By.CSS_SELECTOR, f"#{form}-form [name={name}]")
        if element.get_attribute("type") != "file":
            element.clear()
        element.send_keys(value)
    driver.find_element(By.ID, f"{form}-submit").click()
    WebDriverWait(driver, 10).until(EC.presence_of_element_located((By.ID, "task-id")))


def check_thumbnail(driver, example, folder):
    image = os.path.join(folder, "upload.png")
    make_png(image, 640, 400)
    submit(driver, example, "thumbnail", {"image": image})
    assert wait_for_outcome(driver) == "SUCCESS"
    thumbnail = WebDriverWait(driver, 10).until(
        EC.presence_of_element_located((By.ID, "thumbnail")))
    WebDriverWait(driver, 10).until(
        lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", thumbnail))
    size = driver.execute_script(
        "return [arguments[0].naturalWidth, arguments[0].naturalHeight]", thumbnail)
    assert size == [160, 100], size
    assert "160×100 thumbnail of a 640×400 image" in driver.find_element(By.ID, "result").text


def check_factors(driver, example, folder):
    submit(driver, example, "factor", {"number": "600851475143"})
    assert wait_for_outcome(driver) == "SUCCESS"
    text = driver.find_element(By.ID, "factors").text
    assert text == "600851475143 = 71 × 839 × 1471 × 6857", text


def check_report(driver, example, folder):
    submit(driver, example, "report", {"title": "Primes", "limit": "30000"})
    assert wait_for_outcome(driver) == "SUCCESS"
    link = driver.find_element(By.ID, "report-link").get_attribute("href")
    with urllib.request.urlopen(link) as response:
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.read(5) == b"%PDF-"


def check_count(driver, example, folder):
    tree = os.path.join(folder, "tree")
    for index in range(3):
        os.makedirs(os.path.join(tree, f"d{index}"), exist_ok=True)
        for name in ("a", "b"):
            with open(os.path.join(tree, f"d{index}", name), "w") as file:
                file.write("x" * 10)
    submit(driver, example, "count", {"path": tree})
    assert wait_for_outcome(driver) == "SUCCESS"
    text = driver.find_element(By.ID, "count").text
    assert text.startswith("6 files and 3 folders, 60 bytes"), text


def expect_failure(driver, message):
    assert wait_for_outcome(driver) == "FAILURE"
    error = driver.find_element(By.ID, "error")
    assert error.is_displayed() and message in error.text, error.text


def check_bad_number(driver, example, folder):
    submit(driver, example, "factor", {"number": "123456789012345678901234567890"})
    expect_failure(driver, "is too large: at most 18446744073709551615")


def check_bad_upload(driver, example, folder):
    text = os.path.join(folder, "notes.txt")
    with open(text, "w") as file:
        file.write("not an image")
    submit(driver, example, "thumbnail", {"image": text})
    expect_failure(driver, "ValueError: the file is not a PNG image")


def check_bad_path(driver, example, folder):
    submit(driver, example, "count", {"path": "/no/such/folder"})
    expect_failure(driver, "FileNotFoundError: /no/such/folder does not exist")


CHECKS = [check_thumbnail, check_factors, check_report, check_count, check_bad_number,
          check_bad_upload, check_bad_path]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--screenshot", help="save the thumbnail's task page here")
    arguments = parser.parse_args()
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="celeriac-browser-") as folder:
        example = Example(arguments.binary, folder)
        driver = browser()
        try:
            for check in CHECKS:
                try:
                    check(driver, example, folder)
                    passed += 1
                    print(f"✔ {check.__name__}")
                except Exception:
                    failed += 1
                    print(f"✘ {check.__name__}\n{traceback.format_exc()}")
            if arguments.screenshot:
                check_thumbnail(driver, example, folder)
                driver.save_screenshot(arguments.screenshot)
                print(f"screenshot: {arguments.screenshot}")
        finally:
            driver.quit()
            example.stop()
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
