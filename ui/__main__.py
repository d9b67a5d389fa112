"""``python -m ui [--host 127.0.0.1] [--port 7860] [--model M] [--rebuild]``: serve the app.

Builds or loads the indexes first (progress on stderr), so the first question is answered at once,
then prints the local URL and serves until interrupted. Binds to localhost unless ``--host`` says
otherwise; ``$PORT`` sets the default port. There is no public share link.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence

from qa.cli import _prog
from qa.errors import QAError


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}") from None
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"port out of range: {port}")
    return port


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog=_prog("python -m ui"),
        description="Serve the interview Q&A web app (Ask, Compare, Browse) on this machine.")
    p.add_argument("--host", default="127.0.0.1",
                   help="interface to bind (default 127.0.0.1; 0.0.0.0 exposes it on the network)")
    p.add_argument("--port", type=_port, default=None, help="port (default $PORT or 7860)")
    p.add_argument("--model", default=None,
                   help="embedding model (default $QA_MODEL or the bundled multilingual-e5-small)")
    p.add_argument("--interview", default=None, help="interview file (default: the bundled one)")
    p.add_argument("--rebuild", action="store_true", help="rebuild the indexes even if cached")
    args = p.parse_args(argv)
    if args.port is None:
        try:
            args.port = _port(os.environ.get("PORT") or "7860")
        except argparse.ArgumentTypeError as exc:
            p.error(f"$PORT: {exc}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    from qa.engine import Engine

    def say(msg: str) -> None:
        print(f"· {msg}", file=sys.stderr, flush=True)

    start = time.perf_counter()
    try:
        engine = Engine.create(model=args.model, interview=args.interview, rebuild=args.rebuild,
                               progress=say)
    except QAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    say(f"engine ready in {time.perf_counter() - start:.1f}s; starting the web app …")

    from ui.app import build_app, launch

    demo = build_app(lambda: engine)
    try:
        url = launch(demo, host=args.host, port=args.port)
    except OSError as exc:
        print(f"error: cannot serve on {args.host}:{args.port} ({exc}); "
              "choose another port with --port or $PORT", file=sys.stderr)
        return 1
    print(f"Running on {url}  (Ctrl+C to stop)", flush=True)
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
