"""Run the simulator by hand: PYTHONPATH=tests/sim python -m grafana_sim --port 3000."""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading

from .server import GrafanaSimulator


def main() -> None:
    parser = argparse.ArgumentParser(description="Grafana HTTP API simulator (in memory, 127.0.0.1 only)")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--token", action="append", default=[], help="accepted Bearer token (repeatable)")
    parser.add_argument(
        "--no-unique-titles", action="store_true", help="allow one title twice in a folder (Grafana 12 storage)"
    )
    args = parser.parse_args()
    sim = GrafanaSimulator(
        port=args.port,
        users={args.user: args.password},
        tokens=tuple(args.token) or ("sim-token",),
        unique_titles=not args.no_unique_titles,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with sim:
        print(sim.url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()


if __name__ == "__main__":
    main()
