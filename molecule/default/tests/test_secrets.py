"""Secrets appear in no task output, container metadata or container log, and rest in 0400 files."""

import os
import stat
import subprocess
from pathlib import Path

import pytest
from conftest import stack_containers

SECRET_FILES = [
    "proxy_master_key_body",
    "proxy_salt_key",
    "postgres_password",
    "postgres_db_password",
    "redis_password",
]


@pytest.fixture(scope="module")
def secrets(stack) -> dict[str, str]:
    values = {name: stack.secret(name) for name in SECRET_FILES}
    assert all(len(v) >= 12 for v in values.values())
    return values


def test_secrets_absent_from_the_ansible_log(secrets):
    log = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "ansible.log"
    text = log.read_text()
    assert "TASK [" in text, "the converge log is empty: nothing would be proven"
    leaked = [name for name, value in secrets.items() if value in text]
    assert leaked == []


def test_secrets_absent_from_container_metadata(stack, secrets):
    for c in stack_containers(stack):
        meta = repr(
            {
                "env": c["Config"]["Env"],
                "labels": c["Config"]["Labels"],
                "cmd": c["Config"]["Cmd"],
                "entrypoint": c["Config"]["Entrypoint"],
                "args": c["Args"],
                "health": c["Config"].get("Healthcheck"),
            }
        )
        leaked = [name for name, value in secrets.items() if value in meta]
        assert leaked == [], f"{c['Name']} carries {leaked}"


def test_secrets_absent_from_container_logs(stack, secrets):
    for c in stack_containers(stack):
        logs = subprocess.run(["docker", "logs", c["Id"]], capture_output=True, text=True, check=True)
        text = logs.stdout + logs.stderr
        leaked = [name for name, value in secrets.items() if value in text]
        assert leaked == [], f"{c['Name']} logged {leaked}"


@pytest.mark.parametrize(
    "relpath",
    [
        "proxy/config.yaml",
        "postgres/secrets/superuser-password",
        "postgres/secrets/app-password",
        "redis/redis.conf",
        "prometheus/secrets/litellm-scrape-key",
        "alertmanager/secrets/slack-webhook-url",
    ],
)
def test_secret_files_are_private(stack, relpath):
    mode = stat.S_IMODE((Path(f"/etc/llmops/{stack.name}") / relpath).stat().st_mode)
    assert mode & 0o077 == 0, f"{relpath} is {oct(mode)}"
