"""Command line: ``python -m qa {ask,pairs,build,eval,calibrate,bench}``.

A thin layer over :mod:`qa.engine`: it parses arguments, prints, and turns the project's errors into
one line on stderr with exit code 1 (2 for usage errors such as an empty question or ``--top-k 0``).
Heavy libraries load only when a command needs the model. Text output is wrapped for an 88-column
terminal (Han characters count double); a line never breaks inside "to B" / "to C" nor starts with
closing punctuation, and text cut short ends with "…".
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import stat
import sys
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TextIO

from qa import config
from qa.config import MODES
from qa.errors import QAError


def _engine(args: argparse.Namespace, rebuild: bool = False):
    from qa.engine import Engine

    quiet = getattr(args, "json", False)

    def say(msg: str) -> None:
        # --json: no routine chatter, but warnings and why a wait is long (the model's one-off
        # conversion and export, an index build)
        if not quiet or msg.startswith(("warning:", "converting ", "exporting ",
                                        "building indexes", "embedded ")):
            print(f"· {msg}", file=sys.stderr)

    return Engine.create(model=args.model, interview=args.interview, rebuild=rebuild,
                         progress=say)


WIDTH = 88  # terminal columns at most; Han characters and full-width punctuation take two
MIN_WIDTH = 40
# Kinsoku: a line never starts with closing punctuation nor ends with opening punctuation.
CLOSING = frozenset("，。、；：？！）」』》〉】〕”’…%,.;:?!)]}")
OPENING = frozenset("（「『《〈【〔“‘([{")
_LATIN = "A-Za-z0-9\u00c0-\u024f"
_UNIT = re.compile(
    r"\s+"                                                   # a break opportunity
    rf"|(?<![{_LATIN}])(?i:to)[ \u00a0][A-Z](?![{_LATIN}])"  # "to B", "to C": never split
    rf"|[{_LATIN}](?:[{_LATIN}'’\-./&+]*[{_LATIN}])?"        # a Latin word, number or "to-B"
    r"|.",                                                   # anything else, one at a time
    re.DOTALL,
)


def _cols(text: str) -> int:
    """Display width: wide (W) and full-width (F) characters take two terminal columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _groups(text: str) -> list[tuple[str, bool]]:
    """*text* as unbreakable groups, each with whether a space separates it from the previous one.

    A line may break at a space, or between two units one of which is wide (Han, kana, full-width
    punctuation), but not before closing punctuation or after opening punctuation.
    """
    groups: list[list] = []
    prev, space = "", False
    for unit in _UNIT.findall(text):
        if unit.isspace():
            space = bool(groups)
            continue
        glue = groups and (unit[0] in CLOSING or prev[-1] in OPENING
                           or (not space and _cols(prev[-1]) == 1 and _cols(unit[0]) == 1))
        if glue:
            groups[-1][0] += (" " if space else "") + unit
        else:
            groups.append([unit, space])
        prev, space = unit, False
    return [(g, sp) for g, sp in groups]


def _width() -> int:
    """Columns to wrap at: ``COLUMNS``, else the terminal's, at most :data:`WIDTH` (and at least
    :data:`MIN_WIDTH`); WIDTH when neither is known (output to a pipe or a file)."""
    import shutil

    return max(MIN_WIDTH, min(WIDTH, shutil.get_terminal_size((WIDTH, 24)).columns))


def _wrap(text: str, width: int | None = None, indent: str = "    ",
          first_indent: str | None = None) -> list[str]:
    """Wrap *text* to *width* terminal columns (default :func:`_width`; see :func:`_groups` for
    where lines may break)."""
    width = width or _width()
    first = indent if first_indent is None else first_indent
    lines: list[str] = []
    line, used, empty = first, _cols(first), True
    for group, spaced in _groups(text):
        sep = " " if spaced and not empty else ""
        cols = _cols(group)
        if not empty and used + len(sep) + cols > width:
            lines.append(line)
            line, used, empty, sep = indent, _cols(indent), True, ""
        while used + cols > width and len(group) > 1:  # longer than a whole line: cut it
            cut, n = 0, used
            while cut < len(group) and n + _cols(group[cut]) <= width:
                n += _cols(group[cut])
                cut += 1
            cut = max(cut, 1)
            lines.append(line + group[:cut])
            group = group[cut:]
            line, used, cols = indent, _cols(indent), _cols(group)
        line += sep + group
        used += len(sep) + cols
        empty = False
    lines.append(line)
    return lines


def _fill(text: str, width: int | None = None, indent: str = "    ",
          first_indent: str | None = None) -> str:
    return "\n".join(_wrap(text, width, indent, first_indent))


def _clip(text: str, cols: int) -> str:
    """*text* on one line, cut to at most *cols* terminal columns with "…" when it is cut."""
    text = " ".join(text.split())
    if _cols(text) <= cols:
        return text
    out, used = [], 1  # the ellipsis takes one column
    for ch in text:
        if used + _cols(ch) > cols:
            break
        out.append(ch)
        used += _cols(ch)
    return "".join(out).rstrip(" ,，、;；:：") + "…"


def _conf(ans: dict) -> str:
    """The confidence as text, as the UI caps it (:func:`qa.confidence.shown`): never "1.00"."""
    from qa.confidence import shown

    return f"{shown(ans['confidence']):.2f}"


def _signal_ranks(hit: dict) -> str:
    """Where each retrieval signal alone ranked this exchange, e.g. ``dense #2 · lexical #1``.
    A word-matching signal that found nothing in it says so instead of a rank: when no exchange
    shares a word with the question, all tie at "#1", which would read as agreement."""
    from qa.fusion import signal_rank

    scores = hit.get("scores") or {}
    parts = []
    for name in ("dense", "lexical", "sparse"):
        if f"{name}_rank" in scores:
            rank = signal_rank(scores, name)
            parts.append(f"{name} #{rank}" if rank is not None else f"{name}: no match")
    return " · ".join(parts)


def _print_answer(ans: dict, speaker: str = "") -> None:
    """One answer as text; the answer is labelled with *speaker* (the interviewee as the interview
    names them), or "Answer" when it names nobody."""
    print(f"Q: {ans['question']}")
    if ans.get("notice"):
        print(f"   (note: {ans['notice']})")
    for fix in ans.get("corrections") or ():
        print(f"   (read \"{fix['typed']}\" as the interview's \"{fix['read_as']}\")")
    if not ans["hits"]:
        print("   No answer: the question is empty.")
        return
    from qa.engine import ASIDES

    if ans.get("reason_code") in ASIDES:  # no question on the interview: what this is for
        print(_fill(ans["reason"], indent="   "))
        print()
        return
    top = ans["hits"][0]
    if not ans["answered"] and not ans.get("unsure"):
        # not covered: the nearest questions, one line each, not a whole unrelated answer
        print(_fill(f"The interview does not seem to cover this (confidence {_conf(ans)}).",
                    indent="   "))
        if ans.get("reason"):
            print(_fill(ans["reason"], indent="   "))
        if ans.get("read_with"):
            print(_fill(f"read as a follow-up to: {_clip(ans['read_with'], 200)}", indent="   "))
        print()
        print(f"  The nearest questions the interviewer asked (`{_prog('python -m qa')} pairs` "
              "lists all):")
        _print_list(ans["hits"])
        print()
        return
    if ans["answered"]:
        print(_fill(f"confidence {_conf(ans)} · [{top['pair_id']}] {top['section']}",
                    indent="   "))
    else:
        verdict = ("Not sure the interview answers this" if ans.get("unsure")
                   else "The interview does not seem to cover this")
        print(_fill(f"{verdict} (confidence {_conf(ans)}).", indent="   "))
        if ans.get("reason"):
            print(_fill(ans["reason"], indent="   "))
        print(_fill(f"Nearest exchange: [{top['pair_id']}] {top['section']}", indent="   "))
    if ans.get("read_with"):
        print(_fill(f"read as a follow-up to: {_clip(ans['read_with'], 200)}", indent="   "))
    if ranks := _signal_ranks(top):
        print(_fill(f"signals alone rank it: {ranks}", indent="   "))
    print()
    print(_fill(top["question"], indent="  ", first_indent="  Interviewer: "))
    print()
    print(f"  {speaker or 'Answer'}:")
    best = top.get("evidence_paragraph")
    for edition in ("answer", "answer_en"):
        if edition == "answer_en":
            if ans.get("language") != "en" or not top.get("answer_en"):
                break
            print("  English edition (translation):")
        paras = top[edition].split("\n\n")
        for n, para in enumerate(paras):  # ">" marks the paragraph that matched best
            print(_fill(para, first_indent="  > " if n == best and len(paras) > 1 else None))
            print()
    if len(ans["hits"]) > 1:
        print("  Runners-up:")
        _print_list(ans["hits"][1:])
    print()


def _print_list(hits: list[dict]) -> None:
    """*hits* one line each: rank, exchange id, the interviewer's question (clipped), and where
    each signal alone ranked it."""
    for h in hits:
        head = f"   {h['rank']}. [{h['pair_id']}] "
        print(head + _clip(h["question"], _width() - _cols(head)))
        if ranks := _signal_ranks(h):
            print(_fill(f"signals alone rank it: {ranks}", indent=" " * len(head)))


def _whole_question(argument: str) -> bool:
    """Whether a command-line *argument* reads as a question of its own rather than one of its
    words: it ends with a question mark, was quoted with spaces in it, or has four Han
    characters or more ("腾讯会做ERP吗", not "腾讯" of `ask 腾讯 会 做 ERP 吗`)."""
    from qa.text import han_chars

    text = argument.strip()
    return text.endswith(("?", "？")) or " " in text or han_chars(text) >= 4


def cmd_ask(args: argparse.Namespace) -> int:
    from qa.engine import clean_question

    if args.question:
        # the words of one question, unquoted, are joined; several questions each quoted are
        # joined too, so say how to ask them apart, as --chat with a QUESTION has nothing to do
        asked = sum(_whole_question(a) for a in args.question)
        if len(args.question) > 1 and asked > 1:
            print(f"note: the {len(args.question)} arguments were read as one question; to ask "
                  "several, give one per line on standard input", file=sys.stderr)
        if args.chat:
            print("note: --chat reads a conversation from standard input, one question per "
                  "line; for a follow-up on the command line use --previous", file=sys.stderr)
        batches: Iterable[list[str]] = [[" ".join(args.question)]]
    elif sys.stdin is None:
        print("error: give a QUESTION or pipe questions on standard input, one per line",
              file=sys.stderr)
        return 2
    elif sys.stdin.isatty():
        return _interactive(args)
    else:
        batches = _stdin_batches(sys.stdin)
    engine, turns = None, None
    for questions in batches:
        if not any(clean_question(q)[0] for q in questions):
            continue  # an empty QUESTION argument (stdin lines that clean to nothing are skipped)
        if engine is None:  # the model loads once the first real question arrives
            engine = _engine(args)
            turns = _Turns(engine, args)
        for ans in turns.answer(questions):
            _emit(ans, args, engine)
    if engine is None:
        print("error: the question is empty; ask something about the interview" if args.question
              else "error: standard input held no question (it was empty or blank); pipe one "
              "question per line", file=sys.stderr)
        return 2
    return 0


INTERACTIVE_HINT = ("Ask about the interview, in Chinese or English, one question per line. A "
                    "follow-up (\"为什么?\", \"他这样划边界的理由是什么?\", \"Tell me more\") is read "
                    "with the question before it. Ctrl-D (or \"exit\") ends.")


def _interactive(args: argparse.Namespace) -> int:
    """A conversation at the terminal: a prompt, an answer, and so on until end of input."""
    try:
        import readline  # noqa: F401 - line editing and history for input()
    except ImportError:  # not on every platform
        pass
    engine = _engine(args)
    turns = _Turns(engine, args, chat=True)
    print(INTERACTIVE_HINT, file=sys.stderr)
    while True:
        try:
            if sys.stdout.isatty():
                line = input("? ")
            else:  # the answers go to a file or a pipe: keep the prompt out of them
                print("? ", end="", file=sys.stderr, flush=True)
                line = input()
        except (EOFError, KeyboardInterrupt):
            print(file=sys.stderr)
            return 0
        if line.strip().lower() in {"exit", "quit", ":q"}:
            return 0
        for ans in turns.answer([line]):
            if ans.question:  # an empty line: ask again
                _emit(ans, args, engine)


def _emit(ans, args: argparse.Namespace, engine) -> None:
    """One answer on stdout: a JSON line (``--json``) or the readable text."""
    d = ans.to_dict()
    if args.json:
        print(json.dumps(d, ensure_ascii=False), flush=True)
    else:
        _print_answer(d, next(iter(engine.interview.speakers), ""))
        if (ans.reason_code == "context" and not args.question and not args.chat
                and not sys.stdin.isatty()):  # "为什么?" on its own line of a pipe
            print(_fill("Lines on standard input are separate questions; with --chat each is "
                        "read as a follow-up of the one before.", indent="   "))
            print()
        if ans.reason_code == "about":
            _print_about(engine, d["language"], ans.read_as or ans.question)
        sys.stdout.flush()


def _print_about(engine, language: str, question: str) -> None:
    """After a question about the interview itself: the article's head (date, byline), the two
    paragraphs of its introduction (the English edition's for an English question) that say who
    the interviewee is and what it is about, and the topics, one section heading (or, without
    headings, one question) a line. A question on the head alone (when, by whom: its reason
    quotes the head) gets only a pointer to the rest."""
    from qa.corpus import lead_summary, topics
    from qa.smalltalk import about_kind

    if about_kind(question, engine.speaker_names) == "article" and engine.article_head(language):
        print(_fill("For what the interview covers, ask \"What is the interview about?\" "
                    "(\"这篇采访讲了什么?\").", indent="   "))
        print()
        return
    if intro := engine.introduction(language):
        if head := engine.article_head(language):  # date, byline: when, by whom
            print(_fill(" · ".join(head), indent="  "))
            print()
        print("  From the article's introduction:")
        for para in lead_summary(intro, engine.speaker_names):
            print(_fill(para, indent="    "))
            print()
    print("  Topics (section headings, with the first exchange under each):"
          if engine.interview.headed else "  The questions the interviewer asked:")
    for pair, title, title_en in topics(engine.interview, engine.translation):
        en = f" ({title_en})" if language == "en" and title_en else ""
        print(_fill(f"[{pair.id}] {title}{en}", indent="   "))
    print()


class _Turns:
    """Answers questions in order, carrying what a follow-up is read with: with ``--chat`` from
    each question to the next (:attr:`~qa.engine.Answer.anchor`); otherwise only ``--previous``,
    for the first question that is not empty."""

    def __init__(self, engine, args: argparse.Namespace, chat: bool | None = None) -> None:
        self.engine, self.args = engine, args
        self.chat = args.chat if chat is None else chat  # the prompt is always a conversation
        self.previous: str | None = args.previous

    def answer(self, questions: list[str]) -> Iterator:
        from qa.engine import clean_question

        kw = {"top_k": self.args.top_k, "mode": self.args.mode}
        if self.chat:  # each may follow up on the one before: one by one
            for q in questions:
                ans = self.engine.ask(q, previous=self.previous, **kw)
                if ans.question:
                    self.previous = ans.anchor_after(self.previous)
                yield ans
            return
        previous: list[str | None] = [None] * len(questions)
        first = next((n for n, q in enumerate(questions) if clean_question(q)[0]), None)
        if self.previous and first is not None:
            previous[first], self.previous = self.previous, None
        yield from self.engine.ask_many(questions, previous=previous, **kw)


def _stdin_batches(stream: TextIO, size: int = 64) -> Iterator[list[str]]:
    """The non-blank lines of *stream* (a line of spaces or invisible characters such as a
    zero-width space is blank). From a file, in batches of *size* (encoded together); from a
    pipe, one line at a time, so each answer appears as soon as its question has been sent, not
    at the end of the input."""
    from qa.engine import clean_question

    try:
        regular = stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
    except (AttributeError, OSError, ValueError):  # e.g. io.StringIO in tests
        regular = True
    batch: list[str] = []
    for line in stream:
        if clean_question(line)[0]:
            batch.append(line.rstrip("\n"))
        if batch and (len(batch) >= size or not regular):
            yield batch
            batch = []
    if batch:
        yield batch


def cmd_pairs(args: argparse.Namespace) -> int:
    from qa.corpus import load_translation, translation_path
    from qa.parsing import load_interview

    path = config.interview_path(args.interview)
    interview = load_interview(path)
    english = load_translation(translation_path(path), interview)  # {} without an edition
    answerer = next(iter(interview.speakers), "Answer")
    for p in interview.pairs:
        en = english.get(p.id)
        if args.json:
            d = p.to_dict()
            # the same fields, from the same edition, as a hit of `ask --json` (null without one)
            d["question_en"] = en.question if en else None
            d["answer_en"] = en.answer if en else None
            print(json.dumps(d, ensure_ascii=False))
        else:
            head = f"  {p.asker}: "
            print(f"[{p.id}] {p.section}")
            print(_fill(p.question, indent=" " * _cols(head), first_indent=head))
            print(f"  {answerer}: {_clip(p.answer_paragraphs[0], _width() - 10)}")
            n = len(p.answer_paragraphs)
            print(f"  ({n} paragraph{'s' if n != 1 else ''})\n")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    engine = _engine(args, rebuild=args.rebuild)
    ix = engine.indexes
    state = f"rebuilt ({ix.rebuilt_because})" if ix.rebuilt_because else "up to date"
    where = "" if ix.persisted else " (in memory only: the cache is not writable)"
    print(f"indexes {state}{where}: {len(engine.interview)} pairs, {ix.dense.size} vectors "
          f"of dim {ix.dense.dim} ({ix.dense.kind}), BM25 over {ix.lexical.num_docs} documents, "
          + (f"{ix.sparse.size} sparse latent-term vectors, " if ix.sparse is not None else "")
          + f"model {engine.encoder.model_id}")
    if args.prune and engine.index_dir is not None:
        from index.store import prune_others

        removed = prune_others(engine.index_dir)
        for path, size in removed:
            print(f"removed {path} ({size / 1e6:.1f} MB)")
        print(f"pruned {len(removed)} other index folder{'s' if len(removed) != 1 else ''} "
              f"({sum(n for _, n in removed) / 1e6:.1f} MB); kept {engine.index_dir}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from qa.evaluate import (
        DEFAULT_QUESTIONS,
        check_expected,
        evaluate,
        format_table,
        load_questions,
    )

    if args.report:  # before the evaluation, not after it
        _report_dir(Path(args.report))
    every = load_questions(args.file or DEFAULT_QUESTIONS)
    items = load_questions(args.file or DEFAULT_QUESTIONS, split=args.split)
    engine = _engine(args)
    # every record's pair id, whichever split is asked for: a wrong id is an error in any split
    check_expected(every, [p.id for p in engine.interview.pairs], engine.interview.source)
    result = evaluate(engine, items, mode=args.mode, split=args.split)
    print(format_table(result))
    if args.typos:
        from qa.typos import robustness, table

        for language, (n, runs) in robustness(engine, items, mode=args.mode).items():
            print(f"\none slip per {language} in-scope question ({n} questions):\n")
            print(table(runs))
    if args.background:
        from qa.background import robustness as pasted
        from qa.background import table as pasted_table

        print("\na background paragraph in front of each question (qa/background.py):\n")
        print(pasted_table(pasted(engine, items, mode=args.mode)))
    if args.misses:
        for o in result.misses:
            got = ", ".join(h.pair.id for h in o.answer.hits[:3])
            print(f"  miss {o.item.id} [{o.item.lang}] expected {o.item.expected} got {got}: "
                  f"{o.item.question}")
    if args.report:
        from qa.report import write_report

        try:
            path = write_report(engine, args.report, questions=args.file or DEFAULT_QUESTIONS)
        except OSError as exc:
            raise QAError(f"--report {args.report}: cannot write the report "
                          f"({exc.strerror or exc}); give a writable directory") from exc
        print(f"report written to {path}")
    return 0


def _report_dir(path: Path) -> None:
    """Say now, before the evaluation, why the ``--report`` directory cannot be written (it is
    created by the report itself)."""
    if path.exists() and not path.is_dir():
        raise QAError(f"--report {path}: that is a file; give a directory (it is created if "
                      "missing)")
    existing = next(p for p in (path, *path.parents) if p.exists())
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise QAError(f"--report {path}: cannot write under {existing}; give a writable "
                      "directory")


def cmd_calibrate(args: argparse.Namespace) -> int:
    from qa.calibrate import calibrate

    engine = _engine(args)
    print(calibrate(engine, args.file, write=not args.dry_run))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from qa.bench import main as bench_main

    return bench_main(args)


def _top_k(text: str) -> int:
    """``--top-k``: :func:`qa.config.check_top_k` of the text, its error as a usage error."""
    try:
        return config.check_top_k(int(text))
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(
            f"must be a whole number of at least 1 (above the number of exchanges, all are "
            f"returned), not {text!r}; e.g. --top-k 3") from None


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--model", help=f"sentence-transformers model id or path "
                        f"(default: $QA_MODEL or {config.DEFAULT_MODEL}, bundled)")
    common.add_argument("--interview", help="interview file (.txt article or .json/.jsonl "
                        "records; default: $QA_INTERVIEW or the bundled Yicai interview)")
    common.add_argument("-v", "--verbose", action="store_true", help="log what happens")

    p = argparse.ArgumentParser(prog=_prog("python -m qa"), description="Ask the 2019 Yicai interview "
                                "with 湯道生 (Tencent CSIG) questions.",
                                epilog="Without a command, the arguments are those of `ask`: "
                                '`python -m qa "腾讯会做ERP吗?"` asks that question, and with no '
                                "arguments at all the questions come from stdin (at a terminal, a "
                                "conversation at a prompt).")
    sub = p.add_subparsers(dest="command", required=True)

    a = sub.add_parser("ask", parents=[common], help="answer questions")
    a.add_argument("question", nargs="*", help="the question (default: read lines from stdin; "
                   "at a terminal, a conversation at a prompt)")
    a.add_argument("--json", action="store_true",
                   help="print one JSON object per question (the fields of qa.ask) instead of text")
    a.add_argument("--top-k", type=_top_k, default=5, metavar="K",
                   help="exchanges to return, best first: 1 to the number of exchanges (13 in "
                   "the bundled interview; more returns them all; default 5)")
    a.add_argument("--previous", metavar="TEXT",
                   help="the question asked just before; a follow-up that leans on it (\"why?\", "
                        "\"他这样说的理由是什么?\") is read together with it")
    a.add_argument("--chat", action="store_true",
                   help="the questions on stdin are one conversation: each may follow up on "
                        "the one before")
    a.add_argument("--mode", choices=MODES, default="hybrid",
                   help="how to rank: hybrid (all signals fused; default), dense (embeddings), "
                   "lexical (BM25 words) or sparse (latent terms; bundled model only)")
    a.set_defaults(func=cmd_ask)

    pr = sub.add_parser("pairs", parents=[common], help="list the parsed question/answer pairs")
    pr.add_argument("--json", action="store_true", help="print one JSON object per exchange, "
                    "with question_en/answer_en when there is an English edition")
    pr.set_defaults(func=cmd_pairs)

    b = sub.add_parser("build", parents=[common], help="build or check the indexes")
    b.add_argument("--rebuild", action="store_true", help="rebuild even if up to date")
    b.add_argument("--prune", action="store_true",
                   help="then remove the cached indexes of other interviews and models")
    b.set_defaults(func=cmd_build)

    e = sub.add_parser("eval", parents=[common], help="metrics on a labelled question file")
    e.add_argument("file", nargs="?", help="JSONL of labelled questions "
                   "(default: tests/data/questions.jsonl)")
    e.add_argument("--split", choices=("all", "dev", "test"), default="all",
                   help="which labelled questions: dev (calibration), test (held out) or all "
                   "(default)")
    e.add_argument("--mode", choices=MODES, default="hybrid",
                   help="retrieval mode to measure (default hybrid; see `ask --help`)")
    e.add_argument("--misses", action="store_true", help="list the questions missed at rank 1")
    e.add_argument("--typos", action="store_true",
                   help="also measure one typo per in-scope question (qa/typos.py)")
    e.add_argument("--background", action="store_true",
                   help="also measure the questions after a background paragraph "
                        "(qa/background.py)")
    e.add_argument("--report", metavar="DIR", help="write a Markdown report with plots to DIR")
    e.set_defaults(func=cmd_eval)

    c = sub.add_parser("calibrate", parents=[common],
                       help="fit fusion weights and the abstention rule on the dev split")
    c.add_argument("file", nargs="?", help="labelled questions (default: tests/data/...)")
    c.add_argument("--dry-run", action="store_true", help="print, do not save")
    c.set_defaults(func=cmd_calibrate)

    be = sub.add_parser("bench", parents=[common], help="measure speed (see docs/benchmarks.md)")
    be.add_argument("--scale", action="store_true", help="FAISS at 10k/100k/1M synthetic vectors")
    be.add_argument("--load", action="store_true", help="concurrent clients against the web app")
    be.add_argument("--out", default="docs/benchmarks.md",
                    help="Markdown file for the results (default docs/benchmarks.md); each run "
                         "rewrites only its own section. An existing file that is not a benchmarks "
                         "document is refused, never overwritten")
    be.add_argument("--quick", action="store_true", help="fewer repetitions (smoke run)")
    be.set_defaults(func=cmd_bench)
    return p


def _prog(module: str) -> str:
    """How the program was started, for its usage lines: the console script's name ("ask-tong",
    pyproject.toml) when run as one, else *module* ("python -m qa")."""
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    return name if name and not name.endswith(".py") and name != "-c" else module


def with_command(argv: Sequence[str]) -> list[str]:
    """*argv* with ``ask`` in front when it names no command: ``ask-tong "腾讯会做ERP吗?"``,
    ``ask-tong --json …`` and a bare ``ask-tong`` ask, as a user would expect; ``-h`` stays the
    overview of the commands."""
    argv = list(argv)
    if argv and (argv[0] in COMMANDS or argv[0] in ("-h", "--help")):
        return argv
    return ["ask", *argv]


COMMANDS = ("ask", "pairs", "build", "eval", "calibrate", "bench")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(with_command(sys.argv[1:] if argv is None else argv))
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except QAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, like other tools
        # Python flushes stdout again at exit; point it at /dev/null so that flush cannot fail
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        if args.verbose:
            raise
        print(f"error: {type(exc).__name__}: {exc} (run with -v for details)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
