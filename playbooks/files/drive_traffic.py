"""Send a bounded stream of chat completions through a LiteLLM proxy, as a looping agent would.

Stops at the first of: --max-requests sent, --duration seconds elapsed, --stop-file present.
The key is read from the LLMOPS_TRAFFIC_KEY environment variable so it never shows in a process
list. Prints one JSON line with what was sent.
"""

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--url", required=True, help="proxy base URL, e.g. http://127.0.0.1:4000")
    p.add_argument("--model", required=True)
    p.add_argument("--rate", type=float, default=4.0, help="requests per second")
    p.add_argument("--max-requests", type=int, default=600)
    p.add_argument("--duration", type=float, default=180.0, help="seconds")
    p.add_argument("--stop-file", default="")
    args = p.parse_args(argv)
    if not 0 < args.rate <= 50:
        p.error("--rate must be in (0, 50]")
    if not 0 < args.max_requests <= 10000:
        p.error("--max-requests must be in (0, 10000]")
    if not 0 < args.duration <= 3600:
        p.error("--duration must be in (0, 3600]")
    if not args.url.startswith(("http://127.", "http://localhost", "https://")):
        p.error("--url must be the proxy's published address")
    return args


def send(url: str, key: str, model: str, i: int) -> int:
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": f"step {i}: keep going"}]}).encode()
    req = urllib.request.Request(  # noqa: S310 - the URL is checked in parse_args
        f"{url.rstrip('/')}/v1/chat/completions",
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - the URL is checked in parse_args
            resp.read()
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    key = os.environ.get("LLMOPS_TRAFFIC_KEY", "")
    if not key:
        print("LLMOPS_TRAFFIC_KEY is not set", file=sys.stderr)
        return 2
    start = time.time()
    statuses: dict[str, int] = {}
    sent = 0
    while sent < args.max_requests and time.time() - start < args.duration:
        if args.stop_file and os.path.exists(args.stop_file):
            break
        due = start + sent / args.rate
        if (delay := due - time.time()) > 0:
            time.sleep(delay)
        code = str(send(args.url, key, args.model, sent))
        statuses[code] = statuses.get(code, 0) + 1
        sent += 1
    print(json.dumps({"started": start, "stopped": time.time(), "sent": sent, "statuses": statuses}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
