"""What the roles decide from llmops_engine, the one read of the Docker engine per run (common's
tasks/engine.yml): the network role asks docker_network only about a network that is missing or
differs from its declaration, the proxy role removes only the stack's proxy containers beyond
proxy_instances, and the grafana role tries no pull only when the engine lists grafana_image.
The roles' own vars files are evaluated by Ansible against engine answers of each shape; a wrong
"as declared" would leave a wrong network in place without a word."""

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
GRAFANA_FACT = "{{ grafana | default({}) | combine({item.name: _grafana_image_listed | bool}) }}"
CONTENT = (
    "{{ {'backend': backend, 'monitoring': monitoring, 'proxies': proxies, 'grafana': grafana,"
    " 'grafana_without_engine_read': grafana_without_engine_read} | to_json }}"
)


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


# (case, grafana_image, RepoTags of the engine's images, expected listed)
GRAFANA_CASES = [
    ("listed without the registry", "docker.io/grafana/grafana-oss:11.6.1", [["grafana/grafana-oss:11.6.1"]], True),
    ("listed as declared", "docker.io/grafana/grafana-oss:11.6.1", [["docker.io/grafana/grafana-oss:11.6.1"]], True),
    ("official image without library/", "docker.io/library/grafana:11.6.1", [["grafana:11.6.1"]], True),
    (
        "among other images",
        "grafana/grafana-oss:11.6.1",
        [[], ["redis:7"], ["x:1", "grafana/grafana-oss:11.6.1"]],
        True,
    ),
    ("another tag only", "docker.io/grafana/grafana-oss:11.6.1", [["grafana/grafana-oss:11.5.0"]], False),
    ("another registry", "registry.example/grafana/grafana-oss:11.6.1", [["grafana/grafana-oss:11.6.1"]], False),
    ("no images", "docker.io/grafana/grafana-oss:11.6.1", [], False),
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
                            "roles/grafana/defaults/main.yml",
                            "roles/grafana/vars/main.yml",
                        )
                    ],
                    "vars": {
                        "cases": cases,
                        "grafana_cases": [
                            {"name": name, "image": image, "images": [{"RepoTags": t} for t in tags]}
                            for name, image, tags, _expected in GRAFANA_CASES
                        ],
                    },
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
                            "name": "Grafana image listed for each engine answer",
                            "loop": "{{ grafana_cases }}",
                            "vars": {
                                "grafana_image": "{{ item.image }}",
                                "llmops_engine": {
                                    "networks": {},
                                    "volumes": [],
                                    "containers": {},
                                    "images": "{{ item.images }}",
                                },
                            },
                            "ansible.builtin.set_fact": {"grafana": GRAFANA_FACT},
                        },
                        {
                            "name": "Grafana image without an engine read",
                            "vars": {"grafana_image": "grafana/grafana-oss:11.6.1"},
                            "ansible.builtin.set_fact": {
                                "grafana_without_engine_read": "{{ _grafana_image_listed | bool }}"
                            },
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


@pytest.mark.parametrize(("case", "expected"), [(c[0], c[3]) for c in GRAFANA_CASES])
def test_grafana_pull_is_left_out_only_when_the_engine_lists_the_image(decided, case, expected):
    assert decided["grafana"][case] is expected


def test_grafana_without_an_engine_read_asks_docker(decided):
    assert decided["grafana_without_engine_read"] is False
