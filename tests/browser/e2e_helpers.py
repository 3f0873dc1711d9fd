"""Helpers of the browser suite: data files with edge cases and hostile text, and waiting for a page to finish."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]  # fmt: skip
PAGE_TIMEOUT_MS = 240_000  # generous: a cold start on a busy 2-core machine


def chromium_executable() -> str | None:
    for name in ("chromium", "chromium-browser"):
        if path := shutil.which(name):
            return path
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    """One ``streamlit run app.py`` process on a free port (start, stop, restart on the same caches)."""

    def __init__(self, cache_dir: Path, log: Path, env: dict[str, str] | None = None) -> None:
        self.cache_dir, self.log, self.extra_env = cache_dir, log, env or {}
        self.proc: subprocess.Popen | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> AppServer:
        self.port = free_port()
        env = {**os.environ, "SEAL_CACHE_DIR": str(self.cache_dir), "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1",
               "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
               **self.extra_env}  # fmt: skip
        cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
               "--server.address", "127.0.0.1", "--server.port", str(self.port), "--browser.gatherUsageStats",
               "false", "--server.fileWatcherType", "none", "--server.runOnSave", "false"]  # fmt: skip
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"streamlit did not answer within {timeout:.0f} s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.proc = None


SCRIPT = "<script>window.__seal_xss = 'script'; alert('script ran')</script>"
IMG = "<img src=x onerror=\"window.__seal_xss = 'img'; alert('img ran')\">"
ERROR_BOXES = "[data-testid=stException], [data-testid=stAlertContentError]"


def _pair(prompt: str, chosen: str, rejected: str, **extra) -> dict:
    return {
        "chosen": f"\n\nHuman: {prompt}\n\nAssistant: {chosen}",
        "rejected": f"\n\nHuman: {prompt}\n\nAssistant: {rejected}",
        **extra,
    }


def write_datasets(folder: Path) -> None:
    """``xss.jsonl`` (script and image-error payloads in every text field and in an id), ``six.jsonl`` (6 clean
    pairs) and ``upload.jsonl`` (4 clean pairs, for the upload test)."""
    rows = [
        _pair(f"Tell me about {SCRIPT}", f"Sure: {IMG} is an image tag.", f"No. {SCRIPT}", id="xss-1"),
        _pair("How do I bake bread?", f"Knead it. {SCRIPT}", f"{IMG} whatever", id=f"xss-2{IMG}"),
        _pair(f"{IMG} what is this?", "It is HTML shown as text.", f"**bold** {SCRIPT}", id="xss-3"),
    ]
    (folder / "xss.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    topics = ["tea", "rain", "maps", "bees", "salt", "kites", "clocks", "ferns"]
    six = [_pair(f"What do you know about {t}?", f"{t.capitalize()} are interesting; here are facts.", "I don't know.")
           for t in topics[:6]]  # fmt: skip
    (folder / "six.jsonl").write_text("".join(json.dumps(r) + "\n" for r in six))
    four = [_pair(f"Any tips on {t}?", f"Yes, start small with {t}.", "No tips.") for t in topics[4:]]
    (folder / "upload.jsonl").write_text("".join(json.dumps(r) + "\n" for r in four))


def _visible_text(page) -> str:
    try:
        return page.locator("[data-testid=stApp]").inner_text(timeout=5000)[:1500]
    except Exception as e:  # noqa: BLE001 - a diagnostic only
        return f"(no text: {e})"


def wait_ready(page, *, settle_s: float = 1.5, timeout_s: float = 240) -> None:
    """Wait until the app has drawn a page title and its script has stayed idle for ``settle_s`` seconds."""
    page.wait_for_selector("[data-testid=stApp]", timeout=timeout_s * 1000)
    try:
        page.wait_for_selector("h1", timeout=timeout_s * 1000)
    except Exception as e:
        raise TimeoutError(
            f"no page title after {timeout_s:.0f} s at {page.url}; the page shows:\n{_visible_text(page)}"
        ) from e
    deadline = time.monotonic() + timeout_s
    idle_since = None
    while time.monotonic() < deadline:
        state = page.get_attribute("[data-testid=stApp]", "data-test-script-state")
        if state == "notRunning":
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since >= settle_s:
                return
        else:
            idle_since = None
        time.sleep(0.1)
    raise TimeoutError(f"still running after {timeout_s:.0f} s at {page.url}; the page shows:\n{_visible_text(page)}")


def visit(page, url: str, **kw) -> None:
    page.goto(url)
    wait_ready(page, **kw)


def error_texts(page) -> list[str]:
    """Text of every traceback and error box on the page (main area and sidebar)."""
    return [e.inner_text()[:500] for e in page.locator(ERROR_BOXES).all()]


def metric_values(page, label: str) -> list[str]:
    """Values of the st.metric widgets whose label is ``label``, in page order (stale ones left from the previous
    run, which Streamlit keeps on screen until the rerun replaces them, are skipped)."""
    out = []
    for m in page.locator("[data-testid=stElementContainer]:not([data-stale=true]) [data-testid=stMetric]").all():
        if m.locator("[data-testid=stMetricLabel]").inner_text().strip() == label:
            out.append(m.locator("[data-testid=stMetricValue]").inner_text().strip())
    return out


def wait_for_metrics(page, label: str, count: int, *, differ_from: list[str] | None = None, timeout_s: float = 120):
    """Wait until exactly ``count`` fresh metrics labelled ``label`` are drawn (and, if given, differ from
    ``differ_from``); return their values. A fragment can draw after the page's script has gone idle."""
    deadline = time.monotonic() + timeout_s
    values: list[str] = []
    while time.monotonic() < deadline:
        values = metric_values(page, label)
        if len(values) == count and (differ_from is None or values != differ_from):
            return values
        time.sleep(0.25)
    return values


def nav_paths(page) -> list[str]:
    """URL paths of every page in the sidebar navigation ('' for the default page)."""
    hrefs = [a.get_attribute("href") or "" for a in page.locator("[data-testid=stSidebarNavLink]").all()]
    return [h.rstrip("/").rsplit("/", 1)[-1] if h.rstrip("/").count("/") > 2 else "" for h in hrefs]


def go_to_page(page, path: str) -> None:
    """Open another page of the app through the sidebar navigation (same session, no reload)."""
    links = page.locator("[data-testid=stSidebarNavLink]")
    links.nth(nav_paths(page).index(path)).click()
    time.sleep(0.3)
    wait_ready(page)


def each_page(page, start_url: str):
    """Open ``start_url`` (which may carry link parameters), then every page in turn through the navigation;
    yields each page's path once it has finished."""
    visit(page, start_url)
    for path in nav_paths(page):
        go_to_page(page, path)
        yield path
