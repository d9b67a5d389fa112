"""Evaluation report: ``python -m qa eval --report DIR`` → ``DIR/report.md`` and PNG plots.

In: an engine and the labelled questions. Out: a Markdown report with the metrics per split
(``test`` is the held-out split that calibration never sees), per language and per question kind, the
retrieval modes and fusion settings side by side, the misses with their top 3, and two plots: the
confidence of in-scope vs. out-of-scope questions with the abstention threshold, and the best dense
cosine of both groups (why a plain cosine cut-off cannot separate them), and the reliability of the
confidence (is it the chance that the top answer is right?); the test split with and
without the exemplar feature; and, from ``docs/history.md``, the before/after of every kept change.
"""

from __future__ import annotations

import copy
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

from qa.answertype import asks_for
from qa.config import PACKAGE_DIR
from qa.evaluate import EvalResult, confidence_reliability, evaluate, load_questions
from qa.exemplars import K


def _pct(x: float) -> str:
    return f"{x:.3f}"


def _metrics_row(name: str, r: EvalResult) -> str:
    m = r.metrics
    langs = m["recall@1_by_lang"]
    return (f"| {name} | {m['n_inscope']} | {_pct(m['recall@1'])} | {_pct(m['recall@3'])} | "
            f"{_pct(m['mrr'])} | {_pct(langs.get('zh-Hans', 0))} | {_pct(langs.get('zh-Hant', 0))} "
            f"| {_pct(langs.get('en', 0))} | {m['oos_declined']}/{m['n_oos']} | "
            f"{m['inscope_declined']}/{m['n_inscope']} | {m['answered_right']}/{m['answered']} |")


HISTORY = PACKAGE_DIR.parent / "docs" / "history.md"
_HEADER = ("| run | in-scope | Recall@1 | Recall@3 | MRR | R@1 zh-Hans | R@1 zh-Hant | R@1 en | "
           "out-of-scope declined | in-scope declined | answers that are right |\n"
           "|---|---|---|---|---|---|---|---|---|---|---|")


def _by_kind(r: EvalResult) -> list[str]:
    groups = defaultdict(list)
    for o in r.outcomes:
        if o.item.expected:
            groups[o.item.kind or "?"].append(o.rank == 1)
    return [f"| {k} | {len(v)} | {_pct(sum(v) / len(v))} |" for k, v in sorted(groups.items())]


def _answer_types(results: dict[str, EvalResult], latest: int | None = None) -> list[str]:
    """How often the expected-answer-type flag (``factoid``) fires, and what became of those;
    *latest*: the interview's latest year (``Engine.latest_year``)."""
    lines = ["### Expected answer type (`qa/answertype.py`)", "",
             ("Questions flagged as asking who, how to, about a time after the interview "
              f"(`later`: a year after {latest or 'its latest'}), or for a figure the evidence "
              "lacks, and how many of them were declined:"), "",
             "| split | kind | in-scope flagged (declined) | out-of-scope flagged (declined) |",
             "|---|---|---|---|"]
    for split in ("test", "dev"):
        counts: dict[str, list[int]] = {}
        for o in results[split].outcomes:
            if not (o.answer.features and o.answer.features.factoid):
                continue
            c = counts.setdefault(asks_for(o.item.question, latest) or "?", [0, 0, 0, 0])
            base = 0 if o.item.expected else 2
            c[base] += 1
            c[base + 1] += not o.answer.answered
        for kind, (fi, di, fo, do) in sorted(counts.items()):
            lines.append(f"| {split} | {kind} | {fi} ({di}) | {fo} ({do}) |")
    return [*lines, ""]


def _exemplars(engine, cal, test) -> list[str]:
    """The exemplar feature: what it is fitted on, and the held-out split without it."""
    lines = ["### Exemplars (`qa/exemplars.py`)", ""]
    if not cal.exemplar_texts:
        return lines + ["This calibration has no exemplars.", ""]
    plain = copy.copy(engine)  # never swap state on an engine that may be serving
    plain.exemplars = None  # the generic model, as on an interview without exemplars
    without = evaluate(plain, test, split="test").metrics
    used = ("in use" if engine.exemplars is not None
            else "**not in use** (another interview or index)")
    generic = cal.without_exemplars()
    return lines + [
        (f"`exemplar` compares a question with the calibration's {len(cal.exemplars_in)} "
         f"answerable and {len(cal.exemplars_out)} unanswerable dev questions (mean cosine of "
         f"the {K} nearest of each kind); {used} here. Where they are unavailable, the model fitted "
         f"without the feature answers at confidence ≥ {generic.threshold:.3f}; on the test "
         f"split it declines {without['oos_declined']}/{without['n_oos']} out-of-scope and "
         f"{without['inscope_declined']}/{without['n_inscope']} in-scope questions."),
        "",
    ]


def _history(path: Path = HISTORY) -> list[str]:
    """The hand-kept before/after of every kept change (``docs/history.md``), one heading level
    down; nothing when the file is absent (an installed package without the docs)."""
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8").strip().splitlines()
    body = [("#" + line) if line.startswith("#") else line for line in text]
    body = [line.replace("](eval/report.md)", "](report.md)") for line in body]
    return ["## Before/after of each kept change", "", *body[1:], ""]


def _plots(results: dict[str, EvalResult], threshold: float, out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    r = results["all"]
    groups = {
        "in-scope": [o.answer for o in r.outcomes if o.item.expected],
        "out-of-scope": [o.answer for o in r.outcomes if not o.item.expected],
    }
    names = []
    for fname, title, getter, line in (
        ("confidence.png", "Confidence by group (all labelled questions)",
         lambda a: a.confidence, threshold),
        ("dense_top.png", "Best dense cosine by group: the groups overlap",
         lambda a: a.features.dense_top, None),
    ):
        fig, ax = plt.subplots(figsize=(7, 3.6), dpi=110)
        for (label, answers), colour in zip(groups.items(), ("#2a9d8f", "#e76f51"), strict=True):
            ax.hist([getter(a) for a in answers], bins=30, alpha=0.65, label=f"{label} "
                    f"({len(answers)})", color=colour)
        if line is not None:
            ax.axvline(line, color="black", linestyle="--", label=f"threshold {line:.2f}")
        ax.set_title(title)
        ax.set_ylabel("questions")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / fname)
        plt.close(fig)
        names.append(fname)
    return names


def _calibration(results: dict[str, EvalResult], cal, out: Path) -> list[str]:
    """Does the confidence mean what the UI says, the chance that the top answer is right? The
    held-out split's reliability table and diagram."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    outcomes = results["test"].outcomes
    rows, ece = confidence_reliability(outcomes)
    scaled = cal.scaled
    how = (f"a Platt map (`sigmoid({scaled['a']:.3f}·z {scaled['b']:+.3f})` of the confidence "
           "model's log-odds z), fitted by `python -m qa calibrate` on the cross-validated dev "
           "answers" if scaled else "no rescaling (the raw in-scope probability)")
    lines = ["### Is the confidence the chance of being right?", "",
             ("The UI calls the confidence \"how likely the top answer is right\". The logistic "
              "model estimates whether the interview covers a question; turning that into the "
              f"chance that the top answer is right takes {how}. It changes no answer and no "
              "ranking, only the number and the threshold's value. Held-out test split, all "
              f"{len(outcomes)} questions (an out-of-scope question's top answer is never right); "
              f"expected calibration error **{ece:.3f}**:"), "",
             "| confidence | questions | mean confidence | top answer right |", "|---|---|---|---|"]
    lines += [f"| {lo:.1f}–{hi:.1f} | {n} | {c:.3f} | {r:.3f} |" for lo, hi, n, c, r in rows]
    fig, ax = plt.subplots(figsize=(4.8, 4.2), dpi=110)
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfectly calibrated")
    ax.plot([r[3] for r in rows], [r[4] for r in rows], marker="o", color="#2a9d8f",
            label=f"test split (ECE {ece:.3f})")
    for _, _, n, c, r in rows:
        ax.annotate(str(n), (c, r), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.set_xlabel("confidence shown")
    ax.set_ylabel("share whose top answer is right")
    ax.set_title("Reliability of the confidence")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "reliability.png")
    plt.close(fig)
    return [*lines, "", "![reliability.png](reliability.png)", ""]


def _typos(engine, test) -> list[str]:
    """The held-out split with one slip per in-scope question."""
    from qa.typos import robustness, table

    runs = robustness(engine, test)
    if not runs:
        return []
    lines = ["## Typos (`qa/typos.py`)", "",
             ("Each in-scope test question that contains one of the interview's words gets one "
              "slip on it (`python -m qa eval --typos`): a Chinese one a pinyin slip (a common "
              "character that sounds the same, that the interview never uses and that leaves no "
              "dictionary word: 客户 → 課戶, 服务 → 佛務), an English one a misspelling of a word "
              "of the English edition (two letters swapped or one left out). The engine reads "
              "such a slip as the interview's word and says so; the slips follow the same "
              "definition as the correction, so this measures what it recovers, not how often "
              "real typos look like that."), ""]
    for language, (n, by_run) in runs.items():
        lines += [f"{language} ({n} questions):", "", table(by_run), ""]
    return lines


def write_report(engine, directory: str | Path, questions: str | Path) -> Path:
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    items = {s: load_questions(questions, split=s) for s in ("all", "dev", "test")}
    results = {s: evaluate(engine, items[s], split=s) for s in items}
    cal = engine.effective_calibration

    lines = [
        "# Retrieval and abstention report",
        "",
        (f"Generated {time.strftime('%Y-%m-%d %H:%M')} by `python -m qa eval --report {directory}` "
        f"on `{Path(questions).name}`; model `{engine.encoder.model_id}` "
        f"(fingerprint `{engine.encoder.fingerprint[:12]}`)."),
        "",
        ("The **test** split is held out: fusion weights and the abstention rule are fitted on the "
        f"**dev** split only (`python -m qa calibrate`; calibration: {cal.fitted_on})."),
        "",
        "## Metrics (hybrid, the default)",
        "",
        _HEADER,
        *(_metrics_row(s, results[s]) for s in ("test", "dev", "all")),
        "",
        ("The dev and all rows are partly in-sample: the dev questions trained the fusion and the "
         "confidence model and are the exemplars (`python -m qa calibrate` prints cross-validated "
         "dev figures instead)."),
        "",
        "## Retrieval modes and fusion on the held-out test split",
        "",
        _HEADER,
    ]
    test = items["test"]
    for mode in ("dense", "lexical", "sparse") if engine.has_sparse else ("dense", "lexical"):
        lines.append(_metrics_row(f"{mode} only", evaluate(engine, test, mode=mode, split="test")))
    plain = copy.copy(engine)
    plain.calibration = replace(engine.calibration, fusion="rrf", rrf_k=60.0, w_dense=1.0,
                                w_lexical=1.0)
    lines.append(_metrics_row("hybrid, plain RRF (k=60, equal weights)",
                              evaluate(plain, test, split="test")))
    how = ("learned linear fusion" if cal.fusion == "learned" else
           f"{cal.fusion}, k={cal.rrf_k:g}, w_dense={cal.w_dense:g}, w_lexical={cal.w_lexical:g}")
    lines.append(_metrics_row(f"hybrid, calibrated ({how}) — the default", results["test"]))
    lines += [
        "",
        "## Recall@1 by question kind (test split)",
        "",
        "| kind | questions | Recall@1 |",
        "|---|---|---|",
        *_by_kind(results["test"]),
        "",
        "## Abstention",
        "",
        "Confidence is a logistic model of these features (fitted coefficients):",
        "",
        "| feature | coefficient |",
        "|---|---|",
        *(f"| {k} | {v:+.2f} |" for k, v in cal.coef.items()),
        f"| bias | {cal.bias:+.2f} |",
        "",
        f"The engine answers when confidence ≥ **{cal.threshold:.3f}**.",
        "",
        *_exemplars(engine, engine.calibration, test),
        *_answer_types(results, engine.latest_year),
    ]
    for name in _plots(results, cal.threshold, out):
        lines += [f"![{name}]({name})", ""]
    lines += _calibration(results, cal, out)
    lines += _typos(engine, test)
    lines += ["## Misses", "", ("Questions whose expected pair is not ranked first, in-scope "
              "questions the engine declined, and out-of-scope questions it answered anyway, with "
              "the top 3."), ""]
    for split in ("test", "dev"):
        r = results[split]
        lines += [f"### {split}", "", "| id | lang | question | expected | top 3 | answered |",
                  "|---|---|---|---|---|---|"]
        for o in r.outcomes:
            wrong = ((o.item.expected and (o.rank != 1 or not o.answer.answered))
                     or (not o.item.expected and o.answer.answered))
            if not wrong:
                continue
            top3 = ", ".join(f"{h.pair.id} ({h.score:.3f})" for h in o.answer.hits[:3])
            q = o.item.question.replace("|", "\\|")
            lines.append(f"| {o.item.id} | {o.item.lang} | {q} | {o.item.expected or '—'} | "
                         f"{top3} | {o.answer.confidence:.2f} {'yes' if o.answer.answered else 'no'}"
                         " |")
        lines.append("")
    lines += _history()
    lines.append(f"_Report computed in {time.perf_counter() - t0:.1f} s._")
    path = out / "report.md"
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
