"""The first five minutes in a real browser: headless Chromium (Debian's `chromium`, driven by
Playwright for Python) opens the index and every API's Swagger UI, which come already
authorized with the demo credentials, and clicks "Try it out" -> "Execute" on one authenticated
operation per API: the page shows a 2xx, and nothing the pages load answers 4xx or 5xx.

`bash .ci/run` installs both; the README's plain test command skips this file without them."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

pytestmark = pytest.mark.once

CHROMIUM = os.environ.get("UNDERSTUDY_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
HOW = "apt-get install -y chromium && pip install -e '.[browser]' (bash .ci/run does both)"
REQUIRED = os.environ.get("UNDERSTUDY_BROWSER_REQUIRED") == "1"  # CI: fail rather than skip
try:
    from playwright import sync_api
except ImportError:
    sync_api = None
if CHROMIUM is None or sync_api is None:
    missing = "Chromium" if CHROMIUM is None else "Playwright for Python"
    if REQUIRED:
        pytest.fail(f"the browser test needs {missing}: {HOW}", pytrace=False)
    pytest.skip(f"needs {missing}: {HOW}", allow_module_level=True)

# Flags that work on a machine with no display, GPU or network but 127.0.0.1.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
WAIT_MS = 60_000  # a busy 2-core machine renders Takaro's 182 operations slowly

# One operation per API that needs the demo credentials: its method and path in the spec.
FIRST_CLICK = [
    ("platform", "get", "/users/me"),
    ("takaro", "get", "/me"),
    ("tiikr", "get", "/test"),
    ("timbr", "get", "/api/get_ontologies/"),
    ("timekit", "get", "/bookings"),
]


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright, tempfile.TemporaryDirectory(prefix="understudy-chromium-") as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield context
        context.close()


@pytest.fixture
def page(browser):
    """A fresh tab that remembers every answer the server gave it."""
    tab = browser.new_page()
    tab.set_default_timeout(WAIT_MS)
    tab.answers = []
    tab.on("response", lambda response: tab.answers.append((response.status, response.url)))
    yield tab
    tab.close()


def failures(page, live_server: str) -> list:
    return [(status, url) for status, url in page.answers if status >= 400 and url.startswith(live_server)]


@pytest.mark.parametrize("api, method, path", FIRST_CLICK, ids=[row[0] for row in FIRST_CLICK])
def test_the_first_execute_answers_2xx(page, live_server, api, method, path):
    page.goto(f"{live_server}/{api}/ui/")
    operation = page.locator(f'.opblock-{method}:has(.opblock-summary-path[data-path="{path}"])').first
    operation.locator(".opblock-summary").click()
    operation.locator(".try-out__btn").click()
    operation.locator(".execute").click()
    status = operation.locator(".live-responses-table .response .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip().startswith("2"), operation.locator(".live-responses-table").inner_text()
    assert failures(page, live_server) == []


def test_the_index_links_every_api_and_the_admin_ui(page, live_server, app):
    page.goto(f"{live_server}/")
    for name, mount in app.mounts.items():
        section = page.locator(f"section#{name}")
        assert section.locator(f'a[href="{live_server}{mount.prefix}/ui/"]').count() == 1
        assert f"{live_server}{mount.base_path}" in section.inner_text()
    assert page.locator('a[href="/__understudy/ui/"]').count() == 1
    page.goto(f"{live_server}/__understudy/ui/")
    page.locator(".opblock").first.wait_for()
    assert failures(page, live_server) == []


@pytest.mark.parametrize("user, status", [
    ("-", "200"),  # the placeholder the page documents: sent as Timekit's empty user
    ("", "401"),  # Swagger UI's form sends no credentials at all; the page shows the 401, no login dialog
])
def test_timekit_key_typed_into_the_form(page, live_server, user, status):
    page.goto(f"{live_server}/timekit/ui/")
    page.click(".btn.authorize")
    page.click(".auth-btn-wrapper button:has-text('Logout')")
    page.fill(".auth-container input[type=text]", user)
    page.fill(".auth-container input[type=password]", "live_api_key_7nzvc7wsBQQISLeFSVhROys9V1bUJ1z7")
    page.click(".auth-btn-wrapper .authorize")
    page.click(".btn-done")
    operation = page.locator('.opblock-get:has(.opblock-summary-path[data-path="/bookings"])').first
    operation.locator(".opblock-summary").click()
    operation.locator(".try-out__btn").click()
    operation.locator(".execute").click()
    shown = operation.locator(".live-responses-table .response .response-col_status").first
    shown.wait_for()
    assert shown.inner_text().strip().startswith(status)
