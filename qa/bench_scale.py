"""``python -m qa bench --scale``: FAISS exact vs HNSW on synthetic vectors at 10k, 100k and 1M.

In: nothing but sizes (``--quick``: 2k and 10k). Out: a Markdown section (build time, single-query
search latency p50/p95, recall@10 of HNSW against the exact index, memory of the vectors), the
curve ``img/faiss_scale.png`` and the switch-over size: the largest collection whose *exact* search
p50 stays within :data:`LATENCY_BUDGET_MS`, fitted linearly from the measurements (exact search is
linear in n) and rounded down to 1-2-5 steps. ``index.dense.EXACT_MAX`` should hold that number;
``index.dense.build_faiss`` then picks the index by size. HNSW uses ``index.dense``'s own
parameters (M, efConstruction, efSearch), built through ``build_faiss`` itself.

Vectors: unit-norm, 384-d (the model's dimension), clustered like real embeddings (n/1000 random
centres, each vector a centre plus isotropic noise of the same norm, so members of a cluster have
cosine ≈ 0.5); queries are fresh draws from random clusters. Purely random vectors would be the
worst case for HNSW and unlike any text collection.
"""

from __future__ import annotations

import gc
import math
import time
from pathlib import Path

import numpy as np

from qa.bench import Stat, fmt_ms, loadavg, table

DIM = 384
SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (2_000, 10_000)
N_QUERIES = 200
K = 10
LATENCY_BUDGET_MS = 2.0  # exact search may cost this much per query (≈ half the query encoding)
MIN_RECALL = 0.95


def synthetic(n: int, n_queries: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n_centres = max(10, n // 1000)
    centres = rng.standard_normal((n_centres, DIM), dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)

    def draw(m: int) -> np.ndarray:
        out = np.empty((m, DIM), dtype=np.float32)
        for start in range(0, m, 100_000):  # chunks keep the temporaries small
            stop = min(m, start + 100_000)
            x = centres[rng.integers(0, n_centres, stop - start)]
            x += rng.standard_normal((stop - start, DIM), dtype=np.float32) / np.float32(
                math.sqrt(DIM))
            x /= np.linalg.norm(x, axis=1, keepdims=True)
            out[start:stop] = x
        return out

    return draw(n), draw(n_queries)


def _latency(index, queries: np.ndarray) -> Stat:
    for q in queries[:10]:
        index.search(q[None, :], K)
    times = []
    for q in queries:
        t = time.perf_counter()
        index.search(q[None, :], K)
        times.append(time.perf_counter() - t)
    return Stat.of(times)


def measure(n: int) -> dict:
    import faiss

    from index.dense import HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_M, build_faiss

    vectors, queries = synthetic(n, N_QUERIES, seed=n)
    row: dict = {"n": n, "mib": vectors.nbytes / 2**20}
    t = time.perf_counter()
    exact = build_faiss(vectors, exact_max=n)
    row["exact_build"] = time.perf_counter() - t
    row["exact_kind"] = type(exact).__name__
    row["exact"] = _latency(exact, queries)
    _, truth = exact.search(queries, K)
    if n <= 20_000:  # the exact index is exact: check it against brute-force numpy
        brute = np.argsort(-(queries @ vectors.T), axis=1, kind="stable")[:, :K]
        row["exact_matches_numpy"] = bool(np.mean(brute == truth) > 0.999)
    del exact
    gc.collect()
    t = time.perf_counter()
    approx = build_faiss(vectors, exact_max=0)
    row["hnsw_build"] = time.perf_counter() - t
    row["hnsw_kind"] = f"{type(approx).__name__} (M={HNSW_M}, efC={HNSW_EF_CONSTRUCTION}, " \
                       f"efS={HNSW_EF_SEARCH})"
    row["hnsw"] = _latency(approx, queries)
    _, found = approx.search(queries, K)
    row["recall"] = float(np.mean([len(set(a) & set(b)) / K for a, b in zip(truth, found,
                                                                              strict=True)]))
    row["threads"] = faiss.omp_get_max_threads()
    del approx, vectors
    gc.collect()
    return row


def switch_over(rows: list[dict]) -> tuple[int, float]:
    """(recommended EXACT_MAX, fitted µs per vector of exact search)."""
    n = np.array([r["n"] for r in rows], dtype=np.float64)
    ms = np.array([r["exact"].p50 for r in rows], dtype=np.float64)
    slope, icpt = np.polyfit(n, ms, 1) if len(rows) > 1 else (ms[0] / n[0], 0.0)
    slope = max(float(slope), 1e-9)
    n_star = max(1.0, (LATENCY_BUDGET_MS - max(float(icpt), 0.0)) / slope)
    exp = 10 ** math.floor(math.log10(n_star))
    nice = max(m * exp for m in (1, 2, 5) if m * exp <= n_star)
    return int(nice), slope * 1000.0


def plot(rows: list[dict], path: Path, exact_max: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = [r["n"] for r in rows]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4), dpi=110)
    ax1.plot(n, [r["exact"].p50 for r in rows], "o-", label="exact (IndexFlatIP) p50")
    ax1.plot(n, [r["exact"].p95 for r in rows], "o:", color="C0", alpha=0.5, label="exact p95")
    ax1.plot(n, [r["hnsw"].p50 for r in rows], "s-", color="C1", label="HNSW p50")
    ax1.plot(n, [r["hnsw"].p95 for r in rows], "s:", color="C1", alpha=0.5, label="HNSW p95")
    ax1.axhline(LATENCY_BUDGET_MS, color="grey", lw=0.8, ls="--",
                label=f"budget {LATENCY_BUDGET_MS:g} ms")
    ax1.axvline(exact_max, color="C2", lw=0.8, ls="--", label=f"EXACT_MAX = {exact_max:,}")
    for r in rows:
        ax1.annotate(f"recall@10 {r['recall']:.3f}", (r["n"], r["hnsw"].p50),
                     textcoords="offset points", xytext=(-30, 8), fontsize=7, color="C1")
    ax1.set(xscale="log", yscale="log", xlabel="vectors (384-d)", ylabel="ms per query (k=10)",
            title="Single-query search latency")
    ax1.legend(fontsize=7)
    ax2.plot(n, [r["exact_build"] for r in rows], "o-", label="exact")
    ax2.plot(n, [r["hnsw_build"] for r in rows], "s-", label="HNSW")
    ax2.set(xscale="log", yscale="log", xlabel="vectors (384-d)", ylabel="seconds",
            title="Index build time")
    ax2.legend(fontsize=7)
    for ax in (ax1, ax2):
        ax.grid(True, which="both", alpha=0.3)
    fig.suptitle("FAISS on this machine (python -m qa bench --scale)", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.png")
    fig.savefig(tmp)
    plt.close(fig)
    tmp.replace(path)


def run_scale(quick: bool, img_dir: Path, doc_dir: Path) -> tuple[str, bool]:
    sizes = QUICK_SIZES if quick else SIZES
    t0 = time.perf_counter()
    la = loadavg()
    rows = []
    for n in sizes:
        print(f"· FAISS at {n:,} vectors …", flush=True)
        rows.append(measure(n))
    exact_max, us_per_vec = switch_over(rows)
    png = img_dir / "faiss_scale.png"
    plot(rows, png, exact_max)
    ok = all(r.get("exact_matches_numpy", True) for r in rows)
    try:
        rel = png.relative_to(doc_dir)
    except ValueError:
        rel = png
    body = [
        (f"_Command:_ `python -m qa bench --scale{' --quick' if quick else ''}` · _date:_ "
        f"{time.strftime('%Y-%m-%d %H:%M %Z')} · _load average before → after:_ {la} → "
        f"{loadavg()} · FAISS threads {rows[0]['threads']} · _took_ "
        f"{time.perf_counter() - t0:.0f} s"),
        "",
        (f"Synthetic unit vectors, {DIM}-d, clustered (n/1000 centres); {N_QUERIES} held-out "
        f"queries, one at a time, k={K}. Both indexes are made by `index.dense.build_faiss`."),
        "",
        table(["vectors", "float32 data (MiB)", "exact build (s)", "exact p50 / p95 (ms)",
               "HNSW build (s)", "HNSW p50 / p95 (ms)", "HNSW recall@10"], [
            [f"{r['n']:,}", f"{r['mib']:,.0f}", f"{r['exact_build']:.2f}",
             f"{fmt_ms(r['exact'].p50)} / {fmt_ms(r['exact'].p95)}", f"{r['hnsw_build']:.1f}",
             f"{fmt_ms(r['hnsw'].p50)} / {fmt_ms(r['hnsw'].p95)}", f"{r['recall']:.3f}"]
            for r in rows]),
        "",
        (f"HNSW is `{rows[0]['hnsw_kind']}`. The exact index agrees with brute-force numpy "
        f"top-{K}: {'yes' if ok else '**no**'} (checked up to 20k vectors)."),
        "",
        f"![FAISS latency and build time against collection size]({rel.as_posix()})",
        "",
        (f"**Switch-over.** Exact search costs {us_per_vec:.3f} µs per stored vector per query "
        f"here (linear fit). Keeping it under the {LATENCY_BUDGET_MS:g} ms budget (about half of "
        f"a query's encoding time, so search never dominates an answer) allows about "
        f"{exact_max:,} vectors: **`index.dense.EXACT_MAX = {exact_max:_}`**. Above it HNSW "
        "answers in well under a millisecond at recall@10 "
        f"≥ {min(r['recall'] for r in rows):.3f} (target ≥ {MIN_RECALL}), for a one-off build "
        "cost shown above. The interview itself has a few hundred passages, far below either."),
    ]
    if any(r["recall"] < MIN_RECALL for r in rows):
        body.append(f"\n**Warning:** HNSW recall@10 fell below {MIN_RECALL} at some size.")
    return "\n".join(body), ok
