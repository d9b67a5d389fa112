"""The app in a real browser: Debian's headless Chromium driven by Playwright, on the real model.

Needs ``/usr/bin/chromium`` (``make browser`` installs it; Playwright never downloads a browser
here). Without it the tests skip, unless ``QA_REQUIRE_BROWSER=1`` (CI), where they fail.
Screenshots go to a temporary directory, or to ``$QA_SCREENSHOTS`` (e.g. ``docs/screenshots``)
when set: ``QA_SCREENSHOTS=docs/screenshots pytest tests/test_ui_browser.py`` refreshes the
README's pictures.
"""

import os
import re
import socket
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:gradio.queueing")

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("QA_CHROMIUM", "/usr/bin/chromium"))  # Debian's package
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 1000}
PHONE = {"width": 390, "height": 844}
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


def open_page(browser, url, viewport, locale=None, headers=None, mobile=False):
    """A new page on *url*; *locale* sets the browser's language (``navigator.language``),
    *headers* extra HTTP headers; *mobile* makes the browser a phone's (touch, and the page's
    viewport meta tag honoured), which lays some of Gradio's widgets out otherwise."""
    context = browser.new_context(viewport=viewport, device_scale_factor=1,
                                  **({"locale": locale} if locale else {}),
                                  **({"extra_http_headers": headers} if headers else {}),
                                  **({"is_mobile": True, "has_touch": True} if mobile else {}))
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    local = ("http://127.0.0.1", "http://localhost", "data:", "blob:")
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(local) else r.abort())
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.goto(url)
    page.wait_for_selector("#ask-box textarea")
    return context, page


@pytest.fixture()
def page(browser, url):
    context, page = open_page(browser, url, VIEWPORT)
    yield page
    context.close()


@pytest.fixture()
def phone(browser, url):
    context, page = open_page(browser, url, PHONE)
    yield page
    context.close()


def ask(page, question: str) -> None:
    before = page.locator("#chat .reply").count()
    box = page.locator("#ask-box textarea")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(f"document.querySelectorAll('#chat .reply').length > {before}")


def compare(page, question: str, modes_shown: bool = True) -> None:
    """Ask *question* in the Compare tab and wait for the cards and the modes table (unless
    *modes_shown* is false: folded on a phone, where it is written when unfolded)."""
    page.get_by_role("tab", name="Compare").click()
    page.locator("#compare-box textarea").fill(question)
    page.locator("#compare-go").click()
    page.wait_for_selector("#compare-cards .card")
    if modes_shown:
        page.wait_for_selector("#compare-modes .modes .mcell")


def test_ask_shows_the_answer_with_highlighted_evidence(page, shots):
    ask(page, "腾讯会自己做ERP吗?")
    reply = page.locator("#chat .reply").last
    assert "没有谈到" not in reply.inner_text()
    assert "置信度" in reply.locator(".conf").inner_text()  # in the question's language
    verbatim = reply.locator(".ev-a[lang='zh-Hant']")
    assert verbatim.locator(".ev-para.ev-best").count() == 1
    assert verbatim.locator(".ev-best .ev-sent").count() >= 1
    marks = verbatim.locator("mark.ev-term").all_inner_texts()
    assert "騰訊" in marks and "ERP" in marks  # a Simplified query marks the Traditional text
    page.wait_for_timeout(300)
    page.screenshot(path=str(shots / "ask.png"), full_page=True)

    simplified = reply.locator("div.ev-simp")
    assert not simplified.is_visible()
    page.locator("#simp-toggle input").check()
    simplified.wait_for(state="visible")
    assert "腾讯" in simplified.inner_text()


def test_a_question_about_the_interview_gets_its_introduction_and_clickable_topics(page, shots):
    ask(page, "这篇采访讲了什么?")
    reply = page.locator("#chat .reply").last
    assert "湯道生執掌雲與智慧產業事業羣" in reply.locator(".about-lead").first.inner_text()
    topics = reply.locator("li.ask-link")
    assert topics.count() == 6 and not reply.locator("details.lead").get_attribute("open")
    page.wait_for_timeout(300)
    page.screenshot(path=str(shots / "about.png"), full_page=True)
    topics.nth(2).click()  # 騰訊沒有中臺能力是“誤解”: asks the first question under it
    page.wait_for_function("document.querySelectorAll('#chat .reply').length > 1")
    assert page.locator("#chat .reply").last.locator(".reply-head .pid").inner_text() == "p07"


def test_html_in_a_question_is_shown_and_never_runs(page):
    evil = '<img src=x onerror="window.__xss=1;alert(1)"><script>window.__xss=2</script>'
    ask(page, evil)
    assert page.evaluate("window.__xss") is None and page.dialogs == []
    assert page.locator("#chat img[src='x']").count() == 0
    assert evil in page.locator("#chat .user-msg").last.inner_text()


def test_a_follow_up_is_read_with_the_question_before_it(page, shots):
    """The previous question survives Gradio's round trip of the chat history (it rides in the
    user bubble), so a follow-up that names no topic is answered, and says how it was read."""
    ask(page, "腾讯会自己做ERP吗?")
    ask(page, "他这样划边界的理由是什么")
    reply = page.locator("#chat .reply").last
    note = reply.locator(".notice-followup")
    assert note.count() == 1 and "腾讯会自己做ERP吗" in note.inner_text()
    assert "没有谈到" not in reply.inner_text() and reply.locator(".reply-head .pid").inner_text() == "p10"
    # the same exchange as the reply above: folded under a note, which opens it
    same = reply.locator("details.same")
    assert same.count() == 1 and not reply.locator(".ev-a").first.is_visible()
    same.locator("> summary").click()
    reply.locator(".ev-a").first.wait_for(state="visible")
    same.locator("> summary").click()  # folded again for the screenshot
    page.wait_for_timeout(300)
    page.screenshot(path=str(shots / "follow-up.png"), full_page=True)
    # after Clear, nothing is carried over: the same follow-up is declined
    page.get_by_role("button", name="Clear chat").click()
    page.wait_for_function("document.querySelectorAll('#chat .reply').length === 0")
    ask(page, "他这样划边界的理由是什么")
    last = page.locator("#chat .reply").last  # declined ("not covered" or "not sure"), no answer
    assert "abstain" in last.get_attribute("class") and last.locator(".ev-a").count() == 0


def test_abstention_lists_the_nearest_questions_once_and_a_click_asks_one(page, shots):
    from ui.i18n import table

    ask(page, "腾讯云2018年全年营收是多少?")
    reply = page.locator("#chat .reply").last
    assert "这次访谈没有谈到这个问题" in reply.inner_text()
    # a figure the interview never gives: the reason is shown when it is what declined it
    reasons = reply.locator(".abstain-reason").all_inner_texts()
    known = {v for k, v in table("zh-Hans").items() if k.startswith("reason_")}
    assert all(r in known for r in reasons)
    page.wait_for_timeout(300)
    page.screenshot(path=str(shots / "decline.png"), full_page=True)
    # listed once: in the reply, not again as Gradio's option buttons under it
    assert page.locator("#chat button.option").count() == 0
    items = reply.locator("li.ask-link")
    assert items.count() >= 1
    expected = items.first.get_attribute("title")
    items.first.click()
    page.wait_for_function("document.querySelectorAll('#chat .reply').length >= 2")
    assert page.locator("#chat .user-msg").last.inner_text().strip() == expected


def test_a_listed_exchange_asks_its_question_in_an_old_reply_too(page):
    """The numbered list in a reply (and the runners-up under an answer) asks its questions on a
    click or a key, in older replies too (Gradio's option buttons would exist under the latest
    reply only)."""
    ask(page, "What is the weather like today?")
    declined = page.locator("#chat .reply").nth(0)  # nth, not last: later replies come
    item = declined.locator("li.ask-link").first
    expected = item.get_attribute("title")
    assert expected
    ask(page, "Why won't Tencent build its own ERP?")
    replies = page.locator("#chat .reply").count()
    item.click()
    page.wait_for_function(f"document.querySelectorAll('#chat .reply').length > {replies}")
    assert page.locator("#chat .user-msg").last.inner_text().strip() == expected
    # the runners-up under an older answer (the ERP one), with the keyboard
    answer = page.locator("#chat .reply").nth(1)
    answer.locator("details.runners > summary").click()
    runner = answer.locator("li.ask-link").first
    expected = runner.get_attribute("title")
    replies = page.locator("#chat .reply").count()
    runner.focus()
    runner.press("Enter")
    page.wait_for_function(f"document.querySelectorAll('#chat .reply').length > {replies}")
    assert page.locator("#chat .user-msg").last.inner_text().strip() == expected
    # the keyboard goes on from the question box, not from the old reply
    assert page.evaluate("document.activeElement === document.querySelector('#ask-box textarea')")


def test_the_header_lines_up_with_the_status_line_tabs_and_chat(page, phone):
    for p in (page, phone):
        left = [p.locator(sel).first.bounding_box()["x"]
                for sel in (".app-title", "#app-sub p", ".status p", "#tabs [role=tab]", "#chat")]
        assert max(left) - min(left) <= 1, left


EXCHANGE_ID = r"(?<![A-Za-z])p\d\d(?!\d)"  # "p10", also where Chinese follows it


def copy_last(page) -> str:
    """What the copy button under the newest message puts on the clipboard."""
    # Gradio labels the button "Copied message" for two seconds after a copy
    page.locator("#chat button[aria-label='Copy message'], "
                 "#chat button[aria-label='Copied message']").last.click()
    page.wait_for_timeout(600)  # the app's copy follows Gradio's own
    return page.evaluate("navigator.clipboard.readText()")


def test_the_copy_button_copies_a_quotation_not_the_apps_words(page):
    """A copied answer is the interviewer's question, the answer as shown and who said it, to
    whom and when, in the reply's language; not the badge, ids, labels or explanations."""
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    ask(page, "腾讯会自己做ERP吗")
    copied = copy_last(page)
    assert "<div" not in copied and "class=" not in copied
    assert copied.startswith("提問\n騰訊在服務產業互聯網客戶的過程中")
    assert "ERP已經是比較成熟的市場" in copied and "也不是的。" in copied
    assert copied.endswith("\n— 汤道生，2019 年 5 月接受第一财经专访")
    assert not re.search(EXCHANGE_ID, copied)
    for words in ("置信度", "談邊界", "英文版", "简体中文", "高亮", "匹配词", "其他相近的问答"):
        assert words not in copied, words
    # as shown: with the Simplified copy when it is on
    page.locator("#simp-toggle input").check()
    page.locator("#chat .reply .ev-simp").last.wait_for(state="visible")
    assert "ERP已经是比较成熟的市场" in copy_last(page)
    # an English question: the English edition (open) too, who speaks and the attribution in
    # English (labels as written, not in the page's small capitals)
    ask(page, "Will Tencent build its own ERP?")
    copied = copy_last(page)
    assert "ERP已經是比較成熟的市場" in copied and "ERP is already a fairly mature market" in copied
    assert copied.startswith("Interviewer (提問)\n騰訊在服務產業互聯網客戶的過程中")
    assert re.search(r"\nDowson Tong \(湯道生\)\n+爲什麼騰訊要把所有的事兒都做了\?", copied)
    assert "\nInterviewer\nIn serving industrial internet customers" in copied
    assert re.search(r"\nDowson Tong\n+Why should Tencent do everything itself\?", copied)
    assert copied.endswith("\n— 湯道生 (Dowson Tong), interviewed by 第一財經 (Yicai), May 2019")
    assert "confidence" not in copied and "English edition" not in copied
    # a decline: its message, without ids, badge or attribution
    ask(page, "今天天气怎么样")
    copied = copy_last(page)
    assert copied.startswith("这次访谈没有谈到这个问题。")
    assert "置信度" not in copied and not re.search(EXCHANGE_ID, copied) and "—" not in copied


def test_the_copy_of_the_about_reply_is_its_content_not_the_apps_words(page):
    """The reply about the interview copies the article's head, introduction and topics; not
    what the chatbot says about itself or how to use the list."""
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    ask(page, "What is this interview about?")
    copied = copy_last(page)
    assert copied.startswith("22.05.2019 · This article has 5,487 characters"), copied
    assert re.search(r"\nThe interview's topics:\n+花時間最多的事:拜訪客戶\nWhat takes up most",
                     copied), copied
    for words in ("This chatbot", "click", "Introduction"):
        assert words not in copied, words


def test_compare_shows_answers_side_by_side_and_modes(page, shots):
    compare(page, "中台和数据隐私")
    assert page.locator("#compare-cards .card").count() == 5
    # named in the page's language, as the legends explaining them; the verdict in the question's
    assert page.locator("#compare-modes .mode").all_text_contents() == [
        "hybrid", "dense", "lexical", "sparse"]
    assert page.locator("#compare-cards .verdict").inner_text() == "hybrid · 会回答"
    # a mode's cells line up with the ranks beside them, as in a table
    tops = page.evaluate("""() => [...document.querySelectorAll('#compare-modes .mcol')]
        .map(col => [...col.querySelectorAll('.rk, .mcell')].map(c =>
            Math.round(c.getBoundingClientRect().top + c.getBoundingClientRect().height / 2)))""")
    assert all(len(col) == 5 for col in tops)
    assert all(abs(col[r] - tops[0][r]) <= 1 for col in tops for r in range(5)), tops
    assert page.locator("#compare-cards .chip-sparse").count() == 5
    page.wait_for_timeout(300)
    page.screenshot(path=str(shots / "compare.png"), full_page=True)


def test_browse_lists_the_whole_interview(page, shots):
    page.get_by_role("tab", name="Browse").click()
    page.wait_for_selector("#browse .b-pair")
    assert page.locator("#browse .b-pair").count() == 13
    page.wait_for_timeout(300)
    page.screenshot(path=str(shots / "browse.png"))


# Where the newest reply's head (its confidence badge) sits, and the chat's scrolling box.
REPLY_PLACE = """() => {
  const log = document.querySelector('#chat [role=log]').getBoundingClientRect();
  const replies = document.querySelectorAll('#chat .reply');
  const badge = replies[replies.length - 1].querySelector('.conf').getBoundingClientRect();
  return {top: log.top, bottom: log.bottom, badgeTop: badge.top, badgeBottom: badge.bottom};
}"""
LONG = "How do Tencent's business groups work together on to-B?"  # a six-paragraph answer


def assert_reply_starts_in_view(page) -> None:
    # the chat scrolls to the new exchange just after the reply is rendered
    deadline = time.monotonic() + 5
    while True:
        place = page.evaluate(REPLY_PLACE)
        if place["top"] <= place["badgeTop"] <= place["badgeBottom"] <= place["bottom"]:
            break
        assert time.monotonic() < deadline, f"the new reply's head is out of sight: {place}"
        page.wait_for_timeout(100)
    # the reply's head (confidence, section) is near the top of the chat, not scrolled past
    assert place["top"] <= place["badgeTop"] <= place["top"] + (place["bottom"] - place["top"]) / 2
    assert place["top"] >= 0  # and the chat's top is on the screen


@pytest.mark.parametrize("device", ["page", "phone"])
def test_a_long_reply_is_shown_from_its_start(device, request, shots):
    page = request.getfixturevalue(device)
    ask(page, "腾讯会自己做ERP吗?")
    assert_reply_starts_in_view(page)
    ask(page, LONG)  # a second, long one: the chat has to scroll down to its start, not past it
    assert_reply_starts_in_view(page)
    page.wait_for_timeout(300)
    page.screenshot(path=str(shots / f"scroll-{device}.png"))
    # Gradio's scroll-down button, shown while the long reply runs below the fold, keeps to the
    # chat's right edge instead of covering the text in the middle
    button = page.locator("#chat .scroll-down-button-container").first
    button.wait_for(state="visible", timeout=3000)
    log, b = page.locator("#chat [role=log]").bounding_box(), button.bounding_box()
    assert b["x"] + b["width"] >= log["x"] + log["width"] - 40, (b, log)
    assert b["x"] >= log["x"] + log["width"] * 0.7, (b, log)
    # Enter on an empty box adds nothing, however often
    rows = page.locator("#chat .message-row").count()
    box = page.locator("#ask-box textarea")
    for _ in range(3):
        box.fill("  ")
        box.press("Enter")
    page.wait_for_timeout(1500)
    assert page.locator("#chat .message-row").count() == rows
    assert_reply_starts_in_view(page)  # and does not move the chat


def tab_bar(page) -> tuple[int, int]:
    box = page.locator("#tabs").bounding_box()
    return round(box["x"]), round(box["width"])


def test_the_page_keeps_its_width_across_tabs(page):
    on_ask = tab_bar(page)
    for name in ("Compare", "Browse", "Ask"):
        page.get_by_role("tab", name=name).click()
        page.wait_for_timeout(300)
        assert tab_bar(page) == on_ask, name


def test_compare_fits_a_phone_and_cards_are_not_clipped(browser, url, shots):
    """On a Chinese phone, an example question in English: the modes and scores are named in
    Chinese, as the page's legends; the modes, once unfolded, stack instead of running off the
    screen."""
    context, phone = open_page(browser, url, PHONE, locale="zh-CN")
    try:
        phone.get_by_role("tab", name="对比").click()
        phone.locator("#compare-examples button").filter(
            has_text="What changed after the 930 reorganisation?").click()
        phone.wait_for_selector("#compare-cards .card")
        phone.locator("#modes-fold button").first.click()
        phone.wait_for_selector("#compare-modes .modes .mcell")
        phone.wait_for_timeout(300)
        modes = phone.locator("#compare-modes .mode").all_inner_texts()
        assert modes == ["混合", "稠密", "词汇", "稀疏"]
        assert phone.locator("#compare-cards .chip-fused").first.inner_text().startswith("融合 ")
        assert phone.locator("#compare-cards .verdict").inner_text() == "混合 · answered"
        # no sideways scrolling of the page: the cards scroll inside their box
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        # the modes stack: every mode's name and every cell lies within the screen's width, none
        # cut off (four columns of a table ran off it, the fourth out of sight)
        edges = phone.evaluate("""() => [...document.querySelectorAll(
            '#compare-modes .mode, #compare-modes .mcell')].map(e => {
                const r = e.getBoundingClientRect(); return [r.left, r.right]; })""")
        assert len(edges) == 4 + 4 * 5
        assert all(0 <= left and right <= PHONE["width"] for left, right in edges), edges
        assert phone.locator("#compare-modes .mrk").first.is_visible()  # each cell says its rank
        # each card shows all of itself, its "whole answer" link included
        assert phone.evaluate("""() => [...document.querySelectorAll('#compare-cards .card')]
            .every(c => c.scrollHeight <= c.clientHeight + 1)""")
        first = phone.locator("#compare-cards .card").first
        assert first.locator("details.whole summary").first.is_visible()
    finally:
        context.close()


def test_compare_on_a_phone_folds_the_modes_and_keeps_the_cards(browser, url, phone, shots):
    """On a phone the ranking under each mode (four stacked lists, over half of a 3,500 px page)
    starts folded, under its heading; the cards (ranks and answer snippets) show. A wider screen
    shows the modes from the start."""
    compare(phone, "中台和数据隐私", modes_shown=False)
    fold = phone.locator("#modes-fold")
    assert fold.get_by_text("The same question under each retrieval mode").is_visible()
    phone.wait_for_timeout(300)
    assert not phone.locator("#compare-modes .mcell").first.is_visible()
    assert phone.locator("#compare-cards .card .ev-a").first.is_visible()
    height = phone.evaluate("document.documentElement.scrollHeight")
    assert height < 2000, height
    phone.screenshot(path=str(shots / "compare-phone.png"), full_page=True)
    fold.get_by_text("The same question under each retrieval mode").click()
    phone.locator("#compare-modes .mcell").first.wait_for(state="visible")
    context, page = open_page(browser, url, VIEWPORT)
    try:
        compare(page, "中台和数据隐私")  # the modes visible without a click
    finally:
        context.close()


def test_compare_cards_follow_the_simplified_box(page):
    """Compare's cards show their Simplified copy, as the answers do, when the box is ticked; the
    box is at hand on the Compare tab itself."""
    from playwright.sync_api import expect

    compare(page, "腾讯会自己做ERP吗")
    card = page.locator("#compare-cards .card").first
    copy = card.locator("div.ev-simp")
    expect(copy).to_have_count(1)
    expect(copy).to_be_hidden()
    expect(card.locator(".ev-a[lang=zh-Hant]")).to_contain_text("ERP已經是比較成熟的市場")
    page.locator("#simp-toggle input").check()
    expect(copy).to_be_visible()
    assert copy.locator(".who").inner_text() == "简体中文"
    assert "ERP已经是比较成熟的市场" in copy.locator(".ev-a").inner_text()
    # the cards are never clipped in height, their copy included
    assert page.evaluate("""() => [...document.querySelectorAll('#compare-cards .card')]
        .every(c => c.scrollHeight <= c.clientHeight + 1)""")
    page.locator("#simp-toggle input").uncheck()
    expect(copy).to_be_hidden()


DESKTOP_900 = {"width": 1280, "height": 900}


@pytest.mark.parametrize("viewport", [DESKTOP_900, PHONE], ids=["desktop", "phone"])
def test_the_simplified_box_is_at_hand_on_every_tab(browser, url, viewport):
    """The "also show Simplified" box shows the copies on every tab, so every tab shows it, on
    the first screen (it was on the Ask tab only, under the question box); ticked on Browse, it
    shows Browse's copies there. On a 1280x900 screen the question box and "Clear chat" stay on
    the first screen too (they were cut off at its bottom edge), the chat still over 540 px
    tall; a phone's header stays compact."""
    from playwright.sync_api import expect

    context, page = open_page(browser, url, viewport)
    try:
        box = page.locator("#simp-toggle input")

        def on_first_screen(selector):
            r = page.locator(selector).first.bounding_box()
            return (r is not None and 0 <= r["y"]
                    and r["y"] + r["height"] <= viewport["height"] + 0.5), (selector, r)

        for name in ("Compare", "Browse", "Ask"):
            page.get_by_role("tab", name=name).click()
            expect(box).to_be_visible()
            ok, where = on_first_screen("#simp-toggle input")
            assert ok, (name, where)
        for selector in ("#ask-box", "#clear-chat"):
            ok, where = on_first_screen(selector)
            assert ok, where
        if viewport is DESKTOP_900:
            assert page.locator("#chat").bounding_box()["height"] >= 540
        else:
            assert page.locator("#tabs").bounding_box()["y"] < 0.15 * PHONE["height"]
        page.get_by_role("tab", name="Browse").click()
        first = page.locator("#browse .b-pair").first.locator(".ev-simp")
        expect(first).to_be_hidden()
        box.check()
        expect(first).to_be_visible()
    finally:
        context.close()


# The lines a label's text runs over: the distinct tops of its text's rectangles.
TEXT_LINES = """(e) => {
  const range = document.createRange();
  range.selectNodeContents(e);
  return new Set([...range.getClientRects()].filter((r) => r.width > 0)
    .map((r) => Math.round(r.top))).size;
}"""


@pytest.mark.parametrize("locale", ["zh-TW", "en-US"])
def test_compare_top_k_label_reads_on_one_line_on_a_phone(browser, url, locale):
    """On a phone the top-k field's label ("前 k 條", "Top-k") squeezed beside its number box
    broke into a character a line; it reads on one line, and the question box has the row's
    width."""
    context, page = open_page(browser, url, PHONE, locale=locale, mobile=True)
    try:
        page.locator("#tabs [role=tab]").nth(1).click()
        label = page.locator("#top-k [data-testid=block-info]")
        label.wait_for(state="visible")
        assert label.evaluate(TEXT_LINES) == 1, label.inner_text()
        assert label.bounding_box()["x"] + label.bounding_box()["width"] <= PHONE["width"]
        assert page.locator("#compare-box").bounding_box()["width"] >= 0.9 * (PHONE["width"] - 16)
    finally:
        context.close()


def test_browse_links_back_to_the_contents_from_each_section(phone):
    """Browse is about 7,800 px tall on a phone: after each section a link, reached with the
    keyboard too, goes back up to the contents."""
    phone.get_by_role("tab", name="Browse").click()
    phone.wait_for_selector("#browse .b-pair")
    links = phone.locator("#browse .b-back a")
    assert links.count() == phone.locator("#browse h3.b-sec").count() >= 6
    assert links.first.inner_text().strip() == "↑ Back to contents"
    toc = phone.locator("#browse ol.toc")
    # with the keyboard: Tab reaches the first link, Enter follows it
    phone.locator("#browse .b-pair").first.click()
    tab_to(phone, "#browse .b-back a")
    assert focus_ring(phone) >= 2
    # the last one, at the foot of the page
    links.last.scroll_into_view_if_needed()
    links.last.focus()
    assert toc.bounding_box()["y"] < 0  # the contents are far above
    phone.keyboard.press("Enter")
    phone.wait_for_function("""() => {
        const r = document.querySelector('#browse ol.toc').getBoundingClientRect();
        return r.top >= -1 && r.top < innerHeight; }""", timeout=3000)


# -- layout fixes that lean on Gradio 6's class names: fail loudly if an upgrade undoes them -----
def test_the_empty_chat_shows_welcome_and_starters_together(page):
    welcome = page.locator("#chat .placeholder p").first.bounding_box()
    starters = page.locator("#chat .examples").bounding_box()
    chat = page.locator("#chat").bounding_box()
    assert welcome["y"] - chat["y"] < 80  # at the top of the chat, not centred in it
    assert starters["y"] - (welcome["y"] + welcome["height"]) < 60  # right under the welcome


def test_no_gradio_icon_covers_the_chat_and_the_box_has_a_name(page):
    ask(page, "腾讯会自己做ERP吗?")
    assert not page.locator('#chat button[aria-label="Clear"]').is_visible()  # "Clear chat" does it
    assert page.get_by_role("textbox", name="Your question").count() == 1
    answer = page.locator("#chat .reply").last
    assert answer.locator("details.runners li").count() == 2  # the runners-up, folded


def test_a_phones_header_is_compact_and_a_long_paste_keeps_ask_in_sight(phone):
    # heading, subtitle and status line: under 15% of the screen (they took a quarter)
    assert phone.locator("#tabs").bounding_box()["y"] < 0.15 * PHONE["height"]
    box = phone.locator("#ask-box textarea")
    box.focus()
    phone.keyboard.insert_text("腾讯云为什么还不赚钱？" * 300)  # 3,300 characters, pasted
    phone.wait_for_timeout(300)
    # the box scrolls inside instead of growing, and its "Ask" button stays on the screen
    assert box.bounding_box()["height"] <= 0.12 * PHONE["height"]
    send = phone.locator("#ask-box button").last.bounding_box()
    assert 0 <= send["y"] and send["y"] + send["height"] <= PHONE["height"], send
    assert send["x"] + send["width"] <= PHONE["width"], send


def test_a_reply_uses_most_of_a_phones_width(phone):
    ask(phone, "腾讯会自己做ERP吗?")
    width = phone.locator("#chat .reply").last.bounding_box()["width"]
    assert width >= 0.78 * PHONE["width"], width  # 316 px of 390 (it was 244 with Gradio's padding)


# -- the page's fixed labels follow the browser's language (ui/i18n.py, Gradio's gr.I18n) ---------
# Written out here rather than read from ui.i18n, so that a label that is not translated fails.
LABELS = {
    "en": {"tabs": ["Ask", "Compare", "Browse"], "ask": "Ask", "clear": "Clear chat",
           "placeholder": "Ask about the interview, in 中文 or English…",
           "welcome": "Ask the interview.", "compare": "Compare",
           "compare_placeholder": "One question, several candidate answers",
           "status": "13 exchanges · model"},
    "zh-Hans": {"tabs": ["提问", "对比", "浏览"], "ask": "提问", "clear": "清空对话",
                "placeholder": "就访谈内容提问，中文或英文均可…",
                "welcome": "向访谈提问。", "compare": "对比",
                "compare_placeholder": "一个问题，多个候选回答", "status": "共 13 段问答 · 模型"},
    "zh-Hant": {"tabs": ["提問", "對比", "瀏覽"], "ask": "提問", "clear": "清空對話",
                "placeholder": "就訪談內容提問，中文或英文均可…",
                "welcome": "向訪談提問。", "compare": "對比",
                "compare_placeholder": "一個問題，多個候選回答", "status": "共 13 段問答 · 模型"},
}
# Gradio's own words (its footer) in the language Gradio itself was switched to
GRADIO_API = {"en": "Use via API", "zh-Hans": "通过 API 使用", "zh-Hant": "透過 API 使用"}


def plain(markdown: str) -> str:
    """*markdown*'s text as the page shows it (without ``#``, ``**`` and backticks)."""
    return re.sub(r"^#+ |[*`]", "", markdown).strip()


@pytest.mark.parametrize("locale,language", [
    ("zh-CN", "zh-Hans"), ("zh-TW", "zh-Hant"), ("en-US", "en"),
    ("zh-HK", "zh-Hant"), ("zh-SG", "zh-Hans"),  # Gradio shows these in English by itself
])
def test_the_labels_follow_the_browsers_language(browser, url, shots, locale, language):
    from playwright.sync_api import expect

    from ui.i18n import chrome_table

    want, strings = LABELS[language], chrome_table(language)
    context, page = open_page(browser, url, VIEWPORT, locale=locale)
    try:
        expect(page.get_by_role("tab")).to_have_text(want["tabs"])
        box = page.locator("#ask-box textarea")
        expect(box).to_have_attribute("placeholder", want["placeholder"])
        expect(page.get_by_role("textbox", name=strings["ui_question"])).to_have_count(1)
        expect(page.locator("#ask-box button")).to_have_text(want["ask"])
        expect(page.locator(".status").first).to_contain_text(want["status"])
        expect(page.locator("#clear-chat")).to_have_text(want["clear"])
        expect(page.locator("#simp-toggle")).to_contain_text(strings["ui_show_simplified"])
        expect(page.locator("#examples")).to_contain_text(strings["ui_more_examples"])
        expect(page.locator("#chat .placeholder")).to_contain_text(want["welcome"])
        expect(page.locator(".api-note").last).to_contain_text(plain(strings["ui_api_note"]))
        expect(page.locator("footer")).to_contain_text(GRADIO_API[language])
        # docs/screenshots keeps one page per script: the Ask tab in Traditional, Compare in
        # Simplified
        if locale == "zh-TW":
            page.wait_for_timeout(300)
            page.screenshot(path=str(shots / f"labels-{locale}.png"), full_page=True)

        page.get_by_role("tab", name=want["tabs"][1]).click()
        expect(page.locator("#compare-go")).to_have_text(want["compare"])
        expect(page.locator("#compare-box textarea")).to_have_attribute(
            "placeholder", want["compare_placeholder"])
        expect(page.locator("#compare-box")).to_contain_text(strings["ui_compare_question"])
        expect(page.locator("#top-k")).to_contain_text(strings["ui_top_k"])
        expect(page.locator("#compare-examples")).to_contain_text(strings["ui_try"])
        expect(page.get_by_role("heading", name=plain(strings["ui_compare_heading"]))
               ).to_be_visible()
        expect(page.locator("#modes-fold button").first).to_contain_text(
            strings["ui_modes_heading"])
        legends = page.locator("#tab-compare .legend.prose")
        expect(legends).to_have_text([plain(strings["ui_compare_legend"]),
                                      plain(strings["ui_modes_legend"])])
        if locale == "zh-CN":
            page.wait_for_timeout(300)
            page.screenshot(path=str(shots / f"labels-{locale}-compare.png"), full_page=True)

        # Browse is written on the server in the browser's language (navigator.language)
        page.get_by_role("tab", name=want["tabs"][2]).click()
        intro = {"en": "Introduction (導讀)", "zh-Hans": "导读", "zh-Hant": "導讀"}[language]
        expect(page.locator("#browse details.lead > summary")).to_have_text(intro)
        expect(page.locator("#browse h3 .sec-en")).to_have_count(
            len(page.locator("#browse h3.b-sec").all()) if language == "en" else 0)
    finally:
        context.close()


def test_browse_follows_the_same_language_as_the_labels(browser, url):
    """navigator.language decides, as for the labels, even when Accept-Language says otherwise
    (a browser whose UI language and preferred content language differ)."""
    from playwright.sync_api import expect

    context, page = open_page(browser, url, VIEWPORT, locale="zh-TW",
                              headers={"Accept-Language": "en-US,en;q=0.9"})
    try:
        page.get_by_role("tab", name=LABELS["zh-Hant"]["tabs"][2]).click()
        expect(page.locator("#browse details.lead > summary")).to_have_text("導讀")
        expect(page.locator("#browse .sec-en")).to_have_count(0)
    finally:
        context.close()


@pytest.mark.parametrize("locale,language", [("zh-CN", "zh-Hans"), ("en-US", "en")])
def test_browse_and_the_about_reply_follow_the_simplified_box(browser, url, locale, language):
    """Browse and the reply about the interview have the Simplified copy the answers have, under
    the verbatim text: shown from the start on a Simplified page (the box ticked), elsewhere once
    the box is ticked; unticking hides it everywhere."""
    from playwright.sync_api import expect

    tabs = LABELS[language]["tabs"]
    context, page = open_page(browser, url, VIEWPORT, locale=locale)
    try:
        box = page.locator("#simp-toggle input")
        expect(box).to_be_checked(checked=language == "zh-Hans")
        box.check()
        ask(page, "这篇采访讲了什么?")
        reply = page.locator("#chat .reply").last
        assert "湯道生執掌雲與智慧產業事業羣" in reply.locator(".about-lead").first.inner_text()
        copy = reply.locator("div.ev-simp").first
        expect(copy).to_be_visible()
        assert "汤道生执掌云与智慧产业事业群" in copy.inner_text()
        assert copy.locator(".who").inner_text() == "简体中文"
        topic = reply.locator("li.ask-link").nth(2)
        expect(topic.locator(".sec-simp")).to_have_text("腾讯没有中台能力是“误解”")
        page.get_by_role("tab", name=tabs[2]).click()
        first = page.locator("#browse .b-pair").first
        expect(first.locator(".ev-simp")).to_be_visible()
        assert re.match(r"湯道生:\s*工作模式變化", first.locator(".b-a[lang=zh-Hant]").inner_text())
        assert re.match(r"汤道生:\s*工作模式变化", first.locator(".ev-simp .b-a").inner_text())
        expect(page.locator("#browse h3.b-sec .sec-simp").first).to_have_text("花时间最多的事:拜访客户")
        expect(page.locator("#browse ol.toc .sec-simp").first).to_be_visible()
        page.get_by_role("tab", name=tabs[0]).click()
        box.uncheck()
        expect(copy).to_be_hidden()
        page.get_by_role("tab", name=tabs[2]).click()
        expect(first.locator(".ev-simp")).to_be_hidden()
        expect(page.locator("#browse h3.b-sec .sec-simp").first).to_be_hidden()
    finally:
        context.close()


# -- the contents of Browse, keyboard focus, screen readers ------------------------------------
# Every item of Browse's contents as the rectangles it covers, its number included: a list marker
# outside the item's box hangs to its left as wide as its text ("5. " in the item's font).
TOC_ITEMS = """() => {
  const ctx = document.createElement('canvas').getContext('2d');
  return [...document.querySelectorAll('#browse ol.toc > li')].map((li, i) => {
    const s = getComputedStyle(li);
    ctx.font = s.font;
    const hanging = s.listStyleType !== 'none' && s.listStylePosition === 'outside'
      ? ctx.measureText(`${i + 1}. `).width : 0;
    return [...li.getClientRects()].map((r, j) => ({
      text: li.innerText.slice(0, 20), left: r.left - (j === 0 ? hanging : 0), top: r.top,
      right: r.right, bottom: r.bottom}));
  });
}"""


def test_browse_contents_items_never_overlap_on_an_english_page(browser, url):
    """On an English page the contents list the English titles too: in two columns, an item's
    English subtitle ran into the next column's numbers ("more than" over "5.")."""
    context, page = open_page(browser, url, {"width": 1280, "height": 900}, locale="en-US")
    try:
        page.get_by_role("tab", name="Browse").click()
        page.wait_for_selector("#browse ol.toc li .sec-en")
        page.wait_for_timeout(300)
        items = page.evaluate(TOC_ITEMS)
        assert len(items) == 6 and all(len(rects) == 1 for rects in items), items  # kept whole
        rects = [rects[0] for rects in items]
        for i, a in enumerate(rects):
            for b in rects[i + 1:]:
                apart = (a["right"] <= b["left"] + 0.5 or b["right"] <= a["left"] + 0.5
                         or a["bottom"] <= b["top"] + 0.5 or b["bottom"] <= a["top"] + 0.5)
                assert apart, (a, b)
    finally:
        context.close()


# How the focused element shows its focus: its outline, or its block's (a text box's ring is on
# the block around it), or a box-shadow ring, in px.
FOCUS_RING = """() => {
  const e = document.activeElement;
  const ring = (el) => {
    const s = getComputedStyle(el);
    const outline = s.outlineStyle === 'none' ? 0 : parseFloat(s.outlineWidth);
    const spread = [...s.boxShadow.matchAll(/(-?[\\d.]+)px/g)].map((m) => parseFloat(m[1]));
    return Math.max(outline, s.boxShadow === 'none' ? 0 : Math.max(0, spread[3] || 0));
  };
  const block = e.closest('.block');
  return Math.max(ring(e), e.matches('textarea, input[type=text]') && block ? ring(block) : 0);
}"""


def tab_to(page, selector: str, key: str = "Tab", most: int = 40) -> None:
    """Press *key* until the element matching *selector* has the keyboard's focus."""
    for _ in range(most):
        page.keyboard.press(key)
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{key} never reached {selector}")


def focus_ring(page) -> float:
    page.wait_for_timeout(400)  # Gradio's buttons ease their outline in
    return page.evaluate(FOCUS_RING)


def test_keyboard_focus_is_clearly_visible(page):
    """The question box (which had no outline at all), the listed questions, buttons, tabs and a
    reply's summaries show a ring of at least 2 px when the keyboard reaches them."""
    ask(page, "What is the weather like today?")  # a decline: it lists the nearest questions
    page.mouse.click(5, 5)  # the keyboard starts from the page
    tab_to(page, "#ask-box textarea")
    assert focus_ring(page) >= 2, "the question box"
    tab_to(page, "#chat li.ask-link", key="Shift+Tab")
    assert focus_ring(page) >= 2, "a listed question"
    tab_to(page, "#chat button[aria-label='Copy message']", key="Shift+Tab")
    assert focus_ring(page) >= 2, "the copy button"
    for selector in ("#ask-box button", "#clear-chat", "#examples button"):
        tab_to(page, selector)
        assert focus_ring(page) >= 2, selector
    ask(page, "Will Tencent build its own ERP?")  # an answer: its summaries fold
    page.mouse.click(5, 5)
    for selector in ("[role=tab]", "#chat summary"):
        tab_to(page, selector)
        assert focus_ring(page) >= 2, selector


# Every accessible name in the chat, and each message's name beside the start of its text.
CHAT_LABELS = """() => ({
  all: [...document.querySelectorAll('#chat [aria-label]')].map((e) => e.getAttribute('aria-label')),
  messages: [...document.querySelectorAll('#chat [data-testid=user], #chat [data-testid=bot]')]
    .map((m) => [m.getAttribute('aria-label') || '', m.innerText.replace(/\\s+/g, ' ').trim()]),
})"""


# The screen-reader name of the reply to "腾讯会自己做ERP吗?" (p10): who speaks, the question it
# answers and the start of the answer, as the page shows them in its language (the English edition,
# the Simplified copy) or else verbatim, then the confidence; its own words in the page's language.
P10_SHOWN = {  # (the question, the answer)
    "en": (r"In serving industrial internet customers[^…]{10,40}…",
           r"Why should Tencent do everything itself\? ERP[^…]{20,60}…"),
    "zh-Hant": (r"騰訊在服務產業互聯網客戶的過程中[^…]{20,60}…",
                r"爲什麼騰訊要把所有的事兒都做了\?[^…]{20,80}…"),
    "zh-Hans": (r"腾讯在服务产业互联网客户的过程中[^…]{20,60}…",
                r"为什么腾讯要把所有的事儿都做了\?[^…]{20,80}…"),
}


def p10_label(page_language: str, shown: str) -> str:
    """The pattern of p10's name on a page in *page_language* that shows its *shown* text: the
    question it answers marked as such, so that it is not heard as the answer."""
    question, answer = P10_SHOWN[shown]
    if page_language == "en":
        return rf"Reply to “{question}”: {answer} \(\d\d?% confidence\)"
    return rf"回答“{question}”：{answer}（置信度 \d\d?%）"


def test_screen_readers_get_a_messages_text_not_its_html(page):
    """Gradio names a message "bot's message: " + its content, which is this app's HTML; the
    page names it by who speaks, in the page's language, and what it says: for an answer the
    question it answers and the start of the answer (the English edition, open for an English
    question, on an English page), then its confidence; for another reply the start of its text,
    then its confidence (not the badge first)."""
    from ui.i18n import chrome_table

    strings = chrome_table("en")
    you, reply = strings["ui_said_you"], strings["ui_said_reply"]
    assert (you, reply) == ("You: ", "Reply: ")
    ask(page, "Will Tencent build its own ERP?")
    ask(page, "今天天气怎么样")
    page.wait_for_timeout(300)
    labels = page.evaluate(CHAT_LABELS)
    assert not [a for a in labels["all"] if "<" in a or "class=" in a], labels["all"]
    assert len(labels["messages"]) == 4
    for i, (label, text) in enumerate(labels["messages"]):
        speaker = you if i % 2 == 0 else "Reply"  # "Reply: …", "Reply to “…”: …"
        assert label.startswith(speaker) and len(label) <= 200, (label, text)
    assert labels["messages"][0][0] == "You: Will Tencent build its own ERP?"
    assert re.fullmatch(p10_label("en", "en"), labels["messages"][1][0]), labels["messages"][1]
    # a decline: its message first, its confidence (in the page's language) after
    label, text = labels["messages"][3]
    assert label.startswith("Reply: 这次访谈没有谈到这个问题。"), label
    assert re.search(r"… \(\d\d?% confidence\)$", label) and "置信度" not in label, label


@pytest.mark.parametrize("locale,language", [
    ("zh-CN", "zh-Hans"), ("zh-TW", "zh-Hant"), ("en-US", "en")])
def test_a_simplified_reader_sees_the_simplified_copy_from_the_start(
        browser, url, shots, locale, language):
    """The "also show Simplified" box starts ticked on a Simplified page (the labels' rule), and
    the replies show their Simplified copy; unticked elsewhere. Unticking hides it. The messages'
    screen-reader names say who speaks in the page's language, and what the reply shows: the
    Simplified copy while it is shown, else the verbatim text."""
    from playwright.sync_api import expect

    from ui.i18n import chrome_table

    strings = chrome_table(language)
    context, page = open_page(browser, url, VIEWPORT, locale=locale)
    try:
        ask(page, "腾讯会自己做ERP吗?")
        box = page.locator("#simp-toggle input")
        simplified = page.locator("#chat .reply .ev-simp").last
        expect(box).to_be_checked(checked=language == "zh-Hans")
        if language == "zh-Hans":
            expect(simplified).to_be_visible()
            assert "腾讯" in simplified.inner_text()
            page.screenshot(path=str(shots / f"simplified-by-default-{locale}.png"))
            page.wait_for_timeout(300)
            labels = page.evaluate(CHAT_LABELS)["messages"]
            assert re.fullmatch(p10_label(language, "zh-Hans"), labels[1][0]), labels
            box.uncheck()
        expect(simplified).to_be_hidden()
        page.wait_for_timeout(300)
        labels = page.evaluate(CHAT_LABELS)["messages"]
        assert labels[0][0] == strings["ui_said_you"] + "腾讯会自己做ERP吗?", labels
        # the Simplified copy hidden (and the English edition folded): the verbatim text
        assert re.fullmatch(p10_label(language, "zh-Hant"), labels[1][0]), labels
    finally:
        context.close()


@pytest.mark.parametrize("locale", [
    "zh-CN", "zh", "zh-SG", "zh-Hans", "zh-Hans-CN", "zh-TW", "zh-HK", "zh-MO", "zh-Hant",
    "zh-Hant-TW", "ZH-tw", "en-US", "en", "ja-JP", "", "zhx"])
def test_the_pages_scripts_pick_the_language_as_the_server_does(page, locale):
    """PAGE_LANGUAGE_JS (the default of the Simplified box, the message names) is
    language_of_locale's rule (the labels', Browse's) in JavaScript."""
    from ui.i18n import PAGE_LANGUAGE_JS, language_of_locale

    got = page.evaluate(f"({PAGE_LANGUAGE_JS})({locale!r})")
    assert got == language_of_locale(locale), locale
