"""Fixtures for the Grafana module suite: a Grafana to talk to (real or simulated) and a playbook runner.

Against a real Grafana: set GRAFANA_URL and either GRAFANA_TOKEN or GRAFANA_USER and GRAFANA_PASSWORD.
Otherwise the simulator in tests/sim/grafana_sim is started on 127.0.0.1 with an ephemeral port.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
PLAYBOOKS = HERE / "playbooks"
sys.path.insert(0, str(REPO / "tests" / "sim"))

from collection_under_test import collections_path as verified_collections_path  # noqa: E402
from grafana_sim import GrafanaSimulator  # noqa: E402

SIM_USER = "admin"
SIM_PASSWORD = "sim-admin-password"
SIM_TOKEN = "sim-service-account-token"


def fixtures_dir() -> Path:
    """Real-world inputs kept in the repository (tests/fixtures, see real-world/PROVENANCE.md)."""
    return REPO / "tests" / "fixtures"


@pytest.fixture(scope="session")
def real_world_dir() -> Path:
    return fixtures_dir() / "real-world"


@dataclass
class GrafanaTarget:
    url: str
    env: dict
    sim: GrafanaSimulator | None
    gcom: GrafanaSimulator
    prefix: str = field(default_factory=lambda: "it" + uuid.uuid4().hex[:6])

    @property
    def simulated(self) -> bool:
        return self.sim is not None


def real_grafana_env() -> dict | None:
    url = os.environ.get("GRAFANA_URL")
    if not url:
        return None
    env = {"GRAFANA_URL": url}
    if os.environ.get("GRAFANA_TOKEN"):
        env["GRAFANA_TOKEN"] = os.environ["GRAFANA_TOKEN"]
    elif os.environ.get("GRAFANA_USER") and os.environ.get("GRAFANA_PASSWORD"):
        env["GRAFANA_USER"] = os.environ["GRAFANA_USER"]
        env["GRAFANA_PASSWORD"] = os.environ["GRAFANA_PASSWORD"]
    else:
        pytest.exit("GRAFANA_URL is set: also set GRAFANA_TOKEN, or GRAFANA_USER and GRAFANA_PASSWORD", returncode=4)
    return env


@pytest.fixture(scope="session")
def grafana():
    users = {SIM_USER: SIM_PASSWORD}
    # grafana.com is never reachable from tests: its download endpoint is always simulated.
    with GrafanaSimulator(users=users, tokens=(SIM_TOKEN,)) as gcom:
        env = real_grafana_env()
        if env is not None:
            yield GrafanaTarget(url=env["GRAFANA_URL"], env=env, sim=None, gcom=gcom)
            return
        with GrafanaSimulator(users=users, tokens=(SIM_TOKEN,)) as sim:
            env = {"GRAFANA_URL": sim.url, "GRAFANA_USER": SIM_USER, "GRAFANA_PASSWORD": SIM_PASSWORD}
            yield GrafanaTarget(url=sim.url, env=env, sim=sim, gcom=gcom)


@pytest.fixture(scope="session", autouse=True)
def collections_path() -> str:
    """Where ansible finds llmops.litellm: verified to be this checkout's (see collection_under_test);
    every test fails, saying why, when it is not."""
    return verified_collections_path()


@dataclass
class PlaybookRun:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run_playbook(grafana, collections_path, tmp_path):
    """Run playbooks/<name> with the connection in the environment (the modules' env fallbacks)."""

    def run(name: str, **extra) -> PlaybookRun:
        extra_vars = {
            "work_dir": str(tmp_path),
            "prefix": grafana.prefix,
            "fixtures_dir": str(fixtures_dir()),
            "gcom_url": grafana.gcom.url + "/_gcom",
            "simulated": grafana.simulated,
            "sim_token": SIM_TOKEN,
        }
        if grafana.simulated:
            extra_vars["sim_stats_url"] = grafana.url + "/_sim/stats"
        extra_vars.update(extra)
        vars_file = tmp_path / ("vars-%s.json" % name)
        vars_file.write_text(json.dumps(extra_vars))
        env = {key: value for key, value in os.environ.items() if not key.startswith(("GRAFANA_", "ANSIBLE_"))}
        env.update(grafana.env)
        env.update(
            {
                "ANSIBLE_COLLECTIONS_PATH": collections_path,
                "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
                "ANSIBLE_RETRY_FILES_ENABLED": "0",
                "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-local"),
                "ANSIBLE_REMOTE_TEMP": str(tmp_path / "ansible-remote"),
            }
        )
        command = [
            str(Path(sys.executable).parent / "ansible-playbook"),
            "-i",
            "localhost,",
            "-c",
            "local",
            "--diff",
            "-e",
            "@%s" % vars_file,
            str(PLAYBOOKS / name),
        ]
        proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
        return PlaybookRun(proc.returncode, proc.stdout, proc.stderr)

    return run
