"""Run the simulator: ``python -m litellm_sim --master-key sk-... [--port 0]``.

Prints ``LISTENING http://127.0.0.1:<port>`` on stdout once it accepts connections, then
serves until interrupted. Run with ``tests/sim`` on ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import os
import sys

from .server import start


def main() -> int:
    parser = argparse.ArgumentParser(prog="litellm_sim", description=__doc__)
    parser.add_argument("--master-key", default=os.environ.get("LITELLM_SIM_MASTER_KEY", "sk-sim-master-key-0001"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--stats-file", help="file that mirrors GET /_sim/stats after every write")
    args = parser.parse_args()
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("the simulator only listens on the loopback interface")
    server, thread = start(args.master_key, args.host, args.port, args.stats_file)
    print(f"LISTENING {server.url}", flush=True)
    try:
        thread.join()
    except KeyboardInterrupt:
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
