"""Benchmark: 1,000 declared LiteLLM keys, bulk module against a loop of the single-key module.

Runs against the LiteLLM simulator (tests/sim) on 127.0.0.1 and prints:
- the first apply of N keys with llmops.litellm.litellm_keys (creates them),
- the no-op re-apply (must report changed=0 and make zero writes),
- the same no-op reconciliation with llmops.litellm.litellm_key looped over the keys; looping
  over all N is slow, so by default a sample of 100 keys is timed and its per-key part scaled
  to N, plus the playbook start-up measured on an empty loop (said so in the output;
  --loop-sample N times the full loop),
- the ratio loop / bulk no-op.

With --live (LITELLM_API_BASE and LITELLM_MASTER_KEY in the environment) the same runs go
to a real LiteLLM proxy with its Postgres database instead, through a counting pass-through on
127.0.0.1 so requests and writes are counted on the wire (the pass-through adds well under a
millisecond per request); the benchmark keys are deleted at the end, also when a run failed. --models names models the
proxy serves (the simulator's defaults are gpt-4o-mini and gpt-4o).

Times are wall-clock seconds of whole ansible-playbook runs (start-up included), as a user
sees them. Goal (printed, not enforced): no-op re-apply of 1,000 keys under 10 s and at
least 20x faster than the loop.

    .venv/bin/python tests/bench/bench_litellm_keys.py [--keys 1000] [--loop-sample 100]
    LITELLM_API_BASE=http://127.0.0.1:14000 LITELLM_MASTER_KEY=sk-... \\
      .venv/bin/python tests/bench/bench_litellm_keys.py --live --models fake-gpt-mini,fake-gpt
"""

from __future__ import annotations

import argparse
import contextlib
import http.server
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sim"))

from litellm_sim.testing import REPO_ROOT, SimulatorProcess, api, collections_path, tool  # noqa: E402

PLAYBOOKS = Path(__file__).parent / "litellm"
MASTER_KEY = "sk-bench-master-" + secrets.token_hex(8)


class CountingPassThrough(http.server.ThreadingHTTPServer):
    """Forwards every request to ``target`` unchanged and counts requests and writes (non-GET)."""

    daemon_threads = True

    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.counts = {"requests": 0, "writes": 0}
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Forward)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Forward(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: CountingPassThrough

    def _forward(self) -> None:
        with self.server.lock:
            self.server.counts["requests"] += 1
            self.server.counts["writes"] += self.command != "GET"
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() in ("authorization", "content-type")}
        request = urllib.request.Request(
            self.server.target + self.path, data=body, method=self.command, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - 127.0.0.1 target
                status, payload, kind = response.status, response.read(), response.headers.get("Content-Type")
        except urllib.error.HTTPError as err:
            status, payload, kind = err.code, err.read(), err.headers.get("Content-Type")
        self.send_response(status)
        self.send_header("Content-Type", kind or "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_DELETE = do_PATCH = do_PUT = _forward

    def log_message(self, format, *args):  # noqa: A002 - the base class' signature
        return


@contextlib.contextmanager
def live_target(api_base: str):
    """A counting pass-through in front of a real proxy, shaped like SimulatorProcess (``url``)."""
    server = CountingPassThrough(api_base)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def declared_keys(count: int, models: list[str]) -> list[dict[str, object]]:
    return [
        {
            "key_alias": f"bench-{index:05d}",
            "models": models[:1] if index % 2 else models[:2],
            "max_budget": float(index % 50 + 1),
            "budget_duration": "30d",
            "rpm_limit": 60 + index % 7,
            "metadata": {"owner": f"team-{index % 10}", "cost_center": f"cc-{index % 3}"},
        }
        for index in range(count)
    ]


def run(playbook: str, keys: list[dict[str, object]], env: dict[str, str], work: Path) -> tuple[float, str]:
    vars_file = work / f"vars-{len(keys)}.json"
    vars_file.write_text(json.dumps({"bench_keys": keys}))
    started = time.monotonic()
    completed = subprocess.run(
        [tool("ansible-playbook"), str(PLAYBOOKS / playbook), "-e", f"@{vars_file}"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=3600,
        cwd=REPO_ROOT,
    )
    elapsed = time.monotonic() - started
    if completed.returncode != 0:
        sys.exit(f"{playbook} failed:\n{completed.stdout[-4000:]}\n{completed.stderr[-2000:]}")
    return elapsed, completed.stdout


def changed_count(stdout: str) -> int:
    match = re.search(r"localhost\s*:.*changed=(\d+)", stdout)
    return int(match.group(1)) if match else -1


def stats(target) -> dict[str, int]:
    if isinstance(target, CountingPassThrough):
        with target.lock:
            return dict(target.counts)
    data = api(target.url, None, "GET", "/_sim/stats")[1]
    return {"requests": data["requests"], "writes": data["writes"]}


def delta(after: dict[str, int], before: dict[str, int]) -> str:
    return f"{after['requests'] - before['requests']} requests, {after['writes'] - before['writes']} writes"


def report(label: str, seconds: float, detail: str) -> None:
    print(f"{label:<45} {seconds:8.2f} s  ({detail})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=1000)
    parser.add_argument("--loop-sample", type=int, default=100)
    parser.add_argument("--live", action="store_true", help="run against LITELLM_API_BASE with LITELLM_MASTER_KEY")
    parser.add_argument("--models", default="gpt-4o-mini,gpt-4o", help="two models the target serves")
    args = parser.parse_args()
    sample = min(args.loop_sample, args.keys)
    keys = declared_keys(args.keys, args.models.split(","))
    if args.live and not (os.environ.get("LITELLM_API_BASE") and os.environ.get("LITELLM_MASTER_KEY")):
        parser.error("--live needs LITELLM_API_BASE and LITELLM_MASTER_KEY in the environment")
    master_key = os.environ["LITELLM_MASTER_KEY"] if args.live else MASTER_KEY
    target = live_target(os.environ["LITELLM_API_BASE"]) if args.live else SimulatorProcess(MASTER_KEY)
    with tempfile.TemporaryDirectory(prefix="bench-litellm-") as directory:
        work = Path(directory)
        with target as sim:
            env = dict(
                os.environ,
                ANSIBLE_COLLECTIONS_PATH=collections_path(),
                LITELLM_API_BASE=sim.url,
                LITELLM_MASTER_KEY=master_key,
                ANSIBLE_LOCALHOST_WARNING="false",
                ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
                ANSIBLE_NOCOLOR="1",
                ANSIBLE_LOCAL_TEMP=str(work / "ansible-tmp"),
            )
            where = f"LiteLLM proxy at {os.environ['LITELLM_API_BASE']}" if args.live else f"simulator at {sim.url}"
            print(f"LiteLLM bulk key benchmark: {args.keys} keys, {where}, {os.cpu_count()} CPUs")
            try:
                measure(args, keys, sample=sample, env=env, work=work, sim=sim)
            finally:
                if args.live:
                    before_cleanup = stats(sim)
                    removed, _output = run("bulk.yml", [{**key, "state": "absent"} for key in keys], env, work)
                    report(f"clean-up, litellm_keys deletes {args.keys}", removed, delta(stats(sim), before_cleanup))
    return 0


def measure(
    args: argparse.Namespace, keys: list[dict[str, object]], *, sample: int, env: dict, work: Path, sim
) -> None:
    """The timed runs: first apply, no-op re-apply, the single-key loop and the ratio."""
    before = stats(sim)
    first, out = run("bulk.yml", keys, env, work)
    after_first = stats(sim)
    report(f"first apply, litellm_keys creates {args.keys}", first, delta(after_first, before))
    noop, out = run("bulk.yml", keys, env, work)
    after_noop = stats(sim)
    report("no-op re-apply, litellm_keys", noop, f"{delta(after_noop, after_first)}, changed={changed_count(out)}")
    looped, out = run("loop.yml", keys[:sample], env, work)
    after_loop = stats(sim)
    report(
        f"no-op loop of litellm_key, {sample} keys",
        looped,
        f"{delta(after_loop, after_noop)}, changed={changed_count(out)}",
    )
    if sample == args.keys:
        scaled, how = looped, "measured"
    else:
        fixed, _output = run("loop.yml", [], env, work)
        report("ansible-playbook start-up, empty loop", fixed, "not scaled")
        scaled = fixed + (looped - fixed) * args.keys / sample
        how = f"start-up + {sample}-key loop scaled x{args.keys / sample:g}"
    report(f"loop over {args.keys} keys", scaled, how)
    ratio = scaled / noop
    print(f"{'ratio loop / bulk no-op':<45} {ratio:8.1f} x")
    print(
        f"goals: no-op under 10 s: {'met' if noop < 10 else 'missed'}; "
        f"at least 20x faster than the loop: {'met' if ratio >= 20 else 'missed'}"
    )


if __name__ == "__main__":
    sys.exit(main())
