"""Run the simulator as a process (by hand, or as the container stand-in's entry point).

    PYTHONPATH=tests/sim python -m grafana_sim --port 3000 --user admin --password admin

In a container it reads the official image's settings: GF_SECURITY_ADMIN_USER and
GF_SECURITY_ADMIN_PASSWORD__FILE (the file holding the admin password).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import threading
from pathlib import Path

from .server import GrafanaSimulator


def admin_password(args: argparse.Namespace) -> str:
    if args.password_file:
        return Path(args.password_file).read_text(encoding="utf-8").strip()
    return args.password


def main() -> None:
    parser = argparse.ArgumentParser(description="Grafana HTTP API simulator (in memory)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 in a container)")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--user", default=os.environ.get("GF_SECURITY_ADMIN_USER", "admin"))
    parser.add_argument("--password", default="admin")
    parser.add_argument("--password-file", default=os.environ.get("GF_SECURITY_ADMIN_PASSWORD__FILE"))
    parser.add_argument("--token", action="append", default=[], help="accepted Bearer token (repeatable)")
    parser.add_argument(
        "--no-unique-titles", action="store_true", help="allow one title twice in a folder (Grafana 12 storage)"
    )
    args = parser.parse_args()
    sim = GrafanaSimulator(
        host=args.host,
        port=args.port,
        users={args.user: admin_password(args)},
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
