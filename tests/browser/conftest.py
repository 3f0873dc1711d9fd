"""Real-browser fixtures: a real ``streamlit run`` on a free port, driven by Playwright with Debian's chromium.

``make test`` installs chromium with apt-get when it is missing; these tests skip (with the reason) only when no
chromium executable can be found at all. Playwright's own browser download is never used.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .e2e_helpers import LAUNCH_ARGS, PAGE_TIMEOUT_MS, AppServer, chromium_executable, write_datasets


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = chromium_executable()
    if path is None:
        pytest.skip(
            "no chromium executable on PATH: `make test` installs Debian's chromium with "
            "`apt-get install -y chromium`, which failed or is not available on this machine"
        )
    return path


@pytest.fixture(scope="session")
def browser_data(tmp_path_factory) -> Path:
    """Data files for the browser tests (also the data root the server allows)."""
    folder = tmp_path_factory.mktemp("browser-data")
    write_datasets(folder)
    return folder


@pytest.fixture(scope="session")
def app_server(tmp_path_factory, browser_data, chromium_path):
    """The app, started once for the session (its own score cache and review store)."""
    base = tmp_path_factory.mktemp("browser-app")
    env = {"SEAL_DATA_DIRS": str(browser_data), "SEAL_RESTRICT_DATA": "1"}  # ?data= links must lie in the root
    server = AppServer(base / "cache", base / "streamlit.log", env).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh browser context (own session) that records dialogs and page errors."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(PAGE_TIMEOUT_MS)
    pg.dialogs, pg.js_errors = [], []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    pg.on("pageerror", lambda e: pg.js_errors.append(str(e)))
    yield pg
    context.close()
