"""Benchmark: 1,000 declared LiteLLM keys, bulk module against a loop of the single-key module.

Runs against the LiteLLM simulator (tests/sim) on 127.0.0.1 and prints:
- the first apply of N keys with llmops.litellm.litellm_keys (creates them),
- the no-op re-apply (must report changed=0 and make zero writes),
- the same no-op reconciliation with llmops.litellm.litellm_key looped over the keys; looping
  over all N is slow, so by default a sample of 100 keys is timed and its per-key part scaled
  to N, plus the playbook start-up measured on an empty loop (said so in the output;
  --loop-sample N times the full loop),
- the ratio loop / bulk no-op.

Times are wall-clock seconds of whole ansible-playbook runs (start-up included), as a user
sees them. Goal (printed, not enforced): no-op re-apply of 1,000 keys under 10 s and at
least 20x faster than the loop.

    .venv/bin/python tests/bench/bench_litellm_keys.py [--keys 1000] [--loop-sample 100]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sim"))

from litellm_sim.testing import REPO_ROOT, SimulatorProcess, api, collections_path, tool  # noqa: E402

PLAYBOOKS = Path(__file__).parent / "litellm"
MASTER_KEY = "sk-bench-master-" + secrets.token_hex(8)


def declared_keys(count: int) -> list[dict[str, object]]:
    return [
        {
            "key_alias": f"bench-{index:05d}",
            "models": ["gpt-4o-mini"] if index % 2 else ["gpt-4o-mini", "gpt-4o"],
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


def stats(url: str) -> dict[str, int]:
    data = api(url, None, "GET", "/_sim/stats")[1]
    return {"requests": data["requests"], "writes": data["writes"]}


def delta(after: dict[str, int], before: dict[str, int]) -> str:
    return f"{after['requests'] - before['requests']} requests, {after['writes'] - before['writes']} writes"


def report(label: str, seconds: float, detail: str) -> None:
    print(f"{label:<45} {seconds:8.2f} s  ({detail})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=1000)
    parser.add_argument("--loop-sample", type=int, default=100)
    args = parser.parse_args()
    sample = min(args.loop_sample, args.keys)
    keys = declared_keys(args.keys)
    with tempfile.TemporaryDirectory(prefix="bench-litellm-") as directory:
        work = Path(directory)
        with SimulatorProcess(MASTER_KEY) as sim:
            env = dict(
                os.environ,
                ANSIBLE_COLLECTIONS_PATH=collections_path(),
                LITELLM_API_BASE=sim.url,
                LITELLM_MASTER_KEY=MASTER_KEY,
                ANSIBLE_LOCALHOST_WARNING="false",
                ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
                ANSIBLE_NOCOLOR="1",
                ANSIBLE_LOCAL_TEMP=str(work / "ansible-tmp"),
            )
            print(f"LiteLLM bulk key benchmark: {args.keys} keys, simulator at {sim.url}, {os.cpu_count()} CPUs")
            before = stats(sim.url)
            first, out = run("bulk.yml", keys, env, work)
            after_first = stats(sim.url)
            report(f"first apply, litellm_keys creates {args.keys}", first, delta(after_first, before))
            noop, out = run("bulk.yml", keys, env, work)
            after_noop = stats(sim.url)
            report(
                "no-op re-apply, litellm_keys", noop, f"{delta(after_noop, after_first)}, changed={changed_count(out)}"
            )
            looped, out = run("loop.yml", keys[:sample], env, work)
            after_loop = stats(sim.url)
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
