"""Every container of the stack runs healthy, on the networks the design gives it."""

import pytest
from conftest import stack_containers

EXPECTED_SERVICES = ["postgres", "redis", "proxy-1", "prometheus", "alertmanager", "fake-upstream", "slack-receiver"]


def test_every_service_has_a_container(stack):
    names = {c["Name"].lstrip("/") for c in stack_containers(stack)}
    assert {f"{stack.name}-{s}" for s in EXPECTED_SERVICES} <= names


def test_every_container_is_healthy(stack):
    unhealthy = {
        c["Name"]: c["State"].get("Health", {}).get("Status", "no healthcheck")
        for c in stack_containers(stack)
        if c["State"].get("Health", {}).get("Status") != "healthy"
    }
    assert unhealthy == {}


@pytest.mark.parametrize("service", ["postgres", "redis"])
def test_backing_stores_only_on_the_internal_network(stack, service):
    (c,) = [c for c in stack_containers(stack) if c["Config"]["Labels"].get("io.llmops.service") == service]
    assert list(c["NetworkSettings"]["Networks"]) == [f"{stack.name}_backend"]
    assert c["HostConfig"]["PortBindings"] in ({}, None)


def test_backend_network_is_internal(host, stack):
    out = host.check_output(f"docker network inspect -f '{{{{.Internal}}}}' {stack.name}_backend")
    assert out.strip() == "true"


def test_published_ports_bind_loopback_only(stack):
    for c in stack_containers(stack):
        for bindings in (c["HostConfig"]["PortBindings"] or {}).values():
            for b in bindings:
                assert b["HostIp"] == "127.0.0.1", f"{c['Name']} publishes on {b['HostIp']}"
