"""Confidence and abstention: retrieval signals → a probability that the top answer is right.

In: the per-pair dense and lexical scores of one query and the fused order. Out: :class:`Features`
(best dense cosine, its margin over the runner-up and over the mean, BM25 of the top pair, the
share of the query's content words found in the top pair and in the whole interview, whether both
signals agree on the top pair, the top pair's sparse latent-term score, whether the question asks
for a figure or a name that the evidence does not give: :mod:`qa.answertype`, how much nearer it
lies to known unanswerable questions than to answerable ones: :mod:`qa.exemplars`) and, through a
:class:`Calibration` (a logistic model plus fusion settings fitted on the *dev* split of the labelled
questions by ``python -m qa calibrate``), a confidence in [0, 1] and a threshold below which the
engine abstains. The logistic model is fitted on "in scope or not"; a Platt map folded into it
(:func:`fit_platt`, :meth:`Calibration.rescaled`) makes the number the chance that the top answer
is right, which :func:`reliability` measures. Calibrations are stored per model fingerprint in ``qa/data/calibration.json``; a
model without one gets :data:`FALLBACK`, a conservative hand-set rule.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from qa.config import DATA_DIR

log = logging.getLogger(__name__)

CALIBRATION_FILE = DATA_DIR / "calibration.json"
FEATURES = ("dense_top", "dense_margin", "dense_spread", "lexical_top", "coverage", "agree",
            "unseen", "sparse_top", "factoid", "exemplar")


@dataclass(frozen=True)
class Features:
    dense_top: float  # cosine of the top pair's best passage
    dense_margin: float  # best pair cosine minus the runner-up's
    dense_spread: float  # best pair cosine minus the mean over all pairs
    lexical_top: float  # BM25 of the top pair
    coverage: float  # IDF-weighted share of the query's content words found in the top pair
    agree: float  # 1 when dense and lexical rank the same pair first
    unseen: float  # IDF-weighted share of the query's content words the interview never uses
    sparse_top: float = 0.0  # latent-term score of the top pair (0 without a sparse head)
    factoid: float = 0.0  # 1: asks who or how-to, or for a figure the evidence lacks
    exemplar: float = 0.0  # nearer unanswerable minus nearer answerable exemplars (qa.exemplars)

    @classmethod
    def compute(cls, dense: np.ndarray, lexical: np.ndarray, order: np.ndarray,
                query_tokens: Sequence[str], top_vocab: frozenset[str],
                idf: Callable[[str], float], vocab: frozenset[str],
                neutral: frozenset[str] = frozenset(),
                sparse: np.ndarray | None = None, factoid: float = 0.0,
                exemplar: float = 0.0) -> Features:
        """*neutral*: the interviewee's name: it counts as seen for ``unseen`` and is left out of
        ``coverage``. *factoid*: :func:`qa.answertype.factoid` of the question and the top pair's
        evidence passage."""
        ds = np.sort(dense)[::-1]
        top = int(order[0])
        unique = set(query_tokens)
        total = sum(idf(t) for t in unique)
        specific = unique - neutral
        total_specific = sum(idf(t) for t in specific)
        coverage = (sum(idf(t) for t in specific & top_vocab) / total_specific
                    if total_specific > 0 else 0.0)
        unseen = sum(idf(t) for t in unique - vocab - neutral) / total if total > 0 else 1.0
        agree = float(int(np.argmax(dense)) == int(np.argmax(lexical)) and lexical.max() > 0)
        return cls(
            dense_top=float(dense[top]),
            dense_margin=float(ds[0] - ds[1]) if len(ds) > 1 else 0.0,
            dense_spread=float(ds[0] - ds.mean()),
            lexical_top=float(lexical[top]),
            coverage=float(coverage),
            agree=agree,
            unseen=float(unseen),
            sparse_top=float(sparse[top]) if sparse is not None else 0.0,
            factoid=float(factoid),
            exemplar=float(exemplar),
        )

    def vector(self) -> list[float]:
        return [getattr(self, n) for n in FEATURES]


@dataclass(frozen=True)
class Calibration:
    """Fusion settings and a logistic confidence model."""

    fusion: str = "rrf"  # "rrf", "weighted" or "learned"
    w_dense: float = 1.0
    w_lexical: float = 1.0
    rrf_k: float = 60.0
    bias: float = -20.0
    coef: dict[str, float] = field(default_factory=lambda: {
        "dense_top": 22.0, "dense_margin": 20.0, "dense_spread": 0.0, "lexical_top": 0.0,
        "coverage": 3.0, "agree": 1.0, "unseen": -2.0})
    threshold: float = 0.5
    fitted_on: str = "hand-set fallback"
    ltr_coef: dict[str, float] = field(default_factory=dict)  # for fusion == "learned"
    # The labelled questions behind the ``exemplar`` feature, the interview they are about, and
    # the confidence model refitted without that feature, used wherever they are unavailable.
    exemplars_in: tuple[str, ...] = ()
    exemplars_out: tuple[str, ...] = ()
    interview: str = ""  # Interview.fingerprint() of the interview the exemplars describe
    generic: dict = field(default_factory=dict)  # {"coef", "bias", "threshold"}
    # The Platt map {"a", "b"} already folded into coef, bias and threshold (:meth:`rescaled`):
    # it turns "the interview covers this question" into "the top answer is right".
    scaled: dict = field(default_factory=dict)

    def __post_init__(self) -> None:  # JSON gives lists
        object.__setattr__(self, "exemplars_in", tuple(self.exemplars_in))
        object.__setattr__(self, "exemplars_out", tuple(self.exemplars_out))

    @property
    def exemplar_texts(self) -> tuple[str, ...]:
        """Answerable exemplars first, then the unanswerable ones."""
        return self.exemplars_in + self.exemplars_out

    def without_exemplars(self) -> Calibration:
        """This calibration's confidence model without the ``exemplar`` feature (itself when it
        has none): for another interview, or an index built without the exemplars."""
        if not self.coef.get("exemplar"):
            return self
        if not self.generic:
            log.warning("calibration %r has an exemplar weight but no generic model; dropping "
                        "the weight (re-run `python -m qa calibrate`)", self.fitted_on)
            return replace(self, coef={k: v for k, v in self.coef.items() if k != "exemplar"},
                           exemplars_in=(), exemplars_out=())
        return replace(self, coef=dict(self.generic["coef"]), bias=self.generic["bias"],
                       threshold=self.generic["threshold"], exemplars_in=(), exemplars_out=(),
                       generic={}, scaled=dict(self.generic.get("scaled", {})))

    def score(self, f: Features) -> float:
        """The confidence model's log-odds for *f* (may be non-finite for a broken signal)."""
        return self.bias + sum(self.coef.get(n, 0.0) * v for n, v in zip(FEATURES, f.vector(),
                                                                         strict=True))

    def confidence(self, f: Features, mode: str = "hybrid") -> float:
        z = self.score(f)
        if not math.isfinite(z):
            return 0.0  # a broken signal must never look like certainty
        return _sigmoid(z)

    def rescaled(self, a: float, b: float, generic: tuple[float, float] | None = None
                 ) -> Calibration:
        """This calibration with the Platt map ``sigmoid(a * z + b)`` folded into its log-odds
        ``z`` (and *generic*'s into the generic model's): the same ranking and the same answers
        (the threshold moves with the map; *a* must be positive), a different number."""
        def fold(coef: dict, bias: float, threshold: float, ab: tuple[float, float]) -> dict:
            a, b = ab
            if not (a > 0 and math.isfinite(a) and math.isfinite(b)):
                raise ValueError(f"a Platt map must increase (a > 0), got a={a}, b={b}")
            return {"coef": {k: a * v for k, v in coef.items()}, "bias": a * bias + b,
                    "threshold": _sigmoid(a * _logit(threshold) + b)}

        out = replace(self, **fold(self.coef, self.bias, self.threshold, (a, b)),
                      scaled={"a": a, "b": b})
        if self.generic and generic is not None:
            g = self.generic
            out = replace(out, generic={**fold(g["coef"], g["bias"], g["threshold"], generic),
                                        "scaled": {"a": generic[0], "b": generic[1]}})
        return out

    def to_dict(self) -> dict:
        return asdict(self)


FALLBACK = Calibration()
SHOWN_MAX = 0.99  # an estimate is never certain: no "100%", no "confidence 1.00"


def shown(confidence: float) -> float:
    """*confidence* as it is shown to a person (at most :data:`SHOWN_MAX`)."""
    return min(confidence, SHOWN_MAX)


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def _logit(p: float) -> float:
    p = min(max(p, 1e-12), 1.0 - 1e-12)
    return math.log(p / (1.0 - p))


def fit_platt(z: Sequence[float], right: Sequence[bool]) -> tuple[float, float] | None:
    """Platt scaling: *a*, *b* such that ``sigmoid(a * z + b)`` is the chance that an answer
    with log-odds *z* is right, fitted (scikit-learn, almost no regularisation) on held-out
    answers; None when that cannot be fitted or would not increase with *z*."""
    from sklearn.linear_model import LogisticRegression

    z = np.asarray(z, dtype=np.float64)
    y = np.asarray(right, dtype=int)
    keep = np.isfinite(z)
    z, y = z[keep], y[keep]
    if len(set(y.tolist())) < 2:
        return None
    clf = LogisticRegression(C=1e4, max_iter=1000).fit(z[:, None], y)
    a, b = float(clf.coef_[0, 0]), float(clf.intercept_[0])
    return (a, b) if a > 0 else None


def reliability(confidence: Sequence[float], right: Sequence[bool], bins: int = 10
                ) -> tuple[list[tuple[float, float, int, float, float]], float]:
    """How well *confidence* matches how often the answer is *right*: per equal-width bin
    ``(low, high, count, mean confidence, share right)`` for the non-empty bins, and the
    expected calibration error (the count-weighted mean gap between the two)."""
    c = np.asarray(confidence, dtype=np.float64)
    y = np.asarray(right, dtype=np.float64)
    keep = np.isfinite(c)  # a broken confidence belongs to no bin and to no count
    c, y = c[keep], y[keep]
    if not len(c):
        return [], 0.0
    which = np.minimum((c * bins).astype(int), bins - 1)
    rows, ece = [], 0.0
    for k in range(bins):
        m = which == k
        if m.any():
            rows.append((k / bins, (k + 1) / bins, int(m.sum()), float(c[m].mean()),
                         float(y[m].mean())))
            ece += m.sum() / len(c) * abs(c[m].mean() - y[m].mean())
    return rows, float(ece)


def load_calibration(model_fingerprint: str, path: Path = CALIBRATION_FILE) -> Calibration:
    """The calibration fitted for *model_fingerprint* (``qa.engine.calibration_key``: the
    weights, plus the sparse head's), or :data:`FALLBACK` with a log line."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entry = data[model_fingerprint]
        return Calibration(**entry)
    except FileNotFoundError:
        pass
    except (KeyError, TypeError, ValueError):
        log.info("no calibration for model %s; using the hand-set fallback", model_fingerprint[:12])
    return FALLBACK


def save_calibration(model_fingerprint: str, calibration: Calibration,
                     path: Path = CALIBRATION_FILE) -> None:
    data = {}
    if path.exists():
        data = json.loads(path.read_text(encoding="utf-8"))
    data[model_fingerprint] = calibration.to_dict()
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
