"""Evidence: highlights on the verbatim text, script-insensitive, and always escaped HTML."""

from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace as NS

import pytest

from index.store import Passage
from qa.config import DEFAULT_INTERVIEW
from qa.corpus import load_translation, translation_path
from qa.engine import Hit
from qa.evidence import (
    Marked,
    aligned_fold,
    aligned_simplified,
    best_sentences,
    explain,
    find_terms,
    render_html,
    render_marked,
    split_sentences,
)
from qa.parsing import load_interview
from qa.text import tokenize


@pytest.fixture(scope="module")
def interview():
    return load_interview(DEFAULT_INTERVIEW)


@pytest.fixture(scope="module")
def translation(interview):
    return load_translation(translation_path(Path(DEFAULT_INTERVIEW)), interview)


def marked(text, question):
    return [text[s:e] for s, e in find_terms(text, tokenize(question))]


def hit_for(pair, kind="question", paragraph=-1, translation=None):
    text = pair.question if kind == "question" else pair.answer_paragraphs[max(paragraph, 0)]
    return Hit(1, pair, 0.5, {"dense": 0.8, "lexical": 3.0, "dense_rank": 1, "lexical_rank": 1},
               Passage(pair.id, kind, text, paragraph), translation)


class Balanced(HTMLParser):
    """Records tags and checks that every opened element is closed in order."""

    def __init__(self):
        super().__init__()
        self.stack, self.tags, self.ok = [], [], True

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in ("br",):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        self.ok = self.ok and bool(self.stack) and self.stack.pop() == tag


def parse(html):
    p = Balanced()
    p.feed(html)
    p.close()
    assert p.ok and not p.stack, html
    return p


# -- terms --------------------------------------------------------------------------------------
def test_simplified_query_marks_the_traditional_text():
    text = "騰訊不會把所有的事都自己做,ERP已經是比較成熟的市場。"
    assert marked(text, "腾讯会自己做ERP吗") == ["騰訊", "自己", "做", "ERP"]  # side by side, apart


def test_a_one_character_term_marks_only_a_word_of_its_own():
    text = "騰訊的成就很大,但不是什麼事都自己做,成功就好。"
    assert marked(text, "腾讯自己就做") == ["騰訊", "自己", "做", "就"]  # not 成就's 就
    assert tokenize("成 做") == ["成", "做"] and marked(text, "成 做") == ["做"]  # 成 only in words


def test_single_character_function_words_are_not_highlighted_but_still_choose():
    from qa.evidence import highlight_terms

    assert highlight_terms("腾讯做to B等于对企业多做事情") == ("腾讯", "tob", "等于", "企业", "事情")
    assert highlight_terms("腾讯 云 的 优势") == ("腾讯", "云", "优势")  # a content character stays
    assert highlight_terms("做") == ("做",)  # the only term: kept
    assert highlight_terms("") == ()
    # every term still chooses the paragraph: 做 alone picks the one that uses it, unmarked there
    hit = NS(pair=NS(question="問?", answer_paragraphs=("我們不賣東西。", "騰訊要做的事。")),
             evidence=None, translation=None)
    ev = explain("腾讯 做", hit)
    assert ev.zh.best_paragraph == 1
    assert [ev.zh.paragraphs[1].text[s:e] for s, e in ev.zh.paragraphs[1].terms] == ["騰訊"]


def test_traditional_query_marks_the_same_spans_as_simplified():
    text = "不管是QQ時代還是微信時代,騰訊內部一直有中臺服務內部業務的"
    assert find_terms(text, tokenize("騰訊的中臺")) == find_terms(text, tokenize("腾讯的中台"))
    assert marked(text, "腾讯的中台") == ["騰訊", "中臺"]


def test_english_terms_are_case_insensitive_and_stem_aware():
    text = "Customers want Tencent's cloud; a customer asked about ERP."
    assert marked(text, "what do customers of tencent want") == [
        "Customers", "want", "Tencent's", "customer"]


def test_a_word_split_by_the_user_dictionary_does_not_match_its_piece():
    # jieba's user dictionary cuts "enterprises" around "erp"; it must not be marked for "ERP"
    assert marked("Enterprises buy ERP systems.", "ERP") == ["ERP"]


def test_to_b_spellings_all_match():
    text = "做to B業務和to-B服務,以及2B市場"
    assert marked(text, "toB") == ["to B", "to-B", "2B"]


def test_aligned_fold_keeps_every_interview_text_the_same_length(interview):
    for pair in interview.pairs:
        for text in (pair.section, pair.question, *pair.answer_paragraphs):
            assert len(aligned_fold(text)) == len(text)
            assert len(aligned_simplified(text)) == len(text)


def test_aligned_fold_falls_back_per_character_when_lengths_differ():
    # NFKC expands "㎏" to two characters; the fold keeps it as is and stays aligned
    text = "重5㎏的ＥＲＰ"
    folded = aligned_fold(text)
    assert len(folded) == len(text) and folded.endswith("erp")
    assert marked(text, "ERP") == ["ＥＲＰ"]


# -- sentences ----------------------------------------------------------------------------------
def test_sentences_split_on_chinese_and_ascii_punctuation():
    text = "你好。“對嗎?”他說;好… It is 3.5 times larger! Yes."
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "你好。", "“對嗎?”", "他說;", "好…", "It is 3.5 times larger!", "Yes."]


def test_best_sentence_shares_most_terms_and_ties_go_earlier():
    text = "我們做雲。騰訊雲不擔心。騰訊雲的對手很多,騰訊雲不擔心對手。其他。"
    spans = best_sentences(text, tokenize("腾讯云担心对手"), limit=1)
    assert [text[s:e] for s, e in spans] == ["騰訊雲的對手很多,騰訊雲不擔心對手。"]
    tie = "騰訊雲很好。騰訊雲也好。"
    assert [tie[s:e] for s, e in best_sentences(tie, ["腾讯云"], limit=1)] == ["騰訊雲很好。"]
    assert best_sentences(text, tokenize("bread")) == ()


# -- explain ------------------------------------------------------------------------------------
def test_dense_answer_passage_chooses_the_paragraph(interview):
    pair = next(p for p in interview.pairs if len(p.answer_paragraphs) >= 3)
    ev = explain("完全無關的問題", hit_for(pair, "answer", 2))
    assert ev.zh.best_paragraph == 2 and ev.zh.reason == "dense"


def test_english_evidence_maps_to_the_same_chinese_paragraph(interview, translation):
    pair = next(p for p in interview.pairs if len(p.answer_paragraphs) >= 2)
    hit = hit_for(pair, "answer_en", 1, translation[pair.id])
    hit = Hit(1, pair, 0.5, hit.scores,
              Passage(pair.id, "answer_en", translation[pair.id].answer_paragraphs[1], 1),
              translation[pair.id])
    ev = explain("What happened?", hit)
    assert ev.zh.best_paragraph == 1 and ev.zh.reason == "dense-en"
    assert ev.en.best_paragraph == 1 and ev.preferred is ev.en


def test_a_matched_sentence_is_the_highlight_in_its_edition_and_picks_the_paragraph(
        interview, translation):
    from qa.corpus import sentences
    from qa.text import to_simplified

    pair = next(p for p in interview.pairs if len(p.answer_paragraphs) >= 3)
    text = pair.answer_paragraphs[2]
    second = sentences(text)[1]
    # the Simplified copy of a Chinese sentence, as the index holds it, on an unrelated question
    hit = Hit(1, pair, 0.5, {}, Passage(pair.id, "sentence", to_simplified(second), 2,
                                        variant="zh-Hans"), translation[pair.id])
    ev = explain("完全無關的問題", hit)
    best = ev.zh.paragraphs[2]
    assert ev.zh.best_paragraph == 2 and ev.zh.reason == "dense"
    assert [best.text[s:e] for s, e in best.sentences] == [second]
    # an English sentence matched: the Chinese edition shows its paragraph (the editions align
    # paragraph by paragraph), the English edition that very sentence
    en_text = translation[pair.id].answer_paragraphs[2]
    en_sentence = sentences(en_text)[0]
    hit = Hit(1, pair, 0.5, {}, Passage(pair.id, "sentence_en", en_sentence, 2),
              translation[pair.id])
    ev = explain("Tell me about 熊貓直播", hit)
    assert (ev.zh.best_paragraph, ev.zh.reason) == (2, "dense-en")
    assert (ev.en.best_paragraph, ev.en.reason) == (2, "dense")
    best_en = ev.en.paragraphs[2]
    assert [best_en.text[s:e] for s, e in best_en.sentences] == [en_sentence]


def test_question_evidence_falls_back_to_lexical_overlap(interview):
    pair = next(p for p in interview.pairs if "ERP" in p.answer_paragraphs[0]
                and len(p.answer_paragraphs) > 1)
    ev = explain("腾讯会自己做ERP吗", hit_for(pair))
    assert ev.zh.reason == "lexical" and ev.zh.best_paragraph == 0
    best = ev.zh.paragraphs[0]
    assert any("ERP" in best.text[s:e] for s, e in best.sentences)
    assert ev.preferred is ev.zh  # a Chinese query reads the Chinese edition first
    assert explain("bread", hit_for(pair)).zh.best_paragraph is None


# -- HTML ---------------------------------------------------------------------------------------
def test_rendering_escapes_corpus_and_user_text():
    evil = '<img src=x onerror="alert(1)"> & {{7*7}} ${x} `y`'
    html = render_marked(Marked(evil, ((0, 4),), ((0, len(evil)),)))
    assert "<img" not in html and "&lt;img" in html and "&quot;" in html
    assert "{{" not in html and "${" not in html and "`" not in html
    tags = parse(html).tags
    assert {t for t, _ in tags} == {"mark", "span"}


def test_render_nests_marks_inside_the_best_sentence(interview):
    pair = next(p for p in interview.pairs if "ERP" in p.answer)
    ev = explain("腾讯会自己做ERP吗", hit_for(pair))
    html = render_html(ev, simplified=True)
    tags = parse(html).tags
    classes = [a.get("class") for _, a in tags]
    assert "ev-term" in classes and "ev-sent" in classes and "ev-para ev-best" in classes
    assert "\n" not in html
    assert "腾讯" in html and "騰訊" in html  # the Simplified copy is there too
    assert '<mark class="ev-term">ERP</mark>' in html
