"""``python -m qa bench --load``: concurrent clients against the web app's ``/ask`` API.

Starts ``python -m ui`` on a free port of 127.0.0.1 (our own child process, stopped by its pid at
the end), waits for its first answer, then for each client count in :data:`CLIENTS` runs that many
threads for :data:`DURATION_S` seconds (``--quick``: 1 and 4 clients for 3 s). Each client keeps an
HTTP connection and calls ``/ask`` over Gradio's REST protocol in a loop (POST, then read the event
stream), at most :data:`MAX_CALLS_PER_CLIENT` times. Every question is one of the speed suite's
twenty with a unique suffix (`` #client-call``), so the query cache never helps. A call counts as
an error if it raises, times out, returns an error event, or returns anything but the ``qa.ask``
JSON contract with at least one hit. Out: throughput, p50/p95/p99 latency, errors per level, and
the app's resident memory.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections import Counter

from qa.bench import (
    QUESTIONS,
    AppProcess,
    Stat,
    child_env,
    fmt_ms,
    loadavg,
    parse_event_stream,
    table,
)

CLIENTS = (1, 4, 16)
QUICK_CLIENTS = (1, 4)
DURATION_S = 20.0
QUICK_DURATION_S = 3.0
MAX_CALLS_PER_CLIENT = 5000
CALL_TIMEOUT_S = 60.0
CONTRACT = {"question", "answered", "confidence", "hits"}


def _call(client, base: str, question: str) -> dict:
    """One ``/ask`` call on a keep-alive ``httpx.Client``."""
    r = client.post(f"{base}/gradio_api/call/ask", json={"data": [question, 5]})
    r.raise_for_status()
    event_id = r.json()["event_id"]
    r = client.get(f"{base}/gradio_api/call/ask/{event_id}")
    r.raise_for_status()
    return parse_event_stream(r.text)


def drive(base: str, n_clients: int, duration: float) -> dict:
    import httpx

    latencies: list[float] = []
    errors: Counter[str] = Counter()
    lock = threading.Lock()
    start_gate = threading.Barrier(n_clients + 1)
    deadline: list[float] = [0.0]

    def client(cid: int) -> None:
        with httpx.Client(timeout=CALL_TIMEOUT_S) as http:
            start_gate.wait()
            for i in range(MAX_CALLS_PER_CLIENT):
                if time.perf_counter() >= deadline[0]:
                    break
                q = f"{QUESTIONS[(cid * 7 + i) % len(QUESTIONS)]} #{cid}-{i}"
                t = time.perf_counter()
                try:
                    got = _call(http, base, q)
                    ok = isinstance(got, dict) and CONTRACT <= set(got) and got["hits"] \
                        and got["question"] == q
                    why = None if ok else "not the qa.ask contract"
                except Exception as exc:  # noqa: BLE001 - every failure is counted, none hidden
                    why = type(exc).__name__
                dt = time.perf_counter() - t
                with lock:
                    if why is None:
                        latencies.append(dt)
                    else:
                        errors[why] += 1

    threads = [threading.Thread(target=client, args=(c,), daemon=True) for c in range(n_clients)]
    for th in threads:
        th.start()
    t0 = time.perf_counter()
    deadline[0] = t0 + duration
    start_gate.wait()
    for th in threads:
        th.join(timeout=duration + CALL_TIMEOUT_S + 10)
    elapsed = time.perf_counter() - t0
    return {"clients": n_clients, "ok": len(latencies), "errors": errors, "elapsed": elapsed,
            "stat": Stat.of(latencies)}


def run_load(args: argparse.Namespace) -> tuple[str, bool]:
    quick = bool(args.quick)
    levels = QUICK_CLIENTS if quick else CLIENTS
    duration = QUICK_DURATION_S if quick else DURATION_S
    extra = (["--model", args.model] if args.model else []) + (
        ["--interview", args.interview] if args.interview else [])
    t0 = time.perf_counter()
    la = loadavg()
    app = AppProcess(child_env(), extra)
    rows, ok = [], True
    try:
        print(f"· starting the app on {app.base} …", flush=True)
        first = app.wait_answer(QUESTIONS[0], timeout=300)
        for n in levels:
            print(f"· {n} client(s) for {duration:g} s …", flush=True)
            res = drive(app.base, n, duration)
            rss, _ = app.rss_kb()
            n_err = sum(res["errors"].values())
            ok &= n_err == 0 and res["ok"] > 0
            s = res["stat"]
            rows.append([n, res["ok"], f"{res['ok'] / res['elapsed']:.1f}", fmt_ms(s.p50),
                         fmt_ms(s.p95), fmt_ms(s.p99),
                         f"**{n_err}**" + (f" ({dict(res['errors'])})" if n_err else ""),
                         f"{rss / 1024:.0f}"])
    except RuntimeError as exc:
        return f"**The app could not be benchmarked:** {exc}", False
    finally:
        app.stop()
    cmd = "python -m qa bench --load" + (" --quick" if quick else "")
    if args.model:
        cmd += f" --model {args.model}"
    body = [
        (f"_Command:_ `{cmd}` · _date:_ {time.strftime('%Y-%m-%d %H:%M %Z')} · _load average "
        f"before → after:_ {la} → {loadavg()} · _took_ {time.perf_counter() - t0:.0f} s"),
        "",
        (f"The app (`python -m ui --port P`, 127.0.0.1) answered its first `/ask` {first:.1f} s "
        f"after start. Then each level ran {duration:g} s of closed-loop clients (each sends its "
        "next call as soon as the previous one returns), every question unique so the query "
        "cache never hits; clients run in this process, so they share the 2 cores with the app."),
        "",
        table(["clients", "answers", "answers/s", "p50 (ms)", "p95 (ms)", "p99 (ms)", "errors",
               "app RSS after (MiB)"], rows),
        "",
        ("Errors must be zero: a call that raised, timed out, returned an error event or anything "
        "but the `qa.ask` JSON (with hits, for the question asked) counts as one."),
    ]
    return "\n".join(body), ok
