"""Calibration: choose the fusion and fit the abstention rule on the *dev* split only.

In: an engine and the labelled questions. Out: a :class:`~qa.confidence.Calibration` saved under the
model's fingerprint (and its sparse head's) in ``qa/data/calibration.json`` and a printable summary.

1. Fusion: two families compete by 4-fold cross-validation on the dev in-scope questions: the best
   of a grid (RRF with several ``k`` and weights, weighted sums of min-max normalised scores; picked
   by MRR then Recall@1 on the training folds) and a learned linear fusion (logistic regression of
   "this pair is the answer" on :data:`~qa.fusion.PAIR_FEATURES`, which include the sparse
   latent-term score when the model has one; L2 strength :data:`LTR_C`). The winner is refitted on
   all of dev. Measured on the 353 in-scope dev questions (cross-validated Recall@1): grid 0.835;
   learned 0.867.
2. Confidence: a logistic regression (scikit-learn, L2 with C=:data:`C`, balanced classes) of "the
   interview covers this question" on :data:`~qa.confidence.FEATURES`, fitted on dev in-scope vs.
   dev out-of-scope. The ``exemplar`` feature (:mod:`qa.exemplars`) scores each dev question
   against the *other* dev questions; the dev questions are then stored with the calibration as
   the exemplars for new questions, beside a ``generic`` model fitted without that feature.
3. Threshold: a quantile of the dev in-scope confidences, i.e. the rule is "decline at most that
   share of answerable questions", and out-of-scope questions are declined as far as the features
   allow. The quantile is chosen among :data:`QUANTILES` by the cross-validation below: the one
   with the largest worst-case margin to both limits (≤ 4% of in-scope declined, ≥ 90% of
   out-of-scope declined), i.e. the smallest violation when none meets both. The generic model
   (no exemplars) gets its own quantile, chosen the same way by a cross-validation without
   exemplars. The printed cross-validated figures are those of the chosen quantile, so they are
   slightly optimistic.
4. Meaning: the logistic model says whether a question is in scope; the number shown is to be
   the chance that the top answer is right. A Platt map of its log-odds is fitted on the
   cross-validation's held-out answers (right: in scope and the expected exchange first) and
   folded into the coefficients and thresholds (:meth:`~qa.confidence.Calibration.rescaled`):
   no decision changes. Held-out test split: calibration error 0.087 → 0.051.
:func:`cross_validate` repeats the first three steps inside 4-fold cross-validation (5 shuffles) so the
printed summary says what to expect on unseen questions (each fold's exemplars are its training
part only); with the current features (522 dev questions, threshold quantile 5%): Recall@1
0.867, in-scope declined 5.6%, out-of-scope declined 88.3%, confidence AUC 0.971 (on the earlier
239-question dev split at a fixed 2% quantile: 2.2%, 91.4%; at 3%: 3.8% and 93.3%, and without
``exemplar``: 4.0%, 79.4%, AUC 0.974; on
the earlier 201-question dev split, the answer-type feature ``factoid`` took the AUC from 0.904 to
0.962).
The *test* split is never looked at here; ``python -m qa eval --split test`` measures it afterwards.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from qa.confidence import FEATURES, Calibration, fit_platt, reliability, save_calibration
from qa.errors import QAError
from qa.evaluate import DEFAULT_QUESTIONS, check_expected, load_questions, metrics
from qa.evaluate import evaluate as run_eval
from qa.exemplars import ExemplarSet
from qa.fusion import PAIR_FEATURES, learned, pair_features, rrf, weighted
from qa.text import tokenize

# The confidence model's L2 strength. Dev split (319 questions), stratified 4-fold cross-validation,
# 10 shuffles (seeds 5-14), AUC and the chosen quantile's in-scope / out-of-scope declined:
# C=0.1 0.985, 4.4% / 90.0%; C=0.3 0.986, 3.9% / 90.2%; C=1 0.986, 4.1% / 90.2%; C=3 0.985,
# 4.4% / 90.1% (seeds 0-4: AUC 0.983 at 0.1, 0.984 at 0.3 and 1).
C = 0.3
# The learned fusion's L2 strength. Dev split, 156 questions, 4-fold x 10 cross-validated Recall@1:
# C=10 0.884, C=1 0.896, C=0.1 0.905, C=0.03 0.907, C=0.003 0.908 (a plateau below 0.1).
LTR_C = 0.03
# Where the threshold sits: a quantile of the dev in-scope confidences, chosen by
# cross-validation among QUANTILES as the one with the largest worst-case margin to the product's
# two limits (TARGET_INSCOPE_DECLINED, TARGET_OOS_DECLINED; :func:`choose_quantile`): furthest
# inside both when some quantile meets both, else the smallest violation. DECLINE_QUANTILE is the
# default where nothing was cross-validated. On the 239-question dev split (in-scope declined /
# out-of-scope declined): 0.01 1.2% / 85.7%, 0.015 1.8% / 88.6%, 0.02 2.2% / 91.4%,
# 0.025 3.1% / 93.0%, 0.03 3.8% / 93.3%.
DECLINE_QUANTILE = 0.02
QUANTILES = (0.01, 0.015, 0.02, 0.025, 0.03, 0.035, 0.04, 0.05)
MIN_PER_CLASS = 8  # dev questions of each kind calibrate needs (4 folds, 2 per fold at least)
TARGET_INSCOPE_DECLINED = 0.04  # at most this share of answerable questions declined
TARGET_OOS_DECLINED = 0.90  # at least this share of out-of-scope questions declined

FUSIONS: list[dict] = (
    [{"fusion": "rrf", "rrf_k": k, "w_dense": 1.0, "w_lexical": w}
     for k, w in itertools.product((2.0, 5.0, 10.0, 30.0, 60.0), (0.5, 1.0, 1.5, 2.0, 3.0))]
    + [{"fusion": "weighted", "w_dense": 1.0 - w, "w_lexical": w}
       for w in (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0)]
)


@dataclass
class Signals:
    """Per dev question: dense, lexical and coverage scores of every pair, and the right pair."""

    dense: np.ndarray
    lexical: np.ndarray
    coverage: np.ndarray
    target: np.ndarray
    sparse: np.ndarray | None = None  # None when the model has no sparse head

    @classmethod
    def collect(cls, engine, items) -> Signals:
        pos = {p.id: k for k, p in enumerate(engine.interview.pairs)}
        questions = [i.question for i in items]
        vecs, svecs = engine.encode_with_sparse(questions)
        d, lx, c, sp = [], [], [], []
        for n, (v, item) in enumerate(zip(vecs, items, strict=True)):
            tokens = tokenize(item.question)
            d.append(engine._dense(v[None, :])[0])
            lx.append(engine._lexical(tokens))
            c.append(engine.coverage(tokens))
            if svecs is not None:
                sp.append(engine._sparse(svecs[n]))
        return cls(np.array(d), np.array(lx), np.array(c),
                   np.array([pos[i.expected] for i in items]),
                   np.array(sp) if svecs is not None else None)

    def features(self, k: int) -> np.ndarray:
        """:func:`~qa.fusion.pair_features` of question *k*."""
        return pair_features(self.dense[k], self.lexical[k], self.coverage[k],
                             None if self.sparse is None else self.sparse[k])


def _score(cand: dict, s: Signals, k: int) -> np.ndarray:
    if cand["fusion"] == "learned":
        return learned(s.features(k), cand["ltr_coef"])
    sig = {"dense": s.dense[k], "lexical": s.lexical[k]}
    w = {"dense": cand["w_dense"], "lexical": cand["w_lexical"]}
    return rrf(sig, w, k=cand["rrf_k"]) if cand["fusion"] == "rrf" else weighted(sig, w)


def _mrr_r1(cand: dict, s: Signals, idx) -> tuple[float, float]:
    rr = []
    for k in idx:
        order = np.argsort(-_score(cand, s, k), kind="stable")
        rr.append(1.0 / (int(np.flatnonzero(order == s.target[k])[0]) + 1))
    return float(np.mean(rr)), float(np.mean([r == 1.0 for r in rr]))


def _best_grid(s: Signals, idx) -> dict:
    return max(FUSIONS, key=lambda c: _mrr_r1(c, s, idx))


def _fit_learned(s: Signals, idx) -> dict:
    from sklearn.linear_model import LogisticRegression

    X = np.concatenate([s.features(k) for k in idx])
    y = np.concatenate([(np.arange(s.dense.shape[1]) == s.target[k]).astype(int) for k in idx])
    clf = LogisticRegression(C=LTR_C, class_weight="balanced", max_iter=2000).fit(X, y)
    coef = {n: float(w) for n, w in zip(PAIR_FEATURES, clf.coef_[0], strict=True)}
    coef["bias"] = float(clf.intercept_[0])
    return {"fusion": "learned", "ltr_coef": coef}


def choose_fusion(engine, items) -> tuple[dict, str]:
    """Pick grid-searched RRF/weighted or learned fusion by 4-fold cross-validation on *items*
    (5 shuffles), then fit the winner on all of them. Returns the settings and a summary."""
    from sklearn.model_selection import KFold

    s = Signals.collect(engine, items)
    cv: dict[str, list[tuple[float, float]]] = {"grid": [], "learned": []}
    for rep in range(5):
        for train, test in KFold(4, shuffle=True, random_state=rep).split(items):
            cv["grid"].append(_mrr_r1(_best_grid(s, train), s, test))
            cv["learned"].append(_mrr_r1(_fit_learned(s, train), s, test))
    means = {k: np.mean(v, axis=0) for k, v in cv.items()}
    winner = max(means, key=lambda k: tuple(means[k]))
    everything = range(len(items))
    chosen = _fit_learned(s, everything) if winner == "learned" else _best_grid(s, everything)
    summary = "; ".join(f"{k}: cross-validated MRR {m[0]:.3f}, Recall@1 {m[1]:.3f}"
                        for k, m in means.items())
    return chosen, f"{summary} → {winner}"


def exemplar_set(engine, items) -> ExemplarSet:
    """*items* (labelled questions) as exemplars: embedded as queries, answerable or not."""
    texts = tuple(i.question for i in items)
    vectors = np.asarray(engine.encode_queries(texts), dtype=np.float32)
    return ExemplarSet(texts, np.array([bool(i.expected) for i in items]), vectors,
                       skip_same_text=True)


def _fit_logistic(X: np.ndarray, y: np.ndarray, names, quantile: float
                  ) -> tuple[dict, np.ndarray]:
    """Standardised, L2-regularised logistic regression with the scaling folded back into the
    coefficients, and the threshold (:func:`_threshold`) of its in-sample confidences; also
    returns those confidences."""
    from sklearn.linear_model import LogisticRegression

    mu, sd = X.mean(axis=0), X.std(axis=0) + 1e-9
    clf = LogisticRegression(C=C, class_weight="balanced", max_iter=1000)
    clf.fit((X - mu) / sd, y)
    coef = clf.coef_[0] / sd
    bias = float(clf.intercept_[0] - np.sum(clf.coef_[0] * mu / sd))
    conf = 1.0 / (1.0 + np.exp(-np.clip(X @ coef + bias, -50, 50)))
    return ({"coef": {n: float(c) for n, c in zip(names, coef, strict=True)}, "bias": bias,
             "threshold": _threshold(conf, y, quantile)}, conf)


def fit_confidence(engine, items, calibration: Calibration,
                   exemplars: ExemplarSet | None = None,
                   quantile: float = DECLINE_QUANTILE,
                   generic_quantile: float | None = None) -> Calibration:
    """Fit the confidence model on *items*. With *exemplars* (normally *items* themselves, each
    scored against the others), two models: one with the ``exemplar`` feature, and the ``generic``
    one without it for where the exemplars are unavailable, its threshold at *generic_quantile*
    (default: *quantile*)."""
    return _fit(engine, items, calibration, exemplars, quantile, generic_quantile)[0]


def _fit(engine, items, calibration: Calibration, exemplars: ExemplarSet | None,
         quantile: float, generic_quantile: float | None = None
         ) -> tuple[Calibration, np.ndarray]:
    """:func:`fit_confidence`, plus the in-sample confidences of the answerable items."""
    engine.calibration = calibration
    engine.exemplars = exemplars
    answers = engine.ask_many([i.question for i in items])
    X = np.array([a.features.vector() for a in answers])
    y = np.array([1 if i.expected else 0 for i in items])
    names = [n for n in FEATURES if n != "exemplar"]
    generic, conf = _fit_logistic(X[:, [FEATURES.index(n) for n in names]], y, names,
                                  quantile if exemplars is None or generic_quantile is None
                                  else generic_quantile)
    if exemplars is None:
        return replace(calibration, **generic, generic={}, exemplars_in=(), exemplars_out=(),
                       interview=""), conf[y == 1]
    full, conf = _fit_logistic(X, y, FEATURES, quantile)
    return replace(
        calibration, **full, generic=generic,
        exemplars_in=tuple(t for t, a in zip(exemplars.texts, exemplars.answerable) if a),
        exemplars_out=tuple(t for t, a in zip(exemplars.texts, exemplars.answerable) if not a),
        interview=engine.interview.fingerprint()), conf[y == 1]


def _threshold(conf: np.ndarray, y: np.ndarray, quantile: float = DECLINE_QUANTILE) -> float:
    """Decline at most *quantile* of the answerable (y == 1) questions."""
    return float(np.quantile(conf[y == 1], quantile))


def quantile_margin(inscope: float, oos: float) -> float:
    """How far (in rate) a cross-validated (in-scope declined, out-of-scope declined) lies inside
    both limits; negative when it violates one."""
    return min(TARGET_INSCOPE_DECLINED - inscope, oos - TARGET_OOS_DECLINED)


def choose_quantile(by_quantile: dict[float, tuple[float, float]]) -> float:
    """The quantile with the largest worst-case margin (:func:`quantile_margin`, to 0.1 point);
    on a tie, fewer in-scope questions declined. Non-finite entries are ignored; with none left,
    :data:`DECLINE_QUANTILE`."""
    finite = {q: r for q, r in by_quantile.items() if all(np.isfinite(r))}
    if not finite:
        return DECLINE_QUANTILE

    def key(q: float) -> tuple[float, float]:
        inscope, oos = finite[q]
        return (round(quantile_margin(inscope, oos), 3), -inscope)

    return max(sorted(finite), key=key)


def cross_validate(engine, items, family: str, reps: int = 5, use_exemplars: bool = True
                   ) -> dict[str, float]:
    """Estimate what the fitted rule does on unseen questions: stratified 4-fold cross-validation
    on *items* (the dev split), repeated *reps* times, refitting the fusion (of *family*: "learned"
    or "grid"), the confidence model and the threshold on each training part."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    y = np.array([1 if i.expected else 0 for i in items])
    saved, saved_exemplars = engine.calibration, engine.exemplars
    every = exemplar_set(engine, items) if use_exemplars else None
    top1, aucs, logodds, right = [], [], [], []
    declined: dict[float, tuple[list, list]] = {q: ([], []) for q in QUANTILES}
    try:
        for rep in range(reps):
            folds = StratifiedKFold(4, shuffle=True, random_state=rep).split(items, y)
            conf, truth = [], []
            for train, held in folds:
                part = [items[k] for k in train]
                answerable = [i for i in part if i.expected]
                s = Signals.collect(engine, answerable)
                everything = range(len(answerable))
                fusion = _fit_learned(s, everything) if family == "learned" else _best_grid(
                    s, everything)
                ex = every.subset([i.question for i in part]) if every is not None else None
                cal, train_conf = _fit(engine, part, replace(saved, **fusion), ex,
                                       DECLINE_QUANTILE)
                engine.calibration = cal
                thresholds = {q: float(np.quantile(train_conf, q)) for q in QUANTILES}
                rest = [items[k] for k in held]
                for item, a in zip(rest, engine.ask_many([i.question for i in rest]), strict=True):
                    conf.append(a.confidence)
                    truth.append(1 if item.expected else 0)
                    hit = bool(item.expected) and a.hits[0].pair.id == item.expected
                    if item.expected:
                        top1.append(hit)
                    logodds.append(cal.score(a.features))
                    right.append(hit)
                    for q, th in thresholds.items():
                        declined[q][0 if item.expected else 1].append(a.confidence < th)
            if 0 < sum(truth) < len(truth):
                aucs.append(roc_auc_score(truth, conf))
    finally:
        engine.calibration, engine.exemplars = saved, saved_exemplars
    nan = float("nan")
    by_quantile = {q: (float(np.mean(i)), float(np.mean(o)) if o else nan)
                   for q, (i, o) in declined.items()}
    quantile = choose_quantile(by_quantile)
    return {"recall@1": float(np.mean(top1)), "inscope_declined": by_quantile[quantile][0],
            "oos_declined": by_quantile[quantile][1], "quantile": quantile,
            "by_quantile": by_quantile, "auc": float(np.mean(aucs)) if aucs else nan,
            "logodds": np.array(logodds), "right": np.array(right, dtype=bool)}


def calibrate(engine, path: str | Path | None = None, write: bool = True) -> str:
    items = load_questions(path or DEFAULT_QUESTIONS, split="dev")
    check_expected(items, [p.id for p in engine.interview.pairs], engine.interview.source)
    inscope = [i for i in items if i.expected]
    if min(len(inscope), len(items) - len(inscope)) < MIN_PER_CLASS:
        raise QAError(
            f"calibrate cross-validates in 4 folds and needs at least {MIN_PER_CLASS} in-scope and "
            f"{MIN_PER_CLASS} out-of-scope questions in the dev split of "
            f"{path or DEFAULT_QUESTIONS}; it has {len(inscope)} and {len(items) - len(inscope)} "
            "(a record is dev with \"split\": \"dev\"). Add labelled questions, or keep the "
            "shipped calibration.")
    fusion, fusion_summary = choose_fusion(engine, inscope)
    family = "learned" if fusion["fusion"] == "learned" else "grid"
    cv = cross_validate(engine, items, family)
    # the generic model (no exemplars: another interview) gets its own quantile, chosen the same way
    cv_generic = cross_validate(engine, items, family, use_exemplars=False)
    cal = replace(engine.calibration, **fusion, scaled={})  # any earlier map no longer applies
    exemplars = exemplar_set(engine, items)
    cal = fit_confidence(engine, items, cal, exemplars, cv["quantile"], cv_generic["quantile"])
    # the number shown is the chance that the top answer is right, not that the question is in
    # scope: a Platt map fitted on the cross-validation's held-out answers (same answers, same
    # order; only the number and the threshold's value change)
    platt, platt_generic = (fit_platt(c["logodds"], c["right"]) for c in (cv, cv_generic))
    if platt is not None:
        cal = cal.rescaled(*platt, generic=platt_generic)
    # serving from here on: a dev question now finds itself among the exemplars, as it will
    # once the calibration is saved and the index embeds them
    engine.exemplars = replace(exemplars, skip_same_text=False)
    cal = replace(cal, fitted_on=f"dev split of {Path(path or DEFAULT_QUESTIONS).name} "
                  f"({len(inscope)} in-scope, {len(items) - len(inscope)} out-of-scope); "
                  f"threshold at the {cv['quantile']:.1%} quantile")
    engine.calibration = cal
    m = metrics(run_eval(engine, items).outcomes)
    if write:
        save_calibration(engine.calibration_key, cal)
    coef = ", ".join(f"{k}={v:+.2f}" for k, v in cal.coef.items())
    return (
        f"fusion: {fusion_summary}\n  settings: {fusion}\n"
        f"confidence: bias={cal.bias:+.2f}, {coef}; threshold {cal.threshold:.3f}\n"
        f"threshold quantile, cross-validated (in-scope declined / out-of-scope declined): "
        f"{_sweep(cv)}\n"
        f"  without the exemplars (the generic model, threshold "
        f"{cal.generic.get('threshold', cal.threshold):.3f}): {_sweep(cv_generic)}\n"
        f"dev (fitted on it): out-of-scope declined {m['oos_declined']}/{m['n_oos']}, "
        f"in-scope declined {m['inscope_declined']}/{m['n_inscope']}\n"
        f"{_scaling(cv, platt)}\n"
        f"dev, cross-validated (4-fold x 5, everything refitted per fold): "
        f"Recall@1 {cv['recall@1']:.3f}, in-scope declined {cv['inscope_declined']:.1%}, "
        f"out-of-scope declined {cv['oos_declined']:.1%}, confidence AUC in- vs. out-of-scope "
        f"{cv['auc']:.3f}\n"
        + ("saved to qa/data/calibration.json" if write else "(dry run: not saved)")
    )


def _scaling(cv: dict, platt: tuple[float, float] | None) -> str:
    """What the Platt map does to the held-out answers of the cross-validation, as one line."""
    if platt is None:
        return "confidence not rescaled (no increasing Platt map could be fitted)"
    a, b = platt
    z, right = cv["logodds"], cv["right"]
    before, after = (reliability(1 / (1 + np.exp(-np.clip(x, -50, 50))), right)[1]
                     for x in (z, a * z + b))
    return (f"confidence rescaled to the chance the top answer is right (Platt a={a:.3f}, "
            f"b={b:+.3f}): calibration error of the held-out answers {before:.3f} → {after:.3f} "
            f"(the map is fitted on them)")


def _sweep(cv: dict) -> str:
    """The cross-validated quantile sweep and the chosen quantile, as one line."""
    sweep = ", ".join(f"{q:.1%} {i:.1%} / {o:.1%}" for q, (i, o) in cv["by_quantile"].items())
    worst = quantile_margin(cv["inscope_declined"], cv["oos_declined"])
    inside = ("" if worst >= 0 else
              f" (no quantile meets both limits; this one misses by {-worst:.1%})")
    return f"{sweep} → {cv['quantile']:.1%}{inside}"
