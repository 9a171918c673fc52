"""No-op re-converge of the whole stack, this checkout against an earlier commit, same machine,
same run: wall time, tasks run (ok), changed and skipped, median of several runs of each.

Both collections are built and installed as a user installs a release (``ansible-galaxy
collection build`` / ``install``) into .cache/bench/, from the working tree and from ``--before``
(a commit, checked out with ``git worktree``). The stack runs under its own name and ports (never
touching a ``make up`` stack) and is removed at the end. Not a pass/fail test: it prints figures.

    .venv/bin/python tests/bench/bench_converge.py --before 2af38a7 [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_stack import INVENTORY, STACK  # the bench stack's name and ports

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
BUNDLED = ROOT / ".venv" / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"


def install(source: Path, dest: Path) -> Path:
    """Build the collection in `source` and install it into `dest`; returns `dest`."""
    shutil.rmtree(dest, ignore_errors=True)
    dist = dest.with_name(dest.name + "-dist")
    shutil.rmtree(dist, ignore_errors=True)
    dist.mkdir(parents=True)
    galaxy = str(VENV_BIN / "ansible-galaxy")
    subprocess.run(
        [galaxy, "collection", "build", "--force", "--output-path", str(dist), str(source)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    tarball = next(dist.glob("*.tar.gz"))
    subprocess.run(
        [galaxy, "collection", "install", "--offline", "--force", "-p", str(dest), str(tarball)],
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(dest)},
    )
    return dest


def converge(collections: Path, inventory: str = INVENTORY) -> dict[str, float]:
    """One site.yml run with `collections` and `inventory` (each commit with its own inventory)."""
    env = {
        **os.environ,
        "ANSIBLE_COLLECTIONS_PATH": f"{collections}:{BUNDLED}",
        "ANSIBLE_CONFIG": str(ROOT / "tests" / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
    }
    start = time.monotonic()
    out = subprocess.run(
        [
            str(VENV_BIN / "ansible-playbook"),
            "-i",
            inventory,
            "llmops.litellm.site",
            "-e",
            json.dumps(STACK),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    wall = time.monotonic() - start
    if out.returncode != 0:
        sys.stderr.write(out.stdout[-4000:] + out.stderr[-2000:])
        raise SystemExit(f"converge with {collections} failed (exit {out.returncode})")
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("localhost") and "ok=" in ln][-1]
    counts = {k: float(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}
    return {"wall": wall, **counts}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--before", required=True, help="commit to compare with (e.g. the last release)")
    parser.add_argument("--runs", type=int, default=3, help="no-op runs of each (1-7)")
    args = parser.parse_args()
    runs = max(1, min(args.runs, 7))
    bench = ROOT / ".cache" / "bench"
    bench.mkdir(parents=True, exist_ok=True)
    worktree = Path(tempfile.mkdtemp(prefix="llmops-before-"))
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(worktree), args.before],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        before = install(worktree, bench / "before")
        after = install(ROOT, bench / "after")
        first = converge(after)
        print(
            f"first converge (this checkout, images present): {first['wall']:.1f} s, "
            f"{first['ok']:.0f} tasks ok, {first['changed']:.0f} changed"
        )
        results: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
        before_inventory = str(worktree / "inventories" / "local")
        # Each commit settles the stack to its own state first (they may write files differently),
        # then its no-op runs follow one another, so each of them has nothing to change.
        for name, path, inventory in (("before", before, before_inventory), ("after", after, INVENTORY)):
            converge(path, inventory)
            for _run in range(runs):
                results[name].append(converge(path, inventory))
        print(f"no-op re-converge, median of {runs} runs each, one commit after the other")
        print("(wall s / tasks ok / changed / skipped):")
        med = {}
        for name in ("before", "after"):
            med[name] = {
                k: statistics.median(r[k] for r in results[name]) for k in ("wall", "ok", "changed", "skipped")
            }
            walls = ", ".join(f"{r['wall']:.1f}" for r in results[name])
            label = args.before if name == "before" else "this checkout"
            print(
                f"  {label:<14} {med[name]['wall']:6.1f} s  {med[name]['ok']:4.0f}  {med[name]['changed']:3.0f}  "
                f"{med[name]['skipped']:4.0f}   (runs: {walls})"
            )
        print(f"  ratio after / before: {med['after']['wall'] / med['before']['wall']:.2f}")
        print(f"  load average during the runs: {os.getloadavg()[0]:.1f} (cores: {os.cpu_count()})")
    finally:
        subprocess.run(
            [
                str(VENV_BIN / "ansible-playbook"),
                "-i",
                INVENTORY,
                "llmops.litellm.teardown",
                "-e",
                json.dumps({**STACK, "teardown_volumes": True}),
            ],
            env={
                **os.environ,
                "ANSIBLE_COLLECTIONS_PATH": f"{bench / 'after'}:{BUNDLED}",
                "ANSIBLE_CONFIG": str(ROOT / "tests" / "ansible.cfg"),
            },
            check=False,
            stdout=subprocess.DEVNULL,
            cwd=ROOT,
        )
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(worktree)], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
