"""What the roles decide from llmops_engine, the one read of the Docker engine per run (common's
tasks/engine.yml): the network role asks docker_network only about a network that is missing or
differs from its declaration, and the proxy role removes only the stack's proxy containers beyond
proxy_instances. The roles' own vars files are evaluated by Ansible against engine answers of each
shape; a wrong "as declared" would leave a wrong network in place without a word."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "sim"))

from collection_under_test import collections_path  # noqa: E402

LABELS = {"io.llmops.stack": "llmops"}
BACKEND_FACT = "{{ backend | default({}) | combine({item.name: _network_backend_as_declared | bool}) }}"
MONITORING_FACT = "{{ monitoring | default([]) + [_network_monitoring_as_declared | bool] }}"
CONTENT = "{{ {'backend': backend, 'monitoring': monitoring, 'proxies': proxies} | to_json }}"


def network(internal: bool, labels=None, subnets=None, driver="bridge") -> dict:
    return {
        "id": "f" * 64,
        "driver": driver,
        "internal": internal,
        "labels": LABELS if labels is None else labels,
        "subnets": subnets or [],
    }


# (case, backend network in the engine or None, declared backend subnet, expected as_declared)
BACKEND_CASES = [
    ("as declared", network(True), "", True),
    ("extra labels are kept", network(True, {**LABELS, "owner": "ops"}), "", True),
    ("missing", None, "", False),
    ("not internal", network(False), "", False),
    ("label missing", network(True, {}), "", False),
    ("label differs", network(True, {"io.llmops.stack": "other"}), "", False),
    ("other driver", network(True, driver="overlay"), "", False),
    ("declared subnet matches", network(True, subnets=["10.99.0.0/24"]), "10.99.0.0/24", True),
    ("declared subnet differs", network(True, subnets=["10.98.0.0/24"]), "10.99.0.0/24", False),
]


@pytest.fixture(scope="module")
def decided(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("engine")
    cases = [
        {
            "name": name,
            "subnet": subnet,
            "engine": {
                "networks": ({"llmops_backend": backend} if backend else {}) | {"llmops_monitoring": network(False)},
                "volumes": [],
                "containers": {},
            },
        }
        for name, backend, subnet, _expected in BACKEND_CASES
    ]
    containers = {
        "llmops-proxy-1": {"io.llmops.stack": "llmops", "io.llmops.service": "proxy"},
        "llmops-proxy-3": {"io.llmops.stack": "llmops", "io.llmops.service": "proxy"},
        "llmops-postgres": {"io.llmops.stack": "llmops", "io.llmops.service": "postgres"},
        "llmops-unlabelled": {"io.llmops.stack": "llmops"},
    }
    out = tmp / "decided.json"
    playbook = tmp / "decide.yml"
    playbook.write_text(
        yaml.safe_dump(
            [
                {
                    "hosts": "localhost",
                    "gather_facts": False,
                    "vars_files": [
                        str(REPO / f)
                        for f in (
                            "roles/common/defaults/main.yml",
                            "roles/network/defaults/main.yml",
                            "roles/network/vars/main.yml",
                            "roles/proxy/vars/main.yml",
                        )
                    ],
                    "vars": {"cases": cases},
                    "tasks": [
                        {
                            "name": "Decide for each engine answer",
                            "loop": "{{ cases }}",
                            "vars": {
                                "llmops_engine": "{{ item.engine }}",
                                "network_backend_subnet": "{{ item.subnet }}",
                            },
                            "ansible.builtin.set_fact": {
                                "backend": BACKEND_FACT,
                                "monitoring": MONITORING_FACT,
                            },
                        },
                        {
                            "name": "Proxy containers the engine holds",
                            "vars": {"llmops_engine": {"networks": {}, "volumes": [], "containers": containers}},
                            "ansible.builtin.set_fact": {"proxies": "{{ _proxy_engine_instances | sort }}"},
                        },
                        {
                            "name": "Write",
                            "ansible.builtin.copy": {
                                "dest": str(out),
                                "mode": "0600",
                                "content": CONTENT,
                            },
                        },
                    ],
                }
            ]
        )
    )
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=collections_path(),
        ANSIBLE_CONFIG=str(REPO / "tests" / "ansible.cfg"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_LOCAL_TEMP=str(tmp / "ansible-tmp"),
    )
    command = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
        str(playbook),
    ]
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    return json.loads(out.read_text())


@pytest.mark.parametrize(("case", "expected"), [(c[0], c[3]) for c in BACKEND_CASES])
def test_backend_network_is_left_alone_only_when_it_is_as_declared(decided, case, expected):
    assert decided["backend"][case] is expected


def test_monitoring_network_as_declared_when_not_internal(decided):
    assert decided["monitoring"] == [True] * len(BACKEND_CASES)


def test_only_the_stacks_proxy_containers_are_candidates_for_removal(decided):
    assert decided["proxies"] == ["llmops-proxy-1", "llmops-proxy-3"]
