"""Command line: ``python -m qa {ask,pairs,build,eval,calibrate,bench}``.

A thin layer over :mod:`qa.engine`: it parses arguments, prints, and turns the project's errors into
one line on stderr with exit code 1 (2 for usage errors such as an empty question). Heavy libraries
load only when a command needs the model.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import textwrap
from collections.abc import Sequence

from qa import config
from qa.errors import QAError

MODES = ("hybrid", "dense", "lexical", "sparse")  # qa.engine.MODES, without importing numpy


def _engine(args: argparse.Namespace, rebuild: bool = False):
    from qa.engine import Engine

    quiet = getattr(args, "json", False)

    def say(msg: str) -> None:
        if not quiet:
            print(f"· {msg}", file=sys.stderr)

    return Engine.create(model=args.model, interview=args.interview, rebuild=rebuild,
                         progress=say)


def _fill(text: str, width: int = 88, indent: str = "    ") -> str:
    """Wrap for a terminal; Han characters are double width, so Chinese wraps at half the count."""
    wide = sum(1 for ch in text if "\u3000" <= ch <= "\u9fff") > len(text) / 3
    return textwrap.fill(text, width // 2 if wide else width, initial_indent=indent,
                         subsequent_indent=indent)


def _print_answer(ans: dict) -> None:
    print(f"Q: {ans['question']}")
    if ans.get("notice"):
        print(f"   (note: {ans['notice']})")
    if not ans["hits"]:
        print("   No answer: the question is empty.")
        return
    top = ans["hits"][0]
    if ans["answered"]:
        print(f"   confidence {ans['confidence']:.2f} · [{top['pair_id']}] {top['section']}")
    else:
        print(f"   The interview does not seem to cover this (confidence {ans['confidence']:.2f}).")
        if ans.get("reason"):
            print(f"   {ans['reason']}")
        print("   Nearest exchange:")
    print(f"\n  Interviewer: {top['question']}\n")
    print("  湯道生:")
    for para in top["answer"].split("\n\n"):
        print(_fill(para))
        print()
    if ans.get("language") == "en" and top.get("answer_en"):
        print("  English edition (translation):")
        for para in top["answer_en"].split("\n\n"):
            print(_fill(para))
            print()
    if len(ans["hits"]) > 1:
        print("  Runners-up:")
        for h in ans["hits"][1:]:
            q = h["question"].replace("\n", " ")
            print(f"   {h['rank']}. [{h['pair_id']}] score {h['score']:.4f}  {q[:60]}")
    print()


def cmd_ask(args: argparse.Namespace) -> int:
    from qa.engine import clean_question

    if args.question:
        questions = [" ".join(args.question)]
    elif sys.stdin is None or sys.stdin.isatty():
        print("error: give a QUESTION or pipe questions on standard input, one per line",
              file=sys.stderr)
        return 2
    else:
        questions = [line.rstrip("\n") for line in sys.stdin if line.strip()]
    if not any(clean_question(q)[0] for q in questions):
        print("error: the question is empty; ask something about the interview", file=sys.stderr)
        return 2
    engine = _engine(args)
    for ans in engine.ask_many(questions, top_k=args.top_k, mode=args.mode):
        d = ans.to_dict()
        if args.json:
            print(json.dumps(d, ensure_ascii=False), flush=True)
        else:
            _print_answer(d)
    return 0


def cmd_pairs(args: argparse.Namespace) -> int:
    from qa.parsing import load_interview

    interview = load_interview(config.interview_path(args.interview))
    for p in interview.pairs:
        if args.json:
            print(json.dumps(p.to_dict(), ensure_ascii=False))
        else:
            print(f"[{p.id}] {p.section}\n  {p.asker}: {p.question}\n  湯道生: "
                  f"{p.answer_paragraphs[0][:70]}… ({len(p.answer_paragraphs)} paragraphs)\n")
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
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from qa.evaluate import DEFAULT_QUESTIONS, evaluate, format_table, load_questions

    items = load_questions(args.file or DEFAULT_QUESTIONS, split=args.split)
    engine = _engine(args)
    result = evaluate(engine, items, mode=args.mode, split=args.split)
    print(format_table(result))
    if args.misses:
        for o in result.misses:
            got = ", ".join(h.pair.id for h in o.answer.hits[:3])
            print(f"  miss {o.item.id} [{o.item.lang}] expected {o.item.expected} got {got}: "
                  f"{o.item.question}")
    if args.report:
        from qa.report import write_report

        path = write_report(engine, args.report, questions=args.file or DEFAULT_QUESTIONS)
        print(f"report written to {path}")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from qa.calibrate import calibrate

    engine = _engine(args)
    print(calibrate(engine, args.file, write=not args.dry_run))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from qa.bench import main as bench_main

    return bench_main(args)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--model", help=f"sentence-transformers model id or path "
                        f"(default: $QA_MODEL or {config.DEFAULT_MODEL}, bundled)")
    common.add_argument("--interview", help="interview file (.txt article or .json/.jsonl "
                        "records; default: $QA_INTERVIEW or the bundled Yicai interview)")
    common.add_argument("-v", "--verbose", action="store_true", help="log what happens")

    p = argparse.ArgumentParser(prog="python -m qa", description="Ask the 2019 Yicai interview "
                                "with 湯道生 (Tencent CSIG) questions.")
    sub = p.add_subparsers(dest="command", required=True)

    a = sub.add_parser("ask", parents=[common], help="answer questions")
    a.add_argument("question", nargs="*", help="the question (default: read lines from stdin)")
    a.add_argument("--json", action="store_true", help="one JSON object per question")
    a.add_argument("--top-k", type=int, default=5, help="answers to return (default 5)")
    a.add_argument("--mode", choices=MODES, default="hybrid")
    a.set_defaults(func=cmd_ask)

    pr = sub.add_parser("pairs", parents=[common], help="list the parsed question/answer pairs")
    pr.add_argument("--json", action="store_true")
    pr.set_defaults(func=cmd_pairs)

    b = sub.add_parser("build", parents=[common], help="build or check the indexes")
    b.add_argument("--rebuild", action="store_true", help="rebuild even if up to date")
    b.set_defaults(func=cmd_build)

    e = sub.add_parser("eval", parents=[common], help="metrics on a labelled question file")
    e.add_argument("file", nargs="?", help="JSONL of labelled questions "
                   "(default: tests/data/questions.jsonl)")
    e.add_argument("--split", choices=("all", "dev", "test"), default="all")
    e.add_argument("--mode", choices=MODES, default="hybrid")
    e.add_argument("--misses", action="store_true", help="list the questions missed at rank 1")
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
    be.add_argument("--out", default="docs/benchmarks.md", help="where to write the results")
    be.add_argument("--quick", action="store_true", help="fewer repetitions (smoke run)")
    be.set_defaults(func=cmd_bench)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except QAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        if args.verbose:
            raise
        print(f"error: {type(exc).__name__}: {exc} (run with -v for details)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
