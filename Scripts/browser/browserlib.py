"""What the browser tests share: headless Chromium through Debian's chromedriver, and the
URL a server under test prints when it is ready."""

import re
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service


def browser(window_size):
    """Headless Chromium with a window of `window_size` ("WIDTH,HEIGHT")."""
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", f"--window-size={window_size}"):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def served_url(process, timeout=30):
    """The `http://…` of the "serving on URL" line `process` prints on its standard output
    within `timeout` seconds, or None (it exited or said nothing)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = process.stdout.readline()
        if not line:
            return None
        match = re.search(r"serving on (http://\S+)", line)
        if match:
            return match.group(1)
    return None
