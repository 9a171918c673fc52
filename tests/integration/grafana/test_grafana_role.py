"""The grafana role on the local Docker engine, with the simulator stand-in image in place of Grafana.

The official Grafana image cannot be pulled here; tests/sim/grafana_sim/container builds an image that
serves the simulator on port 3000 and understands the `grafana cli admin reset-admin-password` call the
role makes. It proves the role's container, secret handling, provisioning and idempotence, not Grafana.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import urllib.request
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
BASE_IMAGE = os.environ.get("LLMOPS_BASE_IMAGE", "llmops-standin/debian:bookworm")
IMAGE = "llmops-standin/grafana-sim:test"

pytestmark = pytest.mark.docker


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=600, check=check)


@pytest.fixture(scope="module")
def standin_image():
    if shutil.which("docker") is None or docker("info", check=False).returncode != 0:
        pytest.fail("no Docker engine answers: scripts/ensure-docker.sh starts one")
    if docker("image", "inspect", BASE_IMAGE, check=False).returncode != 0:
        pytest.fail("base image %s not built (make images, or set LLMOPS_BASE_IMAGE)" % BASE_IMAGE)
    dockerfile = REPO / "tests" / "sim" / "grafana_sim" / "container" / "Dockerfile"
    docker(
        "build",
        "-q",
        "-t",
        IMAGE,
        "--build-arg",
        "BASE_IMAGE=" + BASE_IMAGE,
        "-f",
        str(dockerfile),
        str(REPO / "tests" / "sim"),
    )
    return IMAGE


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stats(port: int) -> dict:
    with urllib.request.urlopen("http://127.0.0.1:%d/_sim/stats" % port, timeout=5) as response:  # noqa: S310
        return json.load(response)


def test_role_deploys_provisions_and_is_idempotent(run_playbook, standin_image):
    stack = "llmops-dev-it" + uuid.uuid4().hex[:6]
    port = free_port()
    params = {"stack": stack, "image": standin_image, "port": port, "admin_password": "it-admin-" + uuid.uuid4().hex}
    try:
        first = run_playbook("role.yml", **params)
        assert first.returncode == 0, first.stdout[-3000:]
        after_first = stats(port)
        # datasource, folder and the five dashboards
        assert after_first["by_route"] == {
            "POST /api/datasources": 1,
            "POST /api/folders": 1,
            "POST /api/dashboards/db": 5,
        }
        second = run_playbook("role.yml", **params)
        assert second.returncode == 0, second.stdout[-3000:]
        assert "changed=0" in second.stdout
        assert stats(port)["writes"] == after_first["writes"]
        assert params["admin_password"] not in first.stdout + second.stdout
        rotated = run_playbook("role.yml", **dict(params, admin_password="it-rotated-" + uuid.uuid4().hex))
        assert rotated.returncode == 0, rotated.stdout[-3000:]
        assert "Reset the admin password to the declared one" in rotated.stdout
        assert stats(port)["writes"] == after_first["writes"]
    finally:
        docker("rm", "-f", stack + "-grafana", check=False)
        docker("volume", "rm", stack + "_grafana_data", check=False)
        docker("network", "rm", stack + "_monitoring", check=False)
