"""The app's own words in the user's language: English, Simplified or Traditional Chinese.

A chat reply wraps the interview's verbatim text in a few words of its own (the confidence badge,
who is speaking, why a passage is highlighted, why the question was declined). They follow the
question's language (``Answer.language``: ``"en"``, ``"zh-Hans"``, ``"zh-Hant"``). The Compare tab's
verdict, confidence and "whole answer" labels follow the question too; its names of retrieval
modes and scores (``mode_*``, ``score_*``, ``new``) follow the page's language instead, as the
legends that explain them do.

The page's fixed labels (the "chrome": tab names, buttons, placeholders, headings, the score
legends, the API note, the welcome text in the empty chat) follow the browser's language instead,
with Gradio's ``gr.I18n`` (:func:`chrome_i18n`): Simplified Chinese for ``zh-CN`` and any other
Chinese (``zh``, ``zh-SG``), Traditional for ``zh-TW``, ``zh-HK``, ``zh-MO`` and ``zh-Hant-*``,
English otherwise. Gradio 6 itself only picks ``zh-CN``
or ``zh-TW`` (its own languages) from the browser and shows any other Chinese in English, so
:data:`LOCALE_HEAD` switches the other Chinese locales to the nearest of the two after the page
loads. The status line (what is served, the abstention threshold) is translated too, except when
the engine could not be created (then it says why, in English), and so is the subtitle under
the heading; the heading itself and the browser tab's title stay as they are.

All Chinese is written once in Simplified; the Traditional strings are converted with OpenCC
(``s2tw``, :func:`qa.text.to_traditional`: today's standard forms 為, 裡, 群, not 爲, 裏, 羣;
characters only, no mainland-to-Taiwan vocabulary swap, which would not suit Hong Kong) and
cached, so the two cannot drift.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from qa.text import to_traditional

if TYPE_CHECKING:
    import gradio as gr

    from ui.page import Page

_ZH: dict[str, str] = {
    "confidence": "置信度 {pct}%",
    "confidence_title": "排名第一的回答正确的可能性",
    "interviewer": "记者",
    "answer": "回答",
    "english_edition": "英文版",
    "introduction": "导读",
    "back_to_contents": "返回目录",
    "topics": "访谈的话题：",
    "topics_how": "点击一个，即提出该部分记者的第一个问题。",
    "questions_asked": "记者问过的问题：",
    "questions_asked_how": "点击一个即可查看回答。",
    "about_intro": "这里引用的是受访者自己的回答；受访者是谁、访谈谈了什么，写在文章的导读里，摘录如下。",
    "about_no_intro": "这里引用的是受访者自己的回答；这次访谈没有导读，下面是它谈到的内容。",
    "about_head": "这篇文章的刊头写着：",
    "about_more": "访谈谈了什么（导读和话题）",
    "reason_about": "这个问题问的是访谈本身（谈了什么、采访了谁），回答它的是文章的导读，而不是受访者的某个回答；“提问”页会列出导读和话题。",
    "highlighted": "高亮段落：{where}第 {n} 段（共 {total} 段），{why}",
    "highlighted_where_en": "英文版",
    "matched_terms": "匹配词：{terms}",
    "terms_joiner": "、",
    "why_dense": "语义最接近",
    "why_dense-en": "语义最接近（根据英文版）",
    "why_lexical": "重合词语最多",
    "not_covered": "这次访谈没有谈到这个问题。",
    "not_asked": "记者没有就此问过{speaker}。",
    "not_asked_anon": "",
    "unsure": "不确定访谈是否回答了这个问题。",
    "unsure_more": "第 1 个问题可能就是，但把握不够，所以没有直接引用它的回答。",
    "offer": "下面列出记者实际问过的最接近的问题；点击其中一个即可查看回答。",
    "reason_number": "这个问题问的是数字或日期，而访谈中最接近的段落没有给出。",
    "reason_howto": "这个问题问的是操作方法；访谈谈的是看法和原因，不是操作指南。",
    "reason_party": "这个问题问的是具体的人或公司；这次访谈主要谈看法和原因，很少回答这类问题。",
    "reason_later": "这个问题问的是访谈之后的事，访谈无法谈到后来发生的事情。",
    "reason_task": "这里不代写、不代做，只回答关于这次访谈的问题，给出访谈中的原话。请就访谈的话题提问。",
    "chars_in_all": "(共 {n:,} 个字符)",
    "truncated": "问题太长，只用了最后 {max:,} 个字符。",
    "truncated_line": "问题太长，只用了最后一行，也就是问题本身。",
    "focused": "消息较长，只检索了最后一句，也就是问题本身。",
    "read_with": "结合上一个问题理解：“{q}”",
    "corrected": "“{typed}”按访谈中的“{read_as}”理解",
    "same_exchange": "他在这一点上没有比上面的回答说得更多：是同一段问答（点开可再看一遍）",
    "error": "抱歉，回答时出了问题。请重试或换个说法；其他用户不受影响。",
    "error_qa": "抱歉，没能完成：{detail}",
    "reason_exemplar": "这个问题更接近已知超出访谈范围的问题，而不是访谈回答过的问题。",
    "reason_chat": "这里回答关于这次访谈的问题，给出访谈中的原话。请就访谈的话题提问；"
                   "“浏览”页列出了全部问答。",
    "reason_context": "这是对前一个问题的追问（“为什么？”“具体说说”），但前面还没有问题：请先提一个问题，再追问。",
    "runners_up": "其他相近的问答（{n} 条）",
    "cmp_answered": "会回答",
    "cmp_abstains": "不回答：访谈没有谈到这个问题",
    "cmp_unsure": "不回答：不确定访谈是否回答了这个问题",
    "no_match": "无匹配",
    "mode_hybrid": "混合",
    "mode_dense": "稠密",
    "mode_lexical": "词汇",
    "mode_sparse": "稀疏",
    "score_fused": "融合",
    "score_dense": "稠密",
    "score_lexical": "词汇",
    "score_sparse": "潜在词项",
    "new": "新",
    "mv_new": "不在混合检索（hybrid）的前 k 条之内",
    "mv_was": "混合检索排名 #{n}",
    "zero_title": "在该模式下得 0 分：与问题毫无共同之处；得 0 分的按稠密得分排序",
    "whole_answer": "完整回答（共 {n} 段）",
    # the welcome text in the empty chat (ui.page)
    "welcome": "**向访谈提问。** 腾讯 CSIG（云与智慧产业）总裁汤道生于 2019 年 5 月接受第一财经专访，"
               "谈产业互联网、中台、人才和腾讯云。可用中文或英文提问：每条回复都是他的原话，"
               "并高亮最匹配的段落。",
    "welcome_unknown": "**向访谈提问。** 可用中文或英文提问：每条回复都是访谈中的原话，并高亮最匹配的段落。",
    "welcome_other": "**向访谈提问**（{where}{exchanges}）。可用中文或英文提问：每条回复都是{whose}，"
                     "并高亮最匹配的段落。",
    "subtitle_bundled": "腾讯 CSIG（云与智慧产业事业群）总裁汤道生 · 第一财经专访，2019 年 5 月",
    "quoted_bundled": "— 汤道生，2019 年 5 月接受第一财经专访",
    "exchanges": "共 {n} 段问答",
    "exchanges_one": "共 {n} 段问答",
    "welcome_where": "{name}，",
    "welcome_whose": "{speaker}的原话",
    "welcome_whose_anon": "访谈中的原话",
}

_EN: dict[str, str] = {
    "confidence": "{pct}% confidence",
    "confidence_title": "how likely the top answer is right",
    "interviewer": "Interviewer",
    "answer": "Answer",
    "english_edition": "English edition",
    "introduction": "Introduction (導讀)",
    "back_to_contents": "Back to contents",
    "topics": "The interview's topics:",
    # how to use the list (a copy of the reply leaves it out)
    "topics_how": "click one to ask the interviewer's first question under it.",
    "questions_asked": "The questions the interviewer asked:",
    "questions_asked_how": "click one to read its answer.",
    "about_head": "The article's head says:",
    "about_more": "What the interview covers (introduction and topics)",
    "about_intro": "This chatbot quotes the interviewee's own answers; who was interviewed and "
                   "what the interview covers is in the article's introduction, quoted below.",
    "about_no_intro": "This chatbot quotes the interviewee's own answers; the interview has no "
                      "introduction, so here is what it covers.",
    "highlighted": "highlighted: {where}paragraph {n} of {total}, {why}",
    "highlighted_where_en": "English edition, ",
    "matched_terms": "matched terms: {terms}",
    "terms_joiner": ", ",
    "why_dense": "closest in meaning",
    "why_dense-en": "closest in meaning (via the English edition)",
    "why_lexical": "most shared terms",
    "not_covered": "The interview does not cover this.",
    "not_asked": "{speaker} was not asked about it in this interview.",
    "not_asked_anon": "It did not come up in this interview.",
    "unsure": "Not sure the interview answers this.",
    "unsure_more": "The first one may be it, but the engine is not sure enough to quote its "
                   "answer.",
    "offer": "The nearest questions the interviewer did ask are listed here; click one to read "
             "its answer.",
    "chars_in_all": "({n:,} characters in all)",
    "reason_chat": "This chatbot answers questions about the interview with the answers given "
                   "in it, verbatim. Ask about one of its topics; the Browse tab lists every "
                   "exchange.",
    "read_with": "Read as a follow-up to: “{q}”",
    "corrected": "Read “{typed}” as the interview's “{read_as}”",
    "same_exchange": "He says no more on this than in the answer above: the same exchange "
                     "(open to read it again)",
    "runners_up": "Other close exchanges ({n})",
    "cmp_answered": "answered",
    "cmp_abstains": "abstains: the interview does not cover this",
    "cmp_unsure": "abstains: not sure the interview answers this",
    "no_match": "no match",
    "mode_hybrid": "hybrid",
    "mode_dense": "dense",
    "mode_lexical": "lexical",
    "mode_sparse": "sparse",
    "score_fused": "fused",
    "score_dense": "dense",
    "score_lexical": "lexical",
    "score_sparse": "latent terms",
    "new": "new",
    "mv_new": "not in the hybrid top-k",
    "mv_was": "hybrid rank #{n}",
    "zero_title": "scored 0 under this mode: nothing in common with the question; the zeros are "
                  "ordered by the dense score",
    "whole_answer": "whole answer ({n} paragraphs)",
    "error": "Sorry, something went wrong while answering. Please try again or rephrase the "
             "question; other users are not affected.",
    "error_qa": "Sorry, that did not work: {detail}",
    "welcome": "**Ask the interview.** 湯道生 (Dowson Tong), president of Tencent's Cloud and Smart "
               "Industries Group, talked to Yicai in May 2019 about the industrial internet, middle "
               "platforms, talent and Tencent Cloud. Ask in Chinese or English: each reply is his "
               "answer verbatim, with the best-matching passage highlighted.",
    "welcome_unknown": "**Ask the interview.** Ask in Chinese or English: each reply is the answer "
                       "given in the interview, verbatim, with the best-matching passage "
                       "highlighted.",
    "welcome_other": "**Ask the interview** ({exchanges}{where}). Ask in Chinese or English: each "
                     "reply is {whose}, verbatim, with the best-matching passage highlighted.",
    "subtitle_bundled": "Dowson Tong, president of Tencent CSIG · Yicai interview, May 2019",
    "quoted_bundled": "— 湯道生 (Dowson Tong), interviewed by 第一財經 (Yicai), May 2019",
    "exchanges": "{n} exchanges",
    "exchanges_one": "{n} exchange",
    "welcome_where": " in {name}",
    "welcome_whose": "{speaker}'s answer",
    "welcome_whose_anon": "the answer given in the interview",
}


TRADITIONAL = "s2tw"  # the OpenCC conversion of the app's own Traditional text


def traditional(text: str) -> str:
    """The app's Traditional wording of Simplified *text* (:data:`TRADITIONAL`)."""
    return to_traditional(text, TRADITIONAL)


@cache
def _traditional(chrome: bool) -> dict[str, str]:
    return {k: traditional(v) for k, v in (_CHROME_ZH if chrome else _ZH).items()}


def _strings(language: str, chrome: bool) -> dict[str, str]:
    if language == "zh-Hant":
        return _traditional(chrome)
    if language == "zh-Hans":
        return _CHROME_ZH if chrome else _ZH
    return _CHROME_EN if chrome else _EN


def table(language: str) -> dict[str, str]:
    """The strings for *language*; English for anything that is not Chinese."""
    return _strings(language, chrome=False)


def t(key: str, language: str = "en", **values: object) -> str:
    """The string *key* in *language*, formatted with *values* (English when no translation)."""
    strings = table(language)
    text = strings[key] if key in strings else _EN.get(key, key)
    return text.format(**values) if values else text


def reason(code: str | None, english: str | None, language: str) -> str | None:
    """A decline reason (``Answer.reason_code``, ``Answer.reason``) in *language*; the engine's
    English text when there is no translation (for an English question, the app's own wording
    where it has one: the chat's)."""
    if not code:
        return english
    return table(language).get(f"reason_{code}", english)


# -- the page's fixed labels (the "chrome"), translated in the browser by Gradio's gr.I18n --------
# Keys start with "ui_": Gradio's own translations use top-level keys such as "label", "slider" and
# "checkbox", and a key that names one of them shows "[object Object]".
_CHROME_EN: dict[str, str] = {
    "ui_tab_ask": "Ask",
    "ui_tab_compare": "Compare",
    "ui_tab_browse": "Browse",
    "ui_question": "Your question",  # the ask box's label: hidden, but its accessible name
    "ui_ask_placeholder": "Ask about the interview, in 中文 or English…",
    "ui_ask": "Ask",
    "ui_show_simplified": "Also show Simplified Chinese (简体)",
    "ui_clear": "Clear chat",
    # who speaks, before the start of a chat message's text in its screen-reader name
    # (ui.app's PLAIN_MESSAGE_LABELS)
    "ui_said_you": "You: ",
    "ui_said_reply": "Reply: ",
    "ui_said_confidence": " ({pct}% confidence)",  # after what the reply says
    "ui_said_answering": "Reply to “{q}”: ",  # an answer: the question it answers, then it
    "ui_more_examples": "More example questions",
    "ui_compare_question": "Question",
    "ui_compare_placeholder": "One question, several candidate answers",
    "ui_top_k": "Top-k",
    "ui_compare": "Compare",
    "ui_try": "Try",
    "ui_compare_heading": "### Top answers side by side (hybrid retrieval)",
    "ui_compare_legend": (
        "**fused**: the ranking score (a learned mix of the others; only the order matters, so it "
        "can be negative) · **dense**: cosine between the question and the exchange's closest "
        "passage · **lexical**: BM25 over shared words · **latent terms**: the model's weighted "
        "vocabulary overlap · **#n**: where that signal alone would rank this exchange (\"no "
        "match\": that signal found nothing of the question in it)"),
    "ui_modes_heading": "The same question under each retrieval mode",  # a fold's label
    "ui_modes_legend": (
        "**▲n / ▼n**: n places higher or lower than under hybrid · **new**: not in hybrid's top k "
        "· a faded cell scored 0 under that mode (nothing in common with the question; the zeros "
        "are ordered by the dense score) · a mode's confidence is that of its top answer, so "
        "modes that agree on it show the same one"),
    "ui_api_note": (
        "**API.** `gradio_client.Client(url).predict(question, 5, api_name=\"/ask\")` returns the "
        "same JSON object as `qa.ask()` and `python -m qa ask --json`; "
        "`predict(question, previous, 5, api_name=\"/follow_up\")` reads a follow-up with "
        "`previous`, the question asked before it."),
}

# The score and mode names in bold are the ones the cards and the table show on a Chinese page
# (``score_*``, ``mode_*``); the English beside them is how the API's JSON names the scores.
_CHROME_ZH: dict[str, str] = {
    "ui_tab_ask": "提问",
    "ui_tab_compare": "对比",
    "ui_tab_browse": "浏览",
    "ui_question": "你的问题",
    "ui_ask_placeholder": "就访谈内容提问，中文或英文均可…",
    "ui_ask": "提问",
    "ui_show_simplified": "同时显示简体中文",
    "ui_clear": "清空对话",
    "ui_said_you": "提问：",
    "ui_said_reply": "回答：",
    "ui_said_confidence": "（置信度 {pct}%）",
    "ui_said_answering": "回答“{q}”：",
    "ui_more_examples": "更多示例问题",
    "ui_compare_question": "问题",
    "ui_compare_placeholder": "一个问题，多个候选回答",
    "ui_top_k": "前 k 条",
    "ui_compare": "对比",
    "ui_try": "试试",
    "ui_compare_heading": "### 排名靠前的回答并排对比（混合检索）",
    "ui_compare_legend": (
        "**融合**（fused）：用于排序的分数（由其他几项学习加权而成；只有先后有意义，所以可能是负数）"
        " · **稠密**（dense，语义）：问题与该问答中最接近段落的余弦相似度"
        " · **词汇**（lexical）：按共同词语计算的 BM25"
        " · **潜在词项**（latent terms）：模型加权词表的重合程度"
        " · **#n**：只看这一项时该问答的排名（“无匹配”/“no match”：这一项在其中找不到问题的任何内容）"),
    "ui_modes_heading": "同一问题在各检索模式下的排名",
    "ui_modes_legend": (
        "**▲n / ▼n**：比混合检索（hybrid）高或低 n 位 · **新**（new）：不在混合检索的前 k 条之内"
        " · 颜色变淡的格子表示在该模式下得 0 分（与问题毫无共同之处；得 0 分的按稠密得分排序）"
        " · 各模式的置信度是其排名第一的回答的置信度，第一名相同的模式置信度也相同"),
    "ui_api_note": (
        "**API。** `gradio_client.Client(url).predict(question, 5, api_name=\"/ask\")` 返回与 "
        "`qa.ask()`、`python -m qa ask --json` 相同的 JSON 对象；"
        "`predict(question, previous, 5, api_name=\"/follow_up\")` 会结合 `previous`"
        "（之前问的问题）来理解追问。"),
}

# The status line under the header: what is served and the abstention threshold.
_STATUS = {"en": "{n} exchanges · model `{model}` · answers below {pct}% confidence are withheld",
           "zh-Hans": "共 {n} 段问答 · 模型 `{model}` · 置信度低于 {pct}% 的回答不予给出"}


def status_line(language: str, facts: dict) -> str:
    """The status line in *language* from :meth:`ui.handlers.Handlers.status_facts`."""
    text = _STATUS["en" if language == "en" else "zh-Hans"].format(**facts)
    return traditional(text) if language == "zh-Hant" else text


# Gradio's locale → the language of its strings. Gradio itself only picks zh-CN and zh-TW (see
# LOCALE_HEAD, which reaches zh and zh-HK on the way to those two).
CHROME_LOCALES: dict[str, str] = {
    "en": "en", "zh-CN": "zh-Hans", "zh": "zh-Hans", "zh-TW": "zh-Hant", "zh-HK": "zh-Hant"}


def language_of_locale(header: str | None) -> str:
    """The page language (``"en"``, ``"zh-Hans"``, ``"zh-Hant"``) for a browser's first
    preferred locale, as an ``Accept-Language`` header gives it, by the rule the page's labels
    follow: Traditional for zh-TW, zh-HK, zh-MO and zh-Hant-*, Simplified for any other Chinese,
    English otherwise."""
    first = (header or "").split(",")[0].split(";")[0].strip().lower()
    if not (first == "zh" or first.startswith("zh-")):
        return "en"
    return "zh-Hant" if first.split("-")[1:2] in (["tw"], ["hk"], ["mo"], ["hant"]) else "zh-Hans"


# The labels that no widget shows but a page script (ui.app's PLAIN_MESSAGE_LABELS) does: in the
# gr.I18n tables too, so that every locale has them.
SCRIPT_KEYS = ("ui_said_you", "ui_said_reply", "ui_said_confidence", "ui_said_answering")

# language_of_locale's rule in JavaScript, for the page's scripts: a function from a locale
# (navigator.language) to "en", "zh-Hans" or "zh-Hant" (tests/test_ui_browser.py compares the two).
PAGE_LANGUAGE_JS = """(locale) => {
  const lang = String(locale || '').split(',')[0].split(';')[0].trim();
  if (!/^zh(-|$)/i.test(lang)) return 'en';
  return /^zh-(tw|hk|mo|hant)(-|$)/i.test(lang) ? 'zh-Hant' : 'zh-Hans';
}"""


def chrome_table(language: str) -> dict[str, str]:
    """The page's fixed labels in *language* (``"en"``, ``"zh-Hans"``, ``"zh-Hant"``), without the
    welcome text, which depends on the interview (:func:`chrome`)."""
    return _strings(language, chrome=True)


def chrome(page: Page, status: dict | None = None) -> dict[str, dict[str, str]]:
    """Each locale's strings for the page of *page* (:data:`CHROME_LOCALES`), its welcome text
    (``ui_welcome``) included, and the status line (``ui_status``) when *status* gives its facts
    (:meth:`ui.handlers.Handlers.status_facts`): the translations :func:`chrome_i18n` hands to
    Gradio."""
    def by_language(name: str) -> dict[str, str]:  # a Page text in each language, else English
        return {language: page.text(name, language) for language in ("en", "zh-Hans", "zh-Hant")}

    welcome, subtitle = by_language("welcome"), by_language("subtitle")
    return {locale: {**chrome_table(language), "ui_welcome": welcome[language],
                     **({"ui_subtitle": subtitle[language]} if page.subtitle else {}),
                     **({"ui_status": status_line(language, status)} if status else {})}
            for locale, language in CHROME_LOCALES.items()}


def chrome_i18n(page: Page, status: dict | None = None) -> gr.I18n:
    """The ``gr.I18n`` for the page of *page* (and its status line, see :func:`chrome`): pass it
    to ``demo.launch(i18n=...)`` and label the widgets with ``i18n("ui_…")``."""
    import gradio as gr

    return gr.I18n(**chrome(page, status))


# Gradio chooses the page's locale once, from navigator.language, among its own languages: zh-CN
# and zh-TW match, but zh-HK, zh-SG or plain zh fall back to English. This head script (head
# scripts run once Gradio has set its locale) switches those with changeLocale, the function
# Gradio's Settings panel calls (exported by its "core" chunk, which the page has loaded by then):
# first to this app's zh-HK (Traditional: zh-HK, zh-MO, zh-Hant-*) or zh (any other Chinese),
# whose strings are at hand, so the labels change at once; then to zh-TW or zh-CN, whose Gradio
# strings (e.g. the footer's) load a moment later. ui.app renames the tabs on load, which Gradio
# names only once. A failure is logged to the browser's console; tests/test_ui_browser.py fails if
# a Gradio upgrade breaks this, and tests/test_ui_handlers.py checks the chunk and its export
# without a browser.
LOCALE_HEAD = """<script>
(() => {
  const lang = navigator.language || '';
  if (!/^zh(-|$)/i.test(lang) || lang === 'zh-CN' || lang === 'zh-TW') return;
  const hant = (__PAGE_LANGUAGE__)(lang) === 'zh-Hant';
  const core = [...document.querySelectorAll('link[rel=modulepreload]')].map((l) => l.href)
    .concat(performance.getEntriesByType('resource').map((e) => e.name))
    .find((u) => /\\/assets\\/core-[\\w-]+\\.js$/.test(u));
  const warn = (why) => console.warn(`labels stay English for ${lang}: ${why}`);
  if (!core) return warn("Gradio's core-*.js chunk was not found");
  import(core).then((m) => {
    m.changeLocale(hant ? 'zh-HK' : 'zh');
    m.changeLocale(hant ? 'zh-TW' : 'zh-CN');
  }).catch((e) => warn(e));
})();
</script>""".replace("__PAGE_LANGUAGE__", PAGE_LANGUAGE_JS)  # the labels' rule
