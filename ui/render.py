"""HTML for the app: engine results in, one-line HTML strings out.

Every piece of text that comes from the interview or from a user goes through
:func:`qa.evidence.escape` (directly or via the evidence renderers); the only markup in the output
is what this module writes. Output has no newlines, so the chat's Markdown renderer keeps each reply
as one HTML block. Class names are styled by ``ui/style.css``.

A chat reply's copy button copies a quotation, not the app's own words: ``no-copy`` marks what a
copy leaves out (the badge, ids, section heading, labels, notes, explanations, runners-up),
``copy-only`` what only a copy has (the attribution line and the English edition's speaker
labels, hidden on the page), and a folded ``copy-open`` part is copied as if open; the page's
``ui.app.COPY_AS_TEXT`` script reads the reply's text that way (Gradio's sanitiser drops ``data-*``
attributes, so classes carry it).

The interview's text is Traditional and stays verbatim; beside it, wherever it is shown (answers,
Compare's cards, Browse, the reply about the interview), goes its Simplified script, hidden until
the page's "also show Simplified" box shows it (``ev-simp``, ``ui.app.SIMPLIFIED_JS``): a block of text as a copy
under it labelled 简体中文 (:func:`_simplified_copy`), a title (a section heading, a listed topic)
on a line under it (:func:`_simplified_title`), as an English title is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from html import unescape

from qa.confidence import shown
from qa.corpus import PairTranslation, article_head, lead_summary, topics
from qa.engine import (
    LAST_LINE_USED,
    LAST_SENTENCE_USED,
    MAX_QUESTION_CHARS,
    OTHER_LANGUAGE,
    Answer,
    Hit,
)
from qa.evidence import Evidence, TextEvidence, escape, explain, render_marked, render_paragraphs
from qa.fusion import signal_rank
from qa.parsing import Interview, QAPair
from qa.smalltalk import about_kind
from qa.text import detect_language, strip_markup, to_simplified, to_traditional
from ui.i18n import reason as localised_reason
from ui.i18n import t
from ui.page import Page

USER_ECHO_CHARS = 600  # a very long message is shown shortened in the chat (the engine truncates)
NEAREST = 3  # follow-up questions offered when the engine abstains
RUNNERS_UP = 2  # next exchanges listed (folded) under an answer
CONTENTS = "b-contents"  # the id of Browse's contents, which each section links back to


def header(page: Page) -> str:
    """The page's title block: the heading (the subtitle under it follows the browser's language,
    so :mod:`ui.app` shows it as a translated Markdown line)."""
    return f'<div class="app-head"><div class="app-title">{escape(page.heading)}</div></div>'


def _asker(pair_asker: str, language: str = "en") -> str:
    label = escape(t("interviewer", language))
    if language != "en":  # the article's own label (提問) says it already
        return escape(pair_asker) if pair_asker else label
    return f"{label} ({escape(pair_asker)})" if pair_asker else label


def _answerer(speaker: str, speaker_en: str = "", language: str = "en") -> str:
    """Who answers, as :func:`_asker` names who asks: the article's label (*speaker*, or
    "Answer"); for an English question his English name *speaker_en* first."""
    label = speaker or t("answer", language)
    if language == "en" and speaker_en and speaker_en != speaker:
        label = f"{speaker_en} ({speaker})" if speaker else speaker_en
    return escape(label)


def _simplified_copy(body: str) -> str:
    """*body*, HTML in Simplified script, as the Simplified copy under the verbatim text: labelled
    简体中文 (a label a copy of the reply leaves out), shown when the box is ticked."""
    return (f'<div class="ev-simp" lang="zh-Hans"><div class="who no-copy">简体中文</div>'
            f"{body}</div>")


def _simplified_title(title: str) -> str:
    """The Simplified script of *title* on a line under it, shown with the Simplified copies;
    nothing when it is the same."""
    simplified = to_simplified(title)
    return (f'<span class="ev-simp sec-simp" lang="zh-Hans">{escape(simplified)}</span>'
            if simplified != title else "")


def _paragraphs(paragraphs: Sequence[str], simplified: bool = False, cls: str = "") -> str:
    """*paragraphs* as ``<p>`` elements (of class *cls*), in Simplified script if *simplified*."""
    attr = f' class="{cls}"' if cls else ""
    return "".join(f"<p{attr}>{escape(to_simplified(p) if simplified else p)}</p>"
                   for p in paragraphs)


def _has_simplified(texts: Sequence[str]) -> bool:
    """Whether *texts* read otherwise in Simplified script (not the English edition's)."""
    return any(to_simplified(text) != text for text in texts)


def _simplified_paragraphs(paragraphs: Sequence[str], cls: str = "") -> str:
    """The Simplified copy (:func:`_simplified_copy`) of *paragraphs* (of class *cls*), if they
    have one."""
    return (_simplified_copy(_paragraphs(paragraphs, True, cls)) if _has_simplified(paragraphs)
            else "")


def confidence_badge(confidence: float, threshold: float, language: str = "en") -> str:
    level = "high" if confidence >= max(0.8, threshold) else "mid" if confidence >= threshold else "low"
    pct = round(100 * shown(confidence))  # a calibrated estimate is never certain: no "100%"
    if confidence < threshold:  # under the status line's "answers below N% are withheld"
        pct = min(pct, max(0, round(100 * threshold) - 1))
    return (f'<span class="conf conf-{level}" title="{escape(t("confidence_title", language))}">'
            f'{escape(t("confidence", language, pct=pct))}</span>')


_ANCHOR = re.compile(r'<div class="user-msg" data-anchor="([^"]*)"')


def user_bubble(message: str, anchor: str | None = None) -> str:
    """The user's message as inert text (long ones shortened for display). *anchor*, what the
    next turn follows up on (:attr:`qa.engine.Answer.anchor`), rides along in an attribute
    (:func:`anchor_of` reads it back), on one line."""
    half = USER_ECHO_CHARS // 2  # its start, and its end, which was answered
    shown = message if len(message) <= USER_ECHO_CHARS else (
        f"{message[:half]} … {message[-half:]} "
        + t("chars_in_all", detect_language(strip_markup(message)), n=len(message)))
    anchor = " ".join((anchor or "").split())
    attr = f' data-anchor="{escape(anchor)}"' if anchor else ""
    return f'<div class="user-msg"{attr}>{escape(shown)}</div>'


def _text(content: object) -> str:
    """A chat message's content as the handler wrote it (a string), also when Gradio hands it back
    as a list of ``{"type": "text", "text": …}`` parts; "" for anything else."""
    if isinstance(content, list | tuple):
        return "".join(p.get("text") or "" for p in content
                       if isinstance(p, dict) and p.get("type", "text") == "text")
    return content if isinstance(content, str) else ""


def anchor_of(content: object) -> str | None:
    """What the turn after a user bubble (:func:`user_bubble`) follows up on, or None."""
    m = _ANCHOR.match(_text(content))
    return unescape(m.group(1)) if m and m.group(1) else None


def notice(text: str, kind: str = "note") -> str:
    return f'<div class="notice notice-{kind}">{escape(text)}</div>'


def _answer_notice(answer: Answer) -> str:
    """The engine's notes on the question, in its language: it was read as a follow-up of the
    one before; a word in it was read as the interview's term; it was cut to MAX_QUESTION_CHARS.
    They say how the question was read, so a copy of the reply leaves them out."""
    out = ""
    if answer.read_with:
        # the question that set the topic, recognisable by its start
        q = answer.read_with if len(answer.read_with) <= 80 else answer.read_with[:79] + "…"
        out = notice(t("read_with", answer.language, q=q), "followup")
    for typed, term in answer.corrections:  # a homophone slip read as the interview's term
        shown = to_traditional(term) if answer.language == "zh-Hant" else term
        out += notice(t("corrected", answer.language, typed=typed, read_as=shown), "corrected")
    if answer.notice:
        out += notice(_notice_text(answer))
    return f'<div class="notes no-copy">{out}</div>' if out else ""


def _notice_text(answer: Answer) -> str:
    """The engine's notice on the question (``Answer.notice``, set) in the question's language."""
    # a question in Japanese or Korean: said in English, which its writer more likely reads
    if answer.language == "en" or answer.notice.startswith(OTHER_LANGUAGE):
        return answer.notice[:1].upper() + answer.notice[1:]
    if answer.notice.endswith(LAST_LINE_USED):
        return t("truncated_line", answer.language)
    if answer.notice.endswith(LAST_SENTENCE_USED):  # a background paragraph, then the question
        return t("focused", answer.language)
    return t("truncated", answer.language, max=MAX_QUESTION_CHARS)


def _section(hit: Hit, language: str = "en", simplified: bool = False) -> str:
    """The exchange's section heading, verbatim; with *simplified*, its Simplified script
    (:func:`_simplified_title`); with its English edition for an English question (a Chinese
    reader gets no English line beside it)."""
    en = (hit.translation.section if language == "en" and hit.translation
          and hit.translation.section else "")
    return (f'<span class="sec">{escape(hit.pair.section)}</span>'
            + (_simplified_title(hit.pair.section) if simplified else "")
            + (f'<span class="sec-en">{escape(en)}</span>' if en else ""))


def matched_terms(ev: Evidence, limit: int = 10) -> list[str]:
    """The query's terms as they appear in the text (``customers``, not the stem ``custom``)."""
    seen: dict[str, str] = {}
    for ed in (ev.preferred, ev.zh):
        for m in (ed.question, *ed.paragraphs):
            for s, e in m.terms:
                seen.setdefault(m.text[s:e].lower(), m.text[s:e])
    return list(seen.values())[:limit]


def _why(ev: Evidence, language: str = "en") -> str:
    ed = ev.preferred
    bits = []
    if ed.best_paragraph is not None:
        where = t("highlighted_where_en", language) if ed is ev.en else ""
        bits.append(t("highlighted", language, where=where, n=ed.best_paragraph + 1,
                      total=len(ed.paragraphs), why=t(f"why_{ed.reason}", language)))
    terms = matched_terms(ev)
    if language == "zh-Hans":  # the terms as a Simplified reader writes them
        terms = list(dict.fromkeys(to_simplified(term) for term in terms))
    if terms:
        bits.append(t("matched_terms", language,
                      terms=t("terms_joiner", language).join(terms)))
    return f'<div class="why no-copy">{escape(" · ".join(bits))}</div>' if bits else ""


def answer_reply(answer: Answer, threshold: float, speaker: str = "", repeat: bool = False,
                 quoted: str = "", speaker_en: str = "") -> str:
    """A chat reply for an answered question: badge, section, interviewer's question, the verbatim
    answer (labelled with *speaker*, or just "Answer"; for an English question with his English
    name *speaker_en* first) with highlights, the Simplified script (hidden until toggled) and the
    English edition. With *repeat* (the reply just above showed the same exchange), everything
    under the head is folded under a note that says so. *quoted*, the attribution in the
    question's language (:meth:`ui.page.Page.text`), ends a copy of the reply (the question, the
    answer as shown, then who said it, to whom and when), and only a copy."""
    hit = answer.hits[0]
    lang = answer.language
    ev = explain(answer.read_as or answer.question, hit)
    head = (f'<div class="reply-head no-copy">'
            f'{confidence_badge(answer.confidence, threshold, lang)}'
            f'{_section(hit, lang, simplified=True)}'
            f'<span class="pid">{escape(hit.pair.id)}</span></div>')
    parts = [
        f'<div class="who">{_asker(hit.pair.asker, lang)}</div>',
        f'<div class="ev-q" lang="zh-Hant">{render_marked(ev.zh.question)}</div>',
        f'<div class="who">{_answerer(speaker, speaker_en, lang)}</div>',
        f'<div class="ev-a" lang="zh-Hant">{render_paragraphs(ev.zh)}</div>',
        _simplified_copy(f'<div class="ev-q">{render_marked(ev.zh.question, simplified=True)}'
                         f'</div><div class="ev-a">{render_paragraphs(ev.zh, simplified=True)}'
                         f"</div>"),
    ]
    if ev.en is not None:
        is_open = " open" if answer.language == "en" else ""
        # who speaks, in English, in a copy (on the page the edition's layout says it)
        asks, answers = t("interviewer", "en"), speaker_en or speaker or t("answer", "en")
        parts.append(
            f'<details class="ev-en"{is_open}><summary class="no-copy">'
            f'{escape(t("english_edition", lang))}</summary>'
            f'<div class="who copy-only">{escape(asks)}</div>'
            f'<div class="ev-q" lang="en">{render_marked(ev.en.question)}</div>'
            f'<div class="who copy-only">{escape(answers)}</div>'
            f'<div class="ev-a" lang="en">{render_paragraphs(ev.en)}</div></details>')
    if quoted:
        parts.append(f'<p class="quoted copy-only">{escape(quoted)}</p>')
    parts.append(_why(ev, lang))
    body = "".join(parts)
    if repeat:  # copied all the same; the other close exchanges open under it: what is new
        body = (f'<details class="same copy-open"><summary class="no-copy">'
                f'{escape(t("same_exchange", lang))}</summary>{body}</details>'
                f"{_runners_up(answer, opened=True)}")
    else:
        body += _runners_up(answer)
    return (f'<div class="reply" data-pair="{escape(hit.pair.id)}">{head}{_answer_notice(answer)}'
            f'{body}</div>')


_PAIR = re.compile(r'<div class="reply" data-pair="([^"]*)"')


def pair_of(content: object) -> str | None:
    """The exchange an answer reply (:func:`answer_reply`) showed, or None (a decline, an
    error)."""
    m = _PAIR.match(_text(content))
    return unescape(m.group(1)) if m else None


def _near_items(hits: Sequence[Hit], language: str = "en") -> str:
    """List items for exchanges offered beside the answer: id, the verbatim question and, for an
    English question, its English edition. Each item carries the question a click on it asks
    (:func:`ask_text`) as its ``title`` (a tooltip too; Gradio's sanitiser drops ``data-*``
    attributes); the page's ``ui.app.ASK_ON_CLICK`` script asks it, in old replies too (Gradio's
    own option buttons exist under the latest reply only)."""
    return "".join(_ask_item(hit, language, hit.pair.question,
                             hit.translation.question if hit.translation else "")
                   for hit in hits)


def _ask_item(hit: Hit, language: str, label: str, label_en: str = "",
              simplified: bool = False) -> str:
    """One listed exchange (:func:`_near_items`): its id, *label* (with *simplified*, its
    Simplified script too) and, for an English question, *label_en*; a click or a key asks its
    question (:func:`ask_text`)."""
    en = f'<span class="near-en">{escape(label_en)}</span>' if label_en and language == "en" else ""
    simp = _simplified_title(label) if simplified else ""
    return (f'<li class="ask-link" title="{escape(ask_text(hit, language))}" role="button" '
            f'tabindex="0"><span class="pid no-copy">{escape(hit.pair.id)}</span>'
            f'<span class="near-q">{escape(label)}</span>{simp}{en}</li>')


def _runners_up(answer: Answer, limit: int = RUNNERS_UP, opened: bool = False) -> str:
    """The next exchanges in the ranking, folded away under the answer (ranks 2, 3, …; the
    Compare tab shows them side by side with every signal); *opened* under a repeat."""
    runners = answer.hits[1:1 + limit]
    if not runners:
        return ""
    return (f'<details class="runners no-copy"{" open" if opened else ""}><summary>'
            f'{escape(t("runners_up", answer.language, n=len(runners)))}</summary>'
            f'<ol class="nearest" start="2">{_near_items(runners, answer.language)}</ol></details>')


def ask_text(hit: Hit, language: str) -> str:
    """The interviewer's question of *hit* as a click asks it, in the asker's *language* so that
    the reply stays in it: the English wording for an English query, the Simplified script for a
    Simplified one, else verbatim."""
    q = hit.pair.question
    if language == "en" and hit.translation:
        q = hit.translation.question
    elif language == "zh-Hans":
        q = to_simplified(q)
    return " ".join(q.split())


def _nearest(answer: Answer, limit: int = NEAREST) -> list[tuple[Hit, str]]:
    """The hits offered after an abstention, each with the question a click on it asks
    (:func:`ask_text`), without repeating a question."""
    out, seen = [], set()
    for hit in answer.hits[:limit]:
        q = ask_text(hit, answer.language)
        if q not in seen:
            seen.add(q)
            out.append((hit, q))
    return out


def decline_reason(answer: Answer) -> str:
    """Why the engine declined, when it has a specific reason, in the question's language; empty
    otherwise."""
    text = localised_reason(answer.reason_code, answer.reason, answer.language)
    return f'<p class="abstain-reason">{escape(text)}</p>' if text else ""


def abstain_reply(answer: Answer, threshold: float, speaker: str = "", speaker_en: str = ""
                  ) -> str:
    """A chat reply for a declined question: the nearest questions, each asking its question on a
    click or a key (:func:`_ask_item`; no option buttons under the reply besides, which repeated
    them). The interviewee is named *speaker*, or *speaker_en* (his English name) for an English
    question."""
    lang = answer.language
    if lang == "en" and speaker_en:
        speaker = speaker_en
    badge = confidence_badge(answer.confidence, threshold, lang)
    parts = [f'<div class="reply-head no-copy">{badge}</div>']
    parts.append(_answer_notice(answer))
    nearest = _nearest(answer)
    if lang == "zh-Hans":  # the name as a Simplified sentence writes it
        speaker = to_simplified(speaker)
    gap = " " if lang == "en" else ""
    if answer.unsure and nearest:  # near the threshold: the top exchange may well answer it
        head = t("unsure", lang)
        text = t("offer", lang) + gap + t("unsure_more", lang)
    else:
        head = t("not_covered", lang)
        who = t("not_asked", lang, speaker=speaker) if speaker else t("not_asked_anon", lang)
        text = who + ((gap if who else "") + t("offer", lang) if nearest else "")
    parts.append(f'<p class="abstain-msg"><strong>{escape(head)}</strong>'
                 f"{gap}{escape(text)}</p>")
    parts.append(decline_reason(answer))
    if nearest:
        parts.append(f'<ol class="nearest">{_near_items([hit for hit, _ in nearest], lang)}</ol>')
    return f'<div class="reply abstain">{"".join(parts)}</div>'


def context_reply(answer: Answer) -> str:
    """The reply to a follow-up ("为什么?", "Tell me more") with no question before it, to small
    talk ("你好", "Who are you?") or to a request to write something: not "the interview does not
    cover this", but what to do."""
    text = localised_reason(answer.reason_code, answer.reason, answer.language) or ""
    return f'<div class="reply abstain">{notice(text, "prompt")}</div>'


def about_reply(answer: Answer, interview: Interview, translation: Mapping[str, PairTranslation],
                intro: Sequence[str] = (), names: Sequence[str] = ()) -> str:
    """The reply to a question about the interview itself ("这篇采访讲了什么?", "Who is Dowson
    Tong?", "When was this interview?"): what this chatbot quotes; the article's head (date,
    byline: :func:`qa.corpus.article_head`); the two paragraphs of the article's introduction *intro*
    (in the question's language, :meth:`qa.engine.Engine.introduction`) that say who the
    interviewee (*names*) is and what the interview is about (:func:`qa.corpus.lead_summary`);
    the topics, the section headings, each of which asks the first question under it on a click
    (as the nearest questions do), or the questions when the interview has no headings; and the
    whole introduction, folded. The interview's text has its Simplified copy
    (:func:`_simplified_copy`, :func:`_simplified_title`); a copy of the reply leaves out the
    app's own words, on what this chatbot quotes and how to use the list."""
    language = answer.language
    # date, byline (when and by whom it was published), then who and what
    head = (" · ".join(h),) if (h := article_head(intro, names)) else ()
    if head and about_kind(answer.read_as or answer.question, tuple(names)) == "article":
        # "When was this interview?", "记者是谁?": the head is the reply, a line a paragraph;
        # the rest folded
        says = notice(t("about_head", language), "prompt")
        rest = _about_rest(answer, interview, translation, intro, names, head=())
        return (f'<div class="reply abstain"><div class="no-copy">{says}</div>'
                f'{_paragraphs(h, cls="about-fact")}{_simplified_paragraphs(h, "about-fact")}'
                f'<details class="about-more"><summary class="no-copy">'
                f'{escape(t("about_more", language))}</summary>{rest}</details></div>')
    says = notice(t("about_intro" if intro else "about_no_intro", language), "prompt")
    rest = _about_rest(answer, interview, translation, intro, names, head)
    return f'<div class="reply abstain"><div class="no-copy">{says}</div>{rest}</div>'


def _about_rest(answer: Answer, interview: Interview, translation: Mapping[str, PairTranslation],
                intro: Sequence[str], names: Sequence[str], head: tuple[str, ...]) -> str:
    """The body of :func:`about_reply` after its note: *head* (the article's date and byline, as
    one line), the introduction's paragraphs on who and what, the topics, the whole introduction
    folded."""
    language = answer.language
    out = []
    lead = lead_summary(intro, names)
    out.append(_paragraphs(head, cls="about-head") + _paragraphs(lead, cls="about-lead"))
    if _has_simplified(head + lead):
        out.append(_simplified_copy(_paragraphs(head, True, "about-head")
                                    + _paragraphs(lead, True, "about-lead")))
    items = [_ask_item(Hit(rank=0, pair=pair, score=0.0, scores={},
                           translation=translation.get(pair.id)), language, title, title_en,
                       simplified=True)
             for pair, title, title_en in topics(interview, translation)]
    if items:
        kind = "topics" if interview.headed else "questions_asked"
        gap = " " if language == "en" else ""
        out.append(f'<p class="offer">{escape(t(kind, language))}<span class="no-copy">{gap}'
                   f'{escape(t(f"{kind}_how", language))}</span></p>'
                   f'<ol class="nearest">{"".join(items)}</ol>')
    if intro:
        out.append(f'<details class="lead"><summary class="no-copy">'
                   f'{escape(t("introduction", language))}</summary>{_paragraphs(intro)}'
                   f"{_simplified_paragraphs(intro)}</details>")
    return "".join(out)


def message_box(text: str, kind: str = "note") -> str:
    """A reply that is not an answer: a prompt for an empty message, or an error."""
    return f'<div class="reply reply-{kind}">{notice(text, kind)}</div>'


# -- Compare ------------------------------------------------------------------------------------
def _score(x: float) -> str:
    return f"{x:.4f}" if abs(x) < 10 else f"{x:.2f}"


def _rank(scores: dict, name: str, language: str = "en") -> str:
    """``#3``, or "no match" in *language* (:func:`qa.fusion.signal_rank`)."""
    rank = signal_rank(scores, name)
    return f"#{rank}" if rank is not None else t("no_match", language)


def _signal_chips(hit: Hit, language: str = "en", labels: str = "en") -> str:
    """The scores of *hit*, named as the legend beside them names them (fused, dense, lexical,
    latent terms), in the page's language *labels*; "no match" in the question's *language*."""
    s = hit.scores

    def chip(kind: str, name: str, score: float, rank: str = "") -> str:
        where = f" · {escape(rank)}" if rank else ""
        return (f'<span class="chip chip-{kind}">{escape(t(f"score_{name}", labels))} '
                f"{_score(score)}{where}</span>")

    return ('<div class="chips">' + chip("fused", "fused", hit.score)
            + "".join(chip(kind, name, s[name], _rank(s, name, language))
                      for kind, name in (("dense", "dense"), ("lex", "lexical"),
                                         ("sparse", "sparse")) if name in s)
            + "</div>")


def compare_cards(answer: Answer, threshold: float, labels: str | None = None) -> str:
    """The top-k hits side by side: rank, section, scores, question and highlighted answer, with
    their Simplified copy (shown by the page's box, as under a chat answer). The names of the mode
    and the scores are in *labels*, the page's language, as the legend that explains them
    (default: the question's); the verdict, confidence and the rest of what is said about the
    question are in the question's language."""
    if not answer.hits:
        return message_box("Type a question to compare the top answers.", "prompt")
    lang = answer.language
    labels = labels or lang
    cards = []
    for hit in answer.hits:
        ev = explain(answer.read_as or answer.question, hit)
        english = ""
        if lang == "en" and ev.en is not None:  # an English asker reads the English edition too
            english = (f'<div class="card-en" lang="en"><div class="who">'
                       f'{escape(t("english_edition", lang))}</div>'
                       f'<div class="ev-q">{render_marked(ev.en.question)}</div>'
                       f"{_card_answer(ev.en, lang)}</div>")
        cards.append(
            f'<div class="card" style="--h:{_hue(hit.pair.id)}">'
            f'<div class="card-head"><span class="rank">#{hit.rank}</span>'
            f'<span class="pid">{escape(hit.pair.id)}</span>'
            f"{_section(hit, lang, simplified=True)}</div>"
            f"{_signal_chips(hit, lang, labels)}"
            f'<div class="ev-q">{render_marked(ev.zh.question)}</div>'
            f"{_card_answer(ev.zh, lang)}{_card_simplified(ev.zh, lang)}{english}</div>")
    verdict = t("cmp_answered" if answer.answered
                else "cmp_unsure" if answer.unsure else "cmp_abstains", lang)
    head = (f'<div class="cmp-head">{confidence_badge(answer.confidence, threshold, lang)}'
            f'<span class="verdict">{escape(t(f"mode_{answer.mode}", labels))} · '
            f'{escape(verdict)}</span></div>')
    extra = _answer_notice(answer) + decline_reason(answer)  # in the question's language
    return f'<div class="compare">{head}{extra}<div class="cards">{"".join(cards)}</div></div>'


def _card_answer(ed: TextEvidence, language: str = "en", simplified: bool = False) -> str:
    """The best paragraph of a hit's answer, then the whole answer behind a disclosure (its label
    in *language*); with *simplified*, in Simplified script (its language its copy's)."""
    best = ed.best_paragraph if ed.best_paragraph is not None else 0
    one = TextEvidence(ed.language, ed.question, (ed.paragraphs[best],),
                       None if ed.best_paragraph is None else 0, ed.reason)
    n = len(ed.paragraphs)
    whole = (f'<details class="whole"><summary>{escape(t("whole_answer", language, n=n))}'
             f"</summary>{render_paragraphs(ed, simplified=simplified)}</details>") if n > 1 else ""
    tag = "" if simplified else f' lang="{"en" if ed.language == "en" else "zh-Hant"}"'
    return f'<div class="ev-a"{tag}>{render_paragraphs(one, simplified=simplified)}</div>{whole}'


def _card_simplified(ed: TextEvidence, language: str = "en") -> str:
    """A card's Simplified copy (:func:`_simplified_copy`) of its question and answer, as the
    card shows them (:func:`_card_answer`), as under a chat answer."""
    return _simplified_copy(f'<div class="ev-q">{render_marked(ed.question, simplified=True)}'
                            f"</div>{_card_answer(ed, language, simplified=True)}")




def modes_table(answers: Mapping[str, Answer], threshold: float, labels: str | None = None
                ) -> str:
    """How the ranking changes between retrieval modes: one column per mode, arrows relative to
    hybrid, each pair with its own colour so a user can follow it across columns. The modes and
    "new" are named in *labels*, the page's language, as the legend that explains them (default:
    the question's); confidence and tooltips are in the question's language. The columns are
    blocks of a CSS grid whose rows line up across them, so that on a phone they stack, each cell
    then saying its rank, instead of running off the screen."""
    modes = list(answers)
    if not modes or not answers[modes[0]].hits:
        return ""
    base = {h.pair.id: h.rank for h in answers[modes[0]].hits}
    lang = answers[modes[0]].language
    labels = labels or lang
    n = len(answers[modes[0]].hits)
    ranks = "".join(f'<div class="rk">#{r + 1}</div>' for r in range(n))
    columns = [f'<div class="mcol mranks"><div class="mhead"></div>{ranks}</div>']
    for m in modes:
        hits = answers[m].hits
        cells = "".join(_mode_cell(m, hits[r], base, lang, labels) if r < len(hits)
                        else '<div class="mcell-none"></div>' for r in range(n))
        columns.append(
            f'<div class="mcol"><div class="mhead"><div class="mode">'
            f'{escape(t(f"mode_{m}", labels))}</div>'
            f"{confidence_badge(answers[m].confidence, threshold, answers[m].language)}</div>"
            f"{cells}</div>")
    return (f'<div class="modes" style="--rows:{n + 1};--modes:{len(modes)}">'
            f'{"".join(columns)}</div>')


def _mode_cell(mode: str, hit: Hit, base: dict[str, int], language: str, labels: str) -> str:
    """*hit* at its rank under *mode*: id, move against hybrid, question, score (tooltips in the
    question's *language*, "new" in the page's, *labels*)."""
    # under one lexical signal, 0 means nothing in common (the dense score orders those)
    zero = mode in ("lexical", "sparse") and hit.scores.get(mode, hit.score) <= 0
    faded = (' zero" title="' + escape(t("zero_title", language))) if zero else ""
    return (f'<div class="mcell{faded}" style="--h:{_hue(hit.pair.id)}">'
            f'<span class="mrk">#{hit.rank}</span>'
            f'<span class="pid">{escape(hit.pair.id)}</span>{_move(base, hit, language, labels)}'
            f'<span class="mq">{escape(_short(hit.pair.question))}</span>'
            f'<span class="ms">{_score(hit.score)}</span></div>')


def _move(base: dict[str, int], hit: Hit, language: str = "en", labels: str = "en") -> str:
    was = base.get(hit.pair.id)
    if was is None:
        return (f'<span class="mv mv-new" title="{escape(t("mv_new", language))}">'
                f'{escape(t("new", labels))}</span>')
    if was == hit.rank:
        return ""
    up = was > hit.rank
    return (f'<span class="mv mv-{"up" if up else "down"}" '
            f'title="{escape(t("mv_was", language, n=was))}">'
            f'{"▲" if up else "▼"}{abs(was - hit.rank)}</span>')


def _short(text: str, n: int = 48) -> str:
    """*text* in at most *n* characters; a cut inside an English word backs off to the space
    before it (Chinese has no spaces: any character boundary will do)."""
    text = " ".join(text.split())
    if len(text) <= n:
        return text
    cut = text[: n - 1]
    if text[n - 1].isascii() and text[n - 1].isalnum() and cut[-1:].isascii() and " " in cut:
        space = cut.rindex(" ")
        if space >= (n - 1) * 2 // 3:  # not when that would drop a third of the room
            cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"


def _hue(pair_id: str) -> int:
    digits = "".join(c for c in pair_id if c.isdigit())
    return (int(digits or 0) * 137) % 360


# -- Browse -------------------------------------------------------------------------------------
def browse_page(interview: Interview, translation: Mapping[str, PairTranslation],
                lead: Sequence[str] = (), lead_en: Sequence[str] = (), speaker: str = "",
                language: str = "en") -> str:
    """The whole interview, exchange by exchange under its section headings; answers are
    labelled with *speaker* (or "A" when the interview names none), questions with the
    interviewer's label (or "Q"). The table of contents lists each section once and links to its
    first heading (``sec-<n>``); a section that comes back after another one gets its heading
    again, with an id of its own (``sec-<n>-2``, ``sec-<n>-3``, …) so ids stay unique; each
    section ends with a link back up to the contents (:data:`CONTENTS`). Its own
    labels are in the page's *language*; the English section titles show on an English page (the
    English edition of each exchange, folded, on every page). The interview's text has its
    Simplified copy, as an answer has, shown by the page's box on every page (the titles'
    :func:`_simplified_title`, the text's :func:`_simplified_copy`)."""
    answerer = escape(speaker) if speaker else "A"
    out = []
    if lead:
        paras = _paragraphs(lead) + _simplified_paragraphs(lead)
        if lead_en:
            paras += (f'<details class="ev-en"><summary>{escape(t("english_edition", language))}'
                      f"</summary>{_paragraphs(lead_en)}</details>")
        out.append(f'<details class="lead"><summary>{escape(t("introduction", language))}'
                   f"</summary>{paras}</details>")
    # an English page: the English section titles in the contents too, the English edition open
    titles_en = {p.section: tr.section for p in interview.pairs
                 if (tr := translation.get(p.id)) and tr.section} if language == "en" else {}
    toc = "".join(f'<li><a href="#sec-{i}">{escape(s)}</a>{_simplified_title(s)}'
                  + (f'<span class="sec-en">{escape(titles_en[s])}</span>' if s in titles_en
                     else "") + "</li>"
                  for i, s in enumerate(interview.sections))
    out.append(f'<ol class="toc" id="{CONTENTS}">{toc}</ol>')
    # after each section, a link back up to the contents (on a phone the page is 7,800 px long)
    back = (f'<p class="b-back"><a href="#{CONTENTS}"><span aria-hidden="true">↑ </span>'
            f'{escape(t("back_to_contents", language))}</a></p>')
    current = None
    shown: dict[int, int] = {}  # section number -> headings written for it so far
    for pair in interview.pairs:
        tr = translation.get(pair.id)
        if pair.section != current:
            if current is not None:
                out.append(back)
            current = pair.section
            i = interview.sections.index(pair.section)
            shown[i] = shown.get(i, 0) + 1
            anchor = f"sec-{i}" if shown[i] == 1 else f"sec-{i}-{shown[i]}"
            en = (f'<span class="sec-en">{escape(tr.section)}</span>'
                  if tr and tr.section and language == "en" else "")
            out.append(f'<h3 class="b-sec" id="{anchor}">{escape(pair.section)}'
                       f"{_simplified_title(pair.section)}{en}</h3>")
        english = ""
        if tr:
            opened = " open" if language == "en" else ""
            english = (f'<details class="ev-en"{opened}><summary>'
                       f'{escape(t("english_edition", language))}</summary>'
                       f'<p class="b-q">{escape(tr.question)}</p>'
                       f"{_paragraphs(tr.answer_paragraphs)}</details>")
        out.append(
            f'<div class="b-pair" id="{escape(pair.id)}"><div class="b-head">'
            f'<span class="pid">{escape(pair.id)}</span></div>'
            f"{_browse_exchange(pair, answerer)}"
            f"{_simplified_copy(_browse_exchange(pair, answerer, simplified=True))}"
            f"{english}</div>")
    if current is not None:
        out.append(back)
    return f'<div class="browse">{"".join(out)}</div>'


def _browse_exchange(pair: QAPair, answerer: str, simplified: bool = False) -> str:
    """One exchange of Browse, labelled (*answerer*, escaped, answers), in Simplified script if
    *simplified*."""
    script = to_simplified if simplified else str
    lang = "zh-Hans" if simplified else "zh-Hant"
    return (f'<p class="b-q"><span class="who-inline">{escape(script(pair.asker or "Q"))}:</span>'
            f"{escape(script(pair.question))}</p>"
            f'<div class="b-a" lang="{lang}"><span class="who-inline">{script(answerer)}:</span>'
            f"{_paragraphs(pair.answer_paragraphs, simplified)}</div>")
