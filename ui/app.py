"""The Gradio app: widgets wired to the plain functions of :mod:`ui.handlers`.

:func:`build_app` returns a queued ``gr.Blocks`` with three tabs (Ask, Compare, Browse) and one named
API endpoint, ``/ask``, whose result is the JSON object of :func:`qa.ask`::

    from gradio_client import Client
    Client("http://127.0.0.1:7860/").predict("腾讯会自己做ERP吗", 5, api_name="/ask")

:func:`launch` serves it with the app's theme and stylesheet (Gradio 6 takes those at launch time)
and returns the local URL. The engine is made by ``engine_factory`` on first use, which is
:func:`build_app` itself: the header, welcome text and example questions depend on the interview
served (:mod:`ui.page`). The fixed labels follow the browser's language (English, Simplified or
Traditional Chinese): the widgets carry ``gr.I18n`` keys, whose strings live in :mod:`ui.i18n`;
the app's ``launch`` (a plain ``demo.launch()`` too) hands Gradio the page's ``gr.I18n``. ``python -m ui`` makes the engine before building the app, so the first
question is fast; an engine that fails to load gives a neutral page and a message in the status
line and in each reply.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from qa.engine import Engine, default_engine
from ui import render
from ui.handlers import DEFAULT_TOP_K, Handlers
from ui.i18n import (
    LOCALE_HEAD,
    PAGE_LANGUAGE_JS,
    SCRIPT_KEYS,
    chrome_i18n,
    chrome_table,
    language_of_locale,
)
from ui.page import UNKNOWN

CSS_PATH = Path(__file__).with_name("style.css")
# A click (or Enter / Space) on a listed exchange in any reply (the nearest questions after a
# decline, the runners-up under an answer) asks its question: the item's title goes into the
# question box, which is then submitted, as Gradio's option buttons do under the latest reply.
ASK_ON_CLICK = """<script>
(() => {
  const ask = (item, keyboard) => {
    const box = document.querySelector('#ask-box textarea');
    const go = [...document.querySelectorAll('#ask-box button')].pop();
    if (!box || !go || !item.title) return;
    box.value = item.title;
    box.dispatchEvent(new Event('input', { bubbles: true }));
    // from the keyboard, typing goes on in the box (a tap does not pop up a phone's keyboard)
    setTimeout(() => { go.click(); if (keyboard) box.focus(); }, 0);
  };
  const item = (e) => e.target.closest && e.target.closest('#chat li.ask-link[title]');
  document.addEventListener('click', (e) => {
    const li = item(e);  // selecting text in an item is not a click on it
    if (li && !String(window.getSelection && window.getSelection())) ask(li, false);
  });
  document.addEventListener('keydown', (e) => {
    const li = item(e);
    if (li && (e.key === 'Enter' || e.key === ' ')) { e.preventDefault(); ask(li, true); }
  });
})();
</script>"""
# Gradio scopes the stylesheet's rules inside its content container, so a rule for the page's own
# padding on a phone (Gradio's 32 px a side are a sixth of its width, and its 16 px above the
# header are room the chat needs) goes into the page head instead.
# Gradio's copy button under a message copies its content, which is this app's HTML: a moment
# after Gradio's own copy (which shows its "copied" mark), the reply as a quotation replaces it:
# its text as shown (what is folded or hidden, such as the Simplified copy when off, is left
# out, as on the screen), without the app's own words (``no-copy``: badge, ids, labels, notes,
# runners-up) and with what only a copy has (``copy-only``: the attribution, the English
# edition's speaker labels); a folded repeat of the answer above (``copy-open``) is copied as if
# open (ui.render marks them); speaker labels as written ("Interviewer", not the page's small
# capitals). innerText skips what is not displayed and writes text-transform, so those classes are
# restyled, and the repeat opened, only while the text is read: synchronously, so the page never
# paints that state.
COPY_AS_TEXT = """<script>
(() => {
  const quoting = '.no-copy { display: none !important; } '
    + '.copy-only { display: block !important; } .who { text-transform: none !important; }';
  const quotation = (msg) => {
    const style = document.createElement('style');
    style.textContent = quoting;
    const folded = [...msg.querySelectorAll('details.copy-open:not([open])')];
    document.head.append(style);
    folded.forEach((d) => { d.open = true; });
    try {
      return msg.innerText.replace(/\\n{3,}/g, '\\n\\n').trim();
    } finally {
      folded.forEach((d) => { d.open = false; });
      style.remove();
    }
  };
  // Gradio's label is "Copied message" for two seconds after a copy: a second copy then, too
  const copy = '#chat button[aria-label="Copy message"], #chat button[aria-label="Copied message"]';
  document.addEventListener('click', (e) => {
    const btn = e.target.closest && e.target.closest(copy);
    const bar = btn && btn.closest('[class*="message-buttons"]');
    let row = bar && bar.previousElementSibling;
    while (row && !row.classList.contains('message-row')) row = row.previousElementSibling;
    const msg = row && row.querySelector('.reply, .user-msg');
    if (!msg || !navigator.clipboard) return;
    const text = quotation(msg);
    setTimeout(() => navigator.clipboard.writeText(text).catch(
      (err) => console.warn('copy as text failed', err)), 150);
  }, true);
})();
</script>"""
# Gradio names each chat message for screen readers "bot's message: " + its content, which in this
# app is HTML: thousands of characters of markup read out. Each such aria-label is replaced by
# who speaks in the page's language ("You: ", "Reply: "; SPEAKERS, from the labels' tables, by the
# labels' rule: PAGE_LANGUAGE_JS), then what the message says as shown (innerText: what is hidden,
# such as the Simplified copy when off, is left out), whitespace collapsed: for an answer, the
# question it answers and the start of the answer, in the page's language when the reply shows
# it (the English edition, the Simplified copy; lang attributes say which is which), else
# verbatim, as "Reply to “question”: answer" (so the question is not heard as the answer); for
# another reply, the start of its text after its head (ui.render's ``reply-head``:
# badge, section, id); then the reply's confidence, in the page's language, not first. Again
# whenever Gradio sets it anew, the message changes or the Simplified copies are shown or hidden
# (data-plain-label marks a message already relabelled). Gradio has no option for it.
PLAIN_MESSAGE_LABELS = """<script>
(() => {
  const LONGEST = 120, QUESTION = 60, ANSWER = 80;  // characters of the text, after who speaks
  const SPEAKERS = __SPEAKERS__;
  const language = (__PAGE_LANGUAGE__)(navigator.language);
  const said = SPEAKERS[language] || SPEAKERS.en;
  const MESSAGE = "#chat [aria-label*=\\"'s message: \\"], #chat [data-plain-label]";
  const plain = (e) => (e ? e.innerText || e.textContent || '' : '').replace(/\\s+/g, ' ').trim();
  // text in at most n characters; a cut inside a Latin word backs off to the space before it,
  // unless that drops a third of the room (as ui.render's _short)
  const cut = (text, n) => {
    if (text.length <= n) return text;
    let start = text.slice(0, n - 1);
    const space = start.lastIndexOf(' ');
    if (/\\w/.test(text[n - 1]) && /\\w$/.test(start) && space >= (n - 1) * 2 / 3) {
      start = start.slice(0, space);
    }
    return start.replace(/[\\s,;:]+$/, '') + '…';
  };
  // what a reader sees (not a folded English edition, not the Simplified copy when off)
  const seen = (e) => (e.checkVisibility ? e.checkVisibility() : e.getClientRects().length > 0);
  // the shown part of an answer in the page's language, else the first shown (verbatim)
  const part = (msg, selector) => {
    const shown = [...msg.querySelectorAll(selector)].filter(seen);
    return shown.find((e) => (e.closest('[lang]') || {}).lang === language) || shown[0];
  };
  const relabel = (msg) => {
    const text = plain(msg);
    if (!text) return;  // not rendered yet: its content comes with a later mutation
    const question = part(msg, '.ev-q'), answer = part(msg, '.ev-a');
    const head = plain(msg.querySelector('.reply-head'));
    // an answer: "Reply to “question”: answer", so the question is not heard as the answer
    const says = question && answer
      ? said.answering.replace('{q}', cut(plain(question), QUESTION)) + cut(plain(answer), ANSWER)
      : (msg.dataset.testid === 'user' ? said.user : said.bot)
        + cut(text.startsWith(head) ? text.slice(head.length).trim() : text, LONGEST);
    const pct = (plain(msg.querySelector('.conf')).match(/\\d+/) || [])[0];
    const label = says + (pct ? said.confidence.replace('{pct}', pct) : '');
    msg.dataset.plainLabel = '';
    if (msg.getAttribute('aria-label') !== label) msg.setAttribute('aria-label', label);
  };
  const messagesIn = (record) => {
    const node = record.target.nodeType === 1 ? record.target : record.target.parentElement;
    if (node && node.id === 'simp-style') return new Set(document.querySelectorAll(MESSAGE));
    const found = new Set();
    const own = node && node.closest(MESSAGE);
    if (own) found.add(own);
    for (const added of record.addedNodes || []) {
      if (!added.querySelectorAll) continue;
      if (added.matches(MESSAGE)) found.add(added);
      added.querySelectorAll(MESSAGE).forEach((m) => found.add(m));
    }
    return found;
  };
  new MutationObserver((records) => {
    const messages = new Set();
    records.forEach((r) => messagesIn(r).forEach((m) => messages.add(m)));
    messages.forEach(relabel);
  }).observe(document.documentElement, { subtree: true, childList: true, characterData: true,
                                         attributes: true, attributeFilter: ['aria-label'] });
})();
</script>"""
_SPEAKERS = {language: dict(zip(("user", "bot", "confidence", "answering"),
                                 (chrome_table(language)[key] for key in SCRIPT_KEYS), strict=True))
             for language in ("en", "zh-Hans", "zh-Hant")}
# json.dumps escapes non-ASCII (and so any "</script>"): the strings reach the page as written
PLAIN_MESSAGE_LABELS = (PLAIN_MESSAGE_LABELS.replace("__SPEAKERS__", json.dumps(_SPEAKERS))
                        .replace("__PAGE_LANGUAGE__", PAGE_LANGUAGE_JS))
HEAD = ("<style>@media (max-width: 640px) { .main.fillable.app { padding-top: 8px !important; "
        "padding-left: 8px !important; padding-right: 8px !important; } }</style>"
        + LOCALE_HEAD + ASK_ON_CLICK + COPY_AS_TEXT + PLAIN_MESSAGE_LABELS)
QUEUE_CONCURRENCY = 4
FONTS = ("ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Noto Sans CJK TC",
         "Noto Sans CJK SC", "PingFang TC", "Microsoft JhengHei", "sans-serif")
# Shows or hides every reply's Simplified copy on the client: a page-level <style> element (the
# app's own stylesheet is scoped by Gradio, so a class on <body> would not reach it).
SIMPLIFIED_JS = """(on) => {
  let s = document.getElementById('simp-style');
  if (!s) { s = document.createElement('style'); s.id = 'simp-style'; document.head.append(s); }
  s.textContent = on ? '.ev-simp { display: block !important; }' : '';
  return [];
}"""
# A reader of Simplified Chinese (a page whose labels are Simplified, by their rule:
# PAGE_LANGUAGE_JS) gets the Simplified copies from the start: on load, the box is ticked and the
# copies shown; elsewhere the box stays unticked. The reader can untick it.
SIMPLIFIED_BY_DEFAULT_JS = (
    "() => { const on = (" + PAGE_LANGUAGE_JS + ")(navigator.language) === 'zh-Hans';\n"
    "  (" + SIMPLIFIED_JS + ")(on);\n  return [on]; }")
# On a phone the Compare tab's modes stack one under another, four lists as long as the cards are
# tall, more than half of the tab: there their accordion starts folded (the stylesheet's phone
# width), the cards (ranks, answer snippets) showing; a wider screen shows the modes side by side
# from the start. The update is the one a Python function returning gr.Accordion(open=...) sends.
FOLD_ON_PHONE_JS = """() => [{ __type__: 'update',
  open: !window.matchMedia('(max-width: 640px)').matches }]"""
# Runs after each chat turn instead of Gradio's autoscroll (which shows the end of a long reply):
# scrolls the chat so that the new exchange starts at its top: the user's question when the whole
# turn (question, reply, follow-up buttons) fits in the chat, else the reply itself, so that as
# much of it as possible shows from its start; then scrolls the page if that start is above the
# window (phones). The reply renders asynchronously, so it retries for up to 1.5 s until a new last
# message appears; a turn that added nothing (an empty message) scrolls nothing.
SHOW_NEW_TURN_JS = """() => {
  let tries = 0;
  const show = () => {
    const log = document.querySelector('#chat [role="log"]');
    const rows = log ? log.querySelectorAll('.message-row') : [];
    const last = rows.length ? rows[rows.length - 1] : null;
    if (!last || last === log.shownRow) {
      if (tries++ < 30) setTimeout(show, 50);
      return;
    }
    log.shownRow = last;
    const prev = rows.length > 1 ? rows[rows.length - 2] : null;
    const end = last.parentElement.lastElementChild.getBoundingClientRect().bottom;
    const target = prev && prev.classList.contains('user-row')
      && end - prev.getBoundingClientRect().top <= log.clientHeight ? prev : last;
    log.scrollTop += target.getBoundingClientRect().top - log.getBoundingClientRect().top - 6;
    const top = target.getBoundingClientRect().top;
    if (top < 0) window.scrollBy(0, top - 8);
  };
  show();
  return [];
}"""


# The browser's language (navigator.language, which the page's labels follow) into an event's
# last input, the hidden browser_locale box: the Compare tab names its modes and scores in it.
WITH_LOCALE = "(...inputs) => [...inputs.slice(0, -1), navigator.language || '']"


def _page_language(locale: str | None, request: gr.Request | None) -> str:
    """The language the page's labels follow (``"en"``, ``"zh-Hans"``, ``"zh-Hant"``): the
    browser's *locale* (navigator.language), else its Accept-Language header."""
    header = request.headers.get("accept-language") if request else None
    return language_of_locale(locale or header)


def _select_text(evt: gr.SelectData) -> str:
    value = evt.value
    if isinstance(value, dict):
        return str(value.get("value") or value.get("text") or "")
    if isinstance(value, list | tuple):
        return str(value[0]) if value else ""
    return str(value or "")


def build_app(engine_factory: Callable[[], Engine] | None = None) -> gr.Blocks:
    """The app over the engine that ``engine_factory`` makes (default: the configured model)."""
    h = Handlers(engine_factory or default_engine)

    def on_select(history: list, evt: gr.SelectData) -> tuple[str, list]:
        return h.respond(_select_text(evt), history)

    def on_sample(sample: Any, history: list) -> tuple[str, list]:
        text = sample[0] if isinstance(sample, list | tuple) and sample else sample
        return h.respond(str(text or ""), history)

    def compare_both(question: str, top_k: float, locale: str | None = None,
                     request: gr.Request | None = None) -> tuple[str, str]:
        # the names of modes and scores in the page's language, as the legends explaining them
        labels = _page_language(locale, request)
        return h.compare(question, top_k, labels), h.compare_modes(question, top_k, labels)

    def compare_example(sample: Any, top_k: float, locale: str | None,
                        request: gr.Request) -> tuple[str, str, str]:
        return sample[0], *compare_both(sample[0], top_k, locale, request)

    page = h.page()
    # the Compare tab can show every exchange (13 in the bundled interview; unknown until loaded);
    # a slider needs two stops, and the handler clamps top-k to the exchanges there are
    most = max(2, len(h.engine.interview)) if page is not UNKNOWN else 13
    facts = h.status_facts()  # None while the engine cannot be created: the load says why
    i18n = chrome_i18n(page, facts)
    with gr.Blocks(title=page.title, analytics_enabled=False) as demo:
        # the "also show Simplified" box beside the heading: it shows or hides the Simplified
        # copies on every tab (answers, Compare's cards, Browse), so it sits above the tabs,
        # where each tab's reader finds it, on the heading's line (which has room for it on a
        # phone too, so the header grows no taller)
        with gr.Row(elem_id="app-top", equal_height=True):
            gr.HTML(render.header(page), elem_id="app-header", min_width=0)
            simplified = gr.Checkbox(label=i18n("ui_show_simplified"), elem_id="simp-toggle",
                                     scale=0, min_width=0, container=False)
        if page.subtitle:
            gr.Markdown(i18n("ui_subtitle"), elem_classes="app-sub", elem_id="app-sub")
        status = gr.Markdown(i18n("ui_status") if facts else "", elem_classes="status",
                             elem_id="app-status")
        with gr.Tabs(elem_id="tabs"):
            with gr.Tab(i18n("ui_tab_ask"), id="ask", elem_id="tab-ask") as ask_tab:
                chatbot = gr.Chatbot(
                    elem_id="chat", height=600, show_label=False, placeholder=i18n("ui_welcome"),
                    latex_delimiters=[], feedback_options=None, buttons=["copy"],
                    group_consecutive_messages=False, autoscroll=False,
                    examples=[{"text": q, "display_text": q} for q in page.starters] or None,
                )
                msg = gr.Textbox(
                    elem_id="ask-box", label=i18n("ui_question"), show_label=False, lines=1,
                    max_lines=6, autofocus=True, placeholder=i18n("ui_ask_placeholder"),
                    submit_btn=i18n("ui_ask"),
                )
                with gr.Row(elem_id="clear-row"):
                    clear = gr.Button(i18n("ui_clear"), size="sm", variant="secondary", scale=0,
                                      elem_id="clear-chat")
                examples = gr.Dataset(components=["textbox"], samples=[[q] for q in page.examples],
                                      label=i18n("ui_more_examples"), elem_id="examples",
                                      visible=bool(page.examples))
            with gr.Tab(i18n("ui_tab_compare"), id="compare", elem_id="tab-compare") as compare_tab:
                with gr.Row():
                    # min_width: on a phone the question takes the row's width and top-k and
                    # the button wrap under it (squeezed beside it, top-k's label broke into a
                    # character a line)
                    cq = gr.Textbox(label=i18n("ui_compare_question"), scale=6, min_width=320,
                                    elem_id="compare-box",
                                    placeholder=i18n("ui_compare_placeholder"))
                    top_k = gr.Slider(1, most, value=min(5, most), step=1,
                                      label=i18n("ui_top_k"), scale=2, elem_id="top-k")
                    go = gr.Button(i18n("ui_compare"), variant="primary", scale=1,
                                   elem_id="compare-go")
                cex = gr.Dataset(components=["textbox"],
                                 samples=[[q] for q in page.compare_examples],
                                 label=i18n("ui_try"), elem_id="compare-examples",
                                 visible=bool(page.compare_examples))
                gr.Markdown(i18n("ui_compare_heading"))
                gr.Markdown(i18n("ui_compare_legend"), elem_classes="legend")
                cards = gr.HTML(elem_id="compare-cards")
                # folded on a phone, where the modes stack (FOLD_ON_PHONE_JS)
                with gr.Accordion(i18n("ui_modes_heading"), elem_id="modes-fold") as modes_fold:
                    gr.Markdown(i18n("ui_modes_legend"), elem_classes="legend")
                    modes = gr.HTML(elem_id="compare-modes")
            with gr.Tab(i18n("ui_tab_browse"), id="browse", elem_id="tab-browse") as browse_tab:
                browse = gr.HTML(elem_id="browse")
                # the browser's language (navigator.language, which the labels follow), filled
                # in by the js of the events that need it (Browse's load, Compare's WITH_LOCALE)
                browser_locale = gr.Textbox(visible=False)
        gr.Markdown(i18n("ui_api_note"), elem_classes="api-note")

        chat = {"outputs": [msg, chatbot], "show_progress": "minimal",
                "api_visibility": "undocumented"}
        turns = [
            msg.submit(h.respond, inputs=[msg, chatbot], api_name="chat", **chat),
            examples.click(on_sample, inputs=[examples, chatbot], **chat),
            chatbot.example_select(on_select, inputs=[chatbot], **chat),
            chatbot.option_select(on_select, inputs=[chatbot], **chat),
        ]
        for turn in turns:  # show the new exchange from its start (see SHOW_NEW_TURN_JS)
            turn.then(None, js=SHOW_NEW_TURN_JS, api_visibility="private")
        clear.click(lambda: ("", []), outputs=[msg, chatbot], api_visibility="undocumented")
        simplified.change(None, inputs=[simplified], outputs=None, js=SIMPLIFIED_JS)
        demo.load(None, outputs=simplified, js=SIMPLIFIED_BY_DEFAULT_JS, api_visibility="private")
        demo.load(None, outputs=modes_fold, js=FOLD_ON_PHONE_JS, api_visibility="private")

        compare_io = {"inputs": [cq, top_k, browser_locale], "outputs": [cards, modes],
                      "js": WITH_LOCALE, "api_visibility": "undocumented"}
        go.click(compare_both, api_name="compare", **compare_io)
        cq.submit(compare_both, **compare_io)
        cex.click(compare_example, inputs=[cex, top_k, browser_locale],
                  outputs=[cq, cards, modes], js=WITH_LOCALE, api_visibility="undocumented")

        if facts is None:
            demo.load(h.status, outputs=status, api_visibility="undocumented")
        def browse_page(locale: str | None, request: gr.Request) -> str:
            return h.browse(_page_language(locale, request))  # as the labels

        demo.load(browse_page, inputs=browser_locale, outputs=browse,
                  js="() => navigator.language || ''", api_visibility="undocumented")
        # Gradio names the tabs once, in the language it starts with; LOCALE_HEAD may switch the
        # language a moment later (zh-HK, zh-SG): naming them again on load shows the switch
        tabs = [ask_tab, compare_tab, browse_tab]
        demo.load(lambda: [gr.update(label=tab.label) for tab in tabs], outputs=tabs,
                  api_visibility="private")
        def ask(question: str, top_k: int = DEFAULT_TOP_K) -> dict:
            return h.api_ask(question, top_k)

        def follow_up(question: str, previous: str, top_k: int = DEFAULT_TOP_K) -> dict:
            return h.api_ask(question, top_k, previous)

        # two endpoints rather than an optional third input on /ask: a REST call must send every
        # input, so /ask keeps the two it has always had
        gr.api(ask, api_name="ask",
               api_description="Answer a question from the interview: the JSON of qa.ask().")
        gr.api(follow_up, api_name="follow_up",
               api_description="Answer a follow-up, read with the question asked before it "
                               "when it leans on it: the JSON of qa.ask(question, previous=...).")
    demo.queue(default_concurrency_limit=QUEUE_CONCURRENCY)
    plain_launch = demo.launch

    def launch_with_labels(*args: Any, **kwargs: Any) -> Any:
        # Gradio takes the translations at launch: a plain demo.launch() must get them too, or
        # every label shows its key ("ui_tab_ask")
        kwargs.setdefault("i18n", i18n)
        return plain_launch(*args, **kwargs)

    demo.launch = launch_with_labels
    return demo


def theme() -> gr.themes.Base:
    return gr.themes.Soft(primary_hue="indigo", neutral_hue="slate", font=FONTS)


def launch(demo: gr.Blocks, host: str = "127.0.0.1", port: int | None = None, *,
           quiet: bool = True, **kwargs: Any) -> str:
    """Serve *demo* in the background with the app's theme, stylesheet and translated labels
    (which :func:`build_app`'s ``demo.launch`` adds) and return the local URL;
    ``demo.block_thread()`` then waits, ``demo.close()`` stops. Never shares publicly."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    demo.launch(server_name=host, server_port=port, share=False, prevent_thread_lock=True,
                quiet=quiet, theme=theme(), css_paths=[CSS_PATH], head=HEAD, footer_links=["api"],
                ssr_mode=False, show_error=False, **kwargs)
    return str(demo.local_url)
