"""The app in a real browser: Debian's headless Chromium driven by Playwright, on the real model.

Needs ``/usr/bin/chromium`` (``make browser`` installs it; Playwright never downloads a browser
here). Without it the tests skip, unless ``QA_REQUIRE_BROWSER=1`` (CI), where they fail.
Screenshots go to a temporary directory, or to ``$QA_SCREENSHOTS`` (e.g. ``docs/screenshots``)
when set: ``QA_SCREENSHOTS=docs/screenshots pytest tests/test_ui_browser.py`` refreshes the
README's pictures.
"""

import os
import socket
from pathlib import Path

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:gradio.queueing")

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("QA_CHROMIUM", "/usr/bin/chromium"))  # Debian's package
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 1000}
TIMEOUT_MS = 30_000


def _require_browser() -> None:
    problem = None
    if not (CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK)):
        problem = (f"{CHROMIUM} is missing: install Debian's chromium (`make browser` or "
                   "`apt-get install chromium`)")
    elif not _playwright_importable():
        problem = "the playwright Python package is not installed (pip install -r requirements.txt)"
    if problem:
        if os.environ.get("QA_REQUIRE_BROWSER") == "1":
            pytest.fail(f"QA_REQUIRE_BROWSER=1 but {problem}")
        pytest.skip(problem)


def _playwright_importable() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    target = os.environ.get("QA_SCREENSHOTS")
    if not target:
        return tmp_path_factory.mktemp("screenshots")
    path = Path(target) if Path(target).is_absolute() else ROOT / target
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def browser():
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def url(browser):
    """The app on the real default model (the product, so screenshots show real answers)."""
    from qa.engine import Engine
    from ui.app import build_app, launch

    engine = Engine.create()
    demo = build_app(lambda: engine)
    yield launch(demo, port=free_port())
    demo.close()


@pytest.fixture()
def page(browser, url):
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    local = ("http://127.0.0.1", "http://localhost", "data:", "blob:")
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(local) else r.abort())
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.goto(url)
    page.wait_for_selector("#ask-box textarea")
    yield page
    context.close()


def ask(page, question: str) -> None:
    before = page.locator("#chat .reply").count()
    box = page.locator("#ask-box textarea")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(f"document.querySelectorAll('#chat .reply').length > {before}")


def test_ask_shows_the_answer_with_highlighted_evidence(page, shots):
    ask(page, "腾讯会自己做ERP吗?")
    reply = page.locator("#chat .reply").last
    assert "does not cover" not in reply.inner_text()
    assert "% confidence" in reply.locator(".conf").inner_text()
    verbatim = reply.locator(".ev-a[lang='zh-Hant']")
    assert verbatim.locator(".ev-para.ev-best").count() == 1
    assert verbatim.locator(".ev-best .ev-sent").count() >= 1
    marks = verbatim.locator("mark.ev-term").all_inner_texts()
    assert "騰訊" in marks and "ERP" in marks  # a Simplified query marks the Traditional text
    page.wait_for_timeout(300)
    page.screenshot(path=str(shots / "ask.png"), full_page=True)

    simplified = reply.locator(".ev-simp")
    assert not simplified.is_visible()
    page.locator("#simp-toggle input").check()
    simplified.wait_for(state="visible")
    assert "腾讯" in simplified.inner_text()


def test_html_in_a_question_is_shown_and_never_runs(page):
    evil = '<img src=x onerror="window.__xss=1;alert(1)"><script>window.__xss=2</script>'
    ask(page, evil)
    assert page.evaluate("window.__xss") is None and page.dialogs == []
    assert page.locator("#chat img[src='x']").count() == 0
    assert evil in page.locator("#chat .user-msg").last.inner_text()


def test_abstention_offers_follow_ups_that_can_be_clicked(page, shots):
    from qa.answertype import DECLINE_REASONS

    ask(page, "腾讯云2018年全年营收是多少?")
    reply = page.locator("#chat .reply").last
    assert "does not cover this" in reply.inner_text()
    # a figure the interview never gives: the reason is shown when it is what declined it
    reasons = reply.locator(".abstain-reason").all_inner_texts()
    assert all(r in DECLINE_REASONS.values() for r in reasons)
    page.wait_for_timeout(300)
    page.screenshot(path=str(shots / "decline.png"), full_page=True)
    options = page.locator("#chat button.option")
    assert options.count() >= 1
    options.first.click()
    page.wait_for_function("document.querySelectorAll('#chat .reply').length >= 2")


def test_compare_shows_answers_side_by_side_and_modes(page, shots):
    page.get_by_role("tab", name="Compare").click()
    page.locator("#compare-box textarea").fill("中台和数据隐私")
    page.locator("#compare-go").click()
    page.wait_for_selector("#compare-cards .card")
    page.wait_for_selector("#compare-modes table.modes")
    assert page.locator("#compare-cards .card").count() == 5
    assert page.locator("#compare-modes .mode").all_text_contents() == [
        "hybrid", "dense", "lexical", "sparse"]
    assert page.locator("#compare-cards .chip-sparse").count() == 5
    page.wait_for_timeout(300)
    page.screenshot(path=str(shots / "compare.png"), full_page=True)


def test_browse_lists_the_whole_interview(page, shots):
    page.get_by_role("tab", name="Browse").click()
    page.wait_for_selector("#browse .b-pair")
    assert page.locator("#browse .b-pair").count() == 13
    page.wait_for_timeout(300)
    page.screenshot(path=str(shots / "browse.png"))
