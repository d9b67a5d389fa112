"""Calibration: choose the fusion and fit the abstention rule on the *dev* split only.

In: an engine and the labelled questions. Out: a :class:`~qa.confidence.Calibration` saved under the
model's fingerprint in ``qa/data/calibration.json`` and a printable summary.

1. Fusion: every candidate (RRF with several ``k`` and weights, weighted sums of min-max normalised
   scores) is scored by MRR, then Recall@1, on the dev in-scope questions; the best one is kept.
2. Confidence: a logistic regression (scikit-learn, L2 with C=0.1, balanced classes) of "the
   interview covers this question" on :data:`~qa.confidence.FEATURES`, fitted on dev in-scope vs.
   dev out-of-scope.
3. Threshold: the :data:`DECLINE_QUANTILE` quantile of the dev in-scope confidences, i.e. the rule
   is "decline at most ~3% of answerable questions", and out-of-scope questions are declined as far
   as the features allow. Chosen by 4-fold cross-validation on dev (5 repeats): in-scope declined
   4.6%, out-of-scope declined 79%; the alternative, minimising 2 × in-scope declined + out-of-scope
   answered, declined 7.2% of in-scope questions for 74% of out-of-scope ones.
The *test* split is never looked at here; ``python -m qa eval --split test`` measures it afterwards.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import numpy as np

from qa.confidence import FEATURES, Calibration, save_calibration
from qa.evaluate import DEFAULT_QUESTIONS, load_questions, metrics
from qa.evaluate import evaluate as run_eval

C = 0.1
DECLINE_QUANTILE = 0.03

FUSIONS: list[dict] = (
    [{"fusion": "rrf", "rrf_k": k, "w_dense": 1.0, "w_lexical": w}
     for k, w in itertools.product((2.0, 5.0, 10.0, 30.0, 60.0), (0.5, 1.0, 1.5, 2.0, 3.0))]
    + [{"fusion": "weighted", "w_dense": 1.0 - w, "w_lexical": w}
       for w in (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0)]
)


def choose_fusion(engine, items) -> tuple[dict, dict]:
    """The fusion settings with the best (MRR, Recall@1) on *items*, and its metrics."""
    base = engine.calibration
    best: tuple[tuple[float, float], dict, dict] | None = None
    for cand in FUSIONS:
        engine.calibration = replace(base, **cand)
        m = run_eval(engine, items).metrics
        key = (round(m["mrr"], 6), round(m["recall@1"], 6))
        if best is None or key > best[0]:
            best = (key, cand, m)
    engine.calibration = base
    assert best is not None
    return best[1], best[2]


def fit_confidence(engine, items, calibration: Calibration) -> Calibration:
    from sklearn.linear_model import LogisticRegression

    engine.calibration = calibration
    answers = engine.ask_many([i.question for i in items])
    X = np.array([a.features.vector() for a in answers])
    y = np.array([1 if i.expected else 0 for i in items])
    mu, sd = X.mean(axis=0), X.std(axis=0) + 1e-9
    clf = LogisticRegression(C=C, class_weight="balanced", max_iter=1000)
    clf.fit((X - mu) / sd, y)
    # fold the standardisation into the coefficients
    coef = clf.coef_[0] / sd
    bias = float(clf.intercept_[0] - np.sum(clf.coef_[0] * mu / sd))
    cal = replace(calibration, coef={n: float(c) for n, c in zip(FEATURES, coef, strict=True)},
                  bias=bias)
    conf = np.array([cal.confidence(a.features) for a in answers])
    cal = replace(cal, threshold=_threshold(conf, y))
    return cal


def _threshold(conf: np.ndarray, y: np.ndarray) -> float:
    """Decline at most :data:`DECLINE_QUANTILE` of the answerable (y == 1) questions."""
    return float(np.quantile(conf[y == 1], DECLINE_QUANTILE))


def calibrate(engine, path: str | Path | None = None, write: bool = True) -> str:
    items = load_questions(path or DEFAULT_QUESTIONS, split="dev")
    inscope = [i for i in items if i.expected]
    fusion, fm = choose_fusion(engine, inscope)
    cal = replace(engine.calibration, **fusion)
    cal = fit_confidence(engine, items, cal)
    cal = replace(cal, fitted_on=f"dev split of {Path(path or DEFAULT_QUESTIONS).name} "
                  f"({len(inscope)} in-scope, {len(items) - len(inscope)} out-of-scope)")
    engine.calibration = cal
    m = metrics(run_eval(engine, items).outcomes)
    if write:
        save_calibration(engine.encoder.fingerprint, cal)
    coef = ", ".join(f"{k}={v:+.2f}" for k, v in cal.coef.items())
    return (
        f"fusion: {fusion} → dev MRR {fm['mrr']:.3f}, Recall@1 {fm['recall@1']:.3f}\n"
        f"confidence: bias={cal.bias:+.2f}, {coef}; threshold {cal.threshold:.3f}\n"
        f"dev: out-of-scope declined {m['oos_declined']}/{m['n_oos']}, "
        f"in-scope declined {m['inscope_declined']}/{m['n_inscope']}\n"
        + ("saved to qa/data/calibration.json" if write else "(dry run: not saved)")
    )
