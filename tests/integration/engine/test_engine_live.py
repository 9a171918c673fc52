"""The query-engine stand-in against a real PostgreSQL, driven by prisma-client-py the way LiteLLM
1.106.12 drives it. The cases (cases/, stdlib unittest) run inside the LiteLLM stand-in image, where
the client is generated against LiteLLM's schema, on a network of their own beside a PostgreSQL
container of the stand-in image with LiteLLM's migrations applied by the image's migrate.js.
One pytest case per unittest case; a case that errors, fails or skips fails here."""

from __future__ import annotations

import ast
import json
import secrets
import subprocess
import time
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
ROOT = HERE.parents[2]
CATALOG = yaml.safe_load((ROOT / "roles/images/defaults/main.yml").read_text())["images_catalog"]
LITELLM_IMAGE = CATALOG["litellm"]["image"]
POSTGRES_IMAGE = CATALOG["postgres"]["image"]


def case_ids() -> list[str]:
    """module.Class.test_name of every unittest case, read from the sources (nothing imported)."""
    ids = []
    for path in sorted(CASES.glob("test_*.py")):
        tree = ast.parse(path.read_text())
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            for fn in cls.body:
                if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and fn.name.startswith("test"):
                    ids.append(f"{path.stem}.{cls.name}.{fn.name}")
    return ids


def docker(*args: str, timeout: int = 300, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=check)


@pytest.fixture(scope="session")
def database_url():
    for image in (LITELLM_IMAGE, POSTGRES_IMAGE):
        assert docker("image", "inspect", image, check=False).returncode == 0, (
            f"{image} is missing: build it with `make images`"
        )
    name = f"llmops-enginetest-{secrets.token_hex(3)}"
    password = secrets.token_hex(16)
    docker("network", "create", "--internal", "--label", "io.llmops.test=engine", name)
    try:
        docker(
            "run", "-d", "--name", f"{name}-pg", "--network", name, "--label", "io.llmops.test=engine",
            "-e", f"POSTGRES_PASSWORD={password}", "-e", "POSTGRES_DB=litellm", POSTGRES_IMAGE,
        )  # fmt: skip
        url = f"postgresql://postgres:{password}@{name}-pg:5432/litellm"
        deadline = time.monotonic() + 60
        while docker("exec", f"{name}-pg", "pg_isready", "-q", "-h", "127.0.0.1", check=False).returncode != 0:
            assert time.monotonic() < deadline, "the test PostgreSQL did not start within 60 s"
            time.sleep(1)
        migrate = docker(
            "run", "--rm", "--network", name, "-e", f"DATABASE_URL={url}", "--entrypoint", "node",
            LITELLM_IMAGE, "/opt/query-engine/migrate.js", "apply",
        )  # fmt: skip
        assert '"applied_now"' in migrate.stdout, migrate.stdout + migrate.stderr
        yield name, url
    finally:
        docker("rm", "-f", f"{name}-pg", check=False)
        docker("network", "rm", name, check=False)


@pytest.fixture(scope="session")
def results(database_url, tmp_path_factory) -> dict[str, dict]:
    network, url = database_url
    out = tmp_path_factory.mktemp("engine-results")
    run = docker(
        "run", "--rm", "--network", network, "-e", f"DATABASE_URL={url}",
        "--mount", f"type=bind,source={CASES},target=/cases,readonly",
        "--mount", f"type=bind,source={HERE / 'run_cases.py'},target=/run_cases.py,readonly",
        "--mount", f"type=bind,source={out},target=/results", "-w", "/cases",
        "--entrypoint", "python3", LITELLM_IMAGE, "/run_cases.py", "/results/outcomes.json",
        timeout=600, check=False,
    )  # fmt: skip
    report = run.stdout + run.stderr
    path = out / "outcomes.json"
    assert path.exists(), f"the cases wrote no outcome (exit {run.returncode}):\n{report[-4000:]}"
    recorded = json.loads(path.read_text())
    broken = {k: v["detail"] for k, v in recorded.items() if k.startswith("unittest.loader")}
    assert not broken, f"case modules could not be loaded: {broken}"
    # unittest ids are module.Class.test_name, as case_ids() reads them from the sources.
    return recorded | {"__report__": {"outcome": "", "detail": report}}


@pytest.mark.parametrize("case", case_ids())
def test_case(results, case):
    outcome = results.get(case, {"outcome": "not run", "detail": results["__report__"]["detail"][-6000:]})
    assert outcome["outcome"] == "ok", f"{case}: {outcome['outcome']}\n{outcome['detail']}"


def test_cases_exist():
    assert len(case_ids()) >= 20, f"expected the engine cases in {CASES}"
