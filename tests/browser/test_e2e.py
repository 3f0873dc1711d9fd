"""The app in a real browser: every page, live editing, verdicts across reloads and restarts, hostile text.

Run with the rest of the suite (``make test``) or alone: ``.venv/bin/pytest tests/browser -q``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import re

import pytest

from .e2e_helpers import (
    LAUNCH_ARGS,
    PAGE_TIMEOUT_MS,
    AppServer,
    each_page,
    error_texts,
    go_to_page,
    metric_values,
    visit,
    wait_for_metrics,
    wait_ready,
)


def test_every_page_loads_on_the_bundled_data(app_server, page):
    seen = []
    for path in each_page(page, app_server.url):
        seen.append(path)
        assert not error_texts(page), (path, error_texts(page))
        assert page.locator("h1").first.inner_text().strip(), path
    assert len(seen) >= 9 and "" in seen and "triage" in seen, seen
    assert not page.dialogs and not page.js_errors, (page.dialogs, page.js_errors)


def _type_into(page, label: str, text: str) -> None:
    box = page.get_by_label(label)
    box.fill(text)
    box.press("Control+Enter")


def test_typing_in_the_live_editor_updates_the_scores(app_server, page):
    visit(page, f"{app_server.url}/editor?first=20")
    # the editor is a fragment: its metrics can arrive after the page's script has gone idle
    page.locator("[data-testid=stMetricLabel]", has_text="Score, chosen").nth(1).wait_for(timeout=120_000)
    wait_ready(page)
    before = wait_for_metrics(page, "Score, chosen", 2)
    assert len(before) == 2, before  # one per built-in RM
    _type_into(page, "Chosen by people (editable)", "You are an idiot and I will not help you. Go away.")
    wait_ready(page)
    after = wait_for_metrics(page, "Score, chosen", 2, differ_from=before)
    assert len(after) == 2 and after != before, (before, after)
    assert page.get_by_text("Word diff, chosen response").count() == 1
    assert not error_texts(page)


def _recorded(page) -> int:
    text = page.get_by_text(re.compile(r"verdict\(s\) recorded on this dataset")).first.inner_text()
    return int(re.search(r"([\d,]+) verdict\(s\)", text).group(1).replace(",", ""))


def test_a_triage_verdict_survives_a_reload_and_a_restart(tmp_path, browser_data, page):
    server = AppServer(tmp_path / "cache", tmp_path / "streamlit.log", {"SEAL_DATA_DIRS": str(browser_data)})
    server.start()
    try:
        visit(page, f"{server.url}/triage?first=12")
        assert _recorded(page) == 0
        _type_into(page, "Reviewer", "alice")
        wait_ready(page)
        page.get_by_role("button", name="Keep label").click()
        wait_ready(page)
        saved = page.get_by_text(re.compile(r"Saved: keep for pair")).first.inner_text()
        pid = re.search(r"for pair (\S+) \(", saved).group(1)
        assert _recorded(page) == 1
        page.reload()
        wait_ready(page)
        assert _recorded(page) == 1
        assert page.get_by_label("Reviewer").input_value() == "alice"  # the name survives a reload (in the link)
        server.stop()
        server.start()  # a new process on a new port, same review store
        visit(page, f"{server.url}/triage?first=12&reviewer=alice&pair={pid}")
        assert _recorded(page) == 1
        assert page.get_by_text("Your current verdict: keep").count() == 1  # the reviewed pair, reopened by link
        assert not error_texts(page)
    finally:
        server.stop()


def test_script_and_image_tags_in_the_data_render_as_text_and_never_run(app_server, page, browser_data):
    data = browser_data / "xss.jsonl"
    for path in each_page(page, f"{app_server.url}/?data={data}&pair=xss-1"):
        assert page.evaluate("window.__seal_xss") is None, path
        assert not page.dialogs, (path, page.dialogs)
    visit(page, f"{app_server.url}/inspector?data={data}&pair=xss-1")
    assert page.get_by_text("<script>window.__seal_xss").count() >= 1  # shown, as text
    assert page.get_by_text('<img src=x onerror="window.__seal_xss').count() >= 1
    assert page.locator("img[src=x]").count() == 0
    assert page.evaluate("window.__seal_xss") is None and not page.dialogs


async def _editor_session(browser, url: str, text: str) -> tuple[list[tuple], list[str]]:
    from .e2e_helpers import ERROR_BOXES

    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = await context.new_page()
    pg.set_default_timeout(PAGE_TIMEOUT_MS)
    await pg.goto(url)
    await pg.wait_for_selector("[data-testid=stMetricValue]")
    await _async_idle(pg)
    values = []
    for i in range(3):
        box = pg.get_by_label("Chosen by people (editable)")
        # different words each time, long enough that the batch needs padding (the models read 256 tokens)
        await box.fill(f"Edit {i}: {text} " + f"Here is a longer answer number {i} with more words. " * (8 * i))
        await box.press("Control+Enter")
        # the word diff shows this edit once the rerun that scored it has drawn
        await pg.locator("[data-testid=stCode]", has_text=f"Edit {i}:").first.wait_for()
        await _async_idle(pg)
        # every RM's metrics (two edits can round to the same 3 decimals under one RM)
        fresh = pg.locator("[data-testid=stElementContainer]:not([data-stale=true]) [data-testid=stMetricValue]")
        values.append(tuple([await m.inner_text() for m in await fresh.all()]))
    errors = [await e.inner_text() for e in await pg.locator(ERROR_BOXES).all()]
    await context.close()
    return values, errors


async def _async_idle(pg, settle_s: float = 1.5, timeout_s: float = 240) -> None:
    loop = asyncio.get_running_loop()
    deadline, idle_since = loop.time() + timeout_s, None
    while loop.time() < deadline:
        state = await pg.get_attribute("[data-testid=stApp]", "data-test-script-state")
        if state == "notRunning":
            idle_since = idle_since or loop.time()
            if loop.time() - idle_since >= settle_s:
                return
        else:
            idle_since = None
        await asyncio.sleep(0.1)
    raise TimeoutError(pg.url)


def test_four_simultaneous_editors_see_no_error(app_server, chromium_path, sample):
    from playwright.async_api import async_playwright

    ids = sample.pairs["pair_id"].tolist()[:4]

    async def main():
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
            try:
                return await asyncio.gather(*(
                    _editor_session(browser, f"{app_server.url}/editor?first=40&pair={pid}", f"Edit by user {n}.")
                    for n, pid in enumerate(ids)
                ))  # fmt: skip
            finally:
                await browser.close()

    # the sync API's event loop owns this thread: run the four async sessions in a thread of their own
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        results = pool.submit(asyncio.run, main()).result()
    for values, errors in results:
        assert not errors, errors
        assert len(set(values)) == 3, values  # every edit moved the score


def test_an_uploaded_file_loads_and_stays_for_the_session(app_server, page, browser_data):
    visit(page, f"{app_server.url}/overview")
    page.get_by_text("Local file", exact=True).click()
    wait_ready(page)
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(browser_data / "upload.jsonl"))
    page.get_by_text("upload.jsonl").first.wait_for()
    wait_ready(page)
    assert metric_values(page, "Pairs in the slice") == ["4"]
    assert not error_texts(page), error_texts(page)
    go_to_page(page, "inspector")
    assert page.get_by_text("Yes, start small with").count() >= 1  # the uploaded pairs, on another page
    assert not error_texts(page), error_texts(page)


def test_natural_addresses_reach_the_right_page(app_server, page):
    for path, title in [("overview", "Overview"), ("home", "Findings"), ("review", "Triage"),
                        ("live-editor", "Live pair editor"), ("model-cards", "Model cards")]:  # fmt: skip
        visit(page, f"{app_server.url}/{path}?first=5")
        assert page.locator("h1").first.inner_text().strip() == title, path
        assert "Page not found" not in page.locator("[data-testid=stApp]").inner_text()


@pytest.mark.parametrize("query", ["search=zzqxj-no-such-text", "first=1", "first=3", "data=six"])
def test_every_page_loads_on_edge_slices(app_server, page, query, browser_data):
    query = query.replace("data=six", f"data={browser_data / 'six.jsonl'}")
    for path in each_page(page, f"{app_server.url}/?{query}"):
        assert not page.locator("[data-testid=stException]").count(), (path, query, error_texts(page))
        assert not error_texts(page), (path, query, error_texts(page))


def test_presentation_mode_shows_one_finding_per_screen_without_controls(app_server, page):
    visit(page, f"{app_server.url}/?present=1")
    page.get_by_text(re.compile(r"Finding 1 of \d+")).first.wait_for(timeout=120_000)
    total = int(re.search(r"of (\d+)", page.get_by_text(re.compile(r"Finding 1 of \d+")).first.inner_text()).group(1))
    assert not page.locator("[data-testid=stSidebar]").is_visible()  # controls hidden
    assert page.locator("[data-testid=stDataFrame]:visible").count() == 0  # technical tables hidden
    if total > 1:
        page.get_by_role("button", name="Next →").first.click()
        page.get_by_text(f"Finding 2 of {total}").first.wait_for(timeout=60_000)
        wait_ready(page)  # the rerun has replaced the stale buttons
        page.locator("button:not([disabled])", has_text="← Previous").first.click()
        page.get_by_text(f"Finding 1 of {total}").first.wait_for(timeout=60_000)
        wait_ready(page)
    assert not error_texts(page) and not page.js_errors and not page.dialogs


def test_the_audit_report_renders_in_chromium_with_no_console_error_and_fetches_nothing(browser, tmp_path, sample):
    from seal_core.cli import main

    data = tmp_path / "pairs.jsonl"
    sample.pairs.head(40)[["chosen_full", "rejected_full"]].rename(columns=lambda c: c.removesuffix("_full")).to_json(
        data, orient="records", lines=True
    )
    out = tmp_path / "report.html"
    assert main(["report", str(data), "--robustness-sample", "20", "--out", str(out)]) == 0
    context = browser.new_context()
    pg = context.new_page()
    messages, errors, requests = [], [], []
    pg.on("console", lambda m: messages.append((m.type, m.text)))
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("request", lambda r: requests.append(r.url))
    pg.goto(out.as_uri())
    pg.wait_for_load_state("load")
    assert pg.locator("svg").count() >= 4  # the charts drew
    assert pg.locator("h1").first.inner_text().strip()
    assert [m for m in messages if m[0] == "error"] == [] and errors == []
    assert [u for u in requests if not u.startswith("file:")] == []  # self-contained: nothing fetched
    pdf = pg.pdf()  # prints (the print stylesheet applies) without failing
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    context.close()
