"""Postgres and Redis cannot be reached from the host, by any address."""

import socket

import pytest
from conftest import stack_containers


def _connect(addr: str, port: int) -> bool:
    try:
        with socket.create_connection((addr, port), timeout=3):
            return True
    except OSError:
        return False


@pytest.mark.parametrize(("service", "port"), [("postgres", 5432), ("redis", 6379)])
def test_not_reachable_from_the_host(stack, service, port):
    (c,) = [c for c in stack_containers(stack) if c["Config"]["Labels"].get("io.llmops.service") == service]
    container_ips = [n["IPAddress"] for n in c["NetworkSettings"]["Networks"].values() if n["IPAddress"]]
    assert container_ips, f"{service} has no address on its network"
    for addr in ["127.0.0.1", *container_ips]:
        assert not _connect(addr, port), f"{service} answered on {addr}:{port} from the host"


def test_proxy_reaches_redis_and_postgres_names(stack):
    # The proxy shares the internal network with them: the names resolve from inside it.
    (proxy,) = [c for c in stack_containers(stack) if c["Name"] == f"/{stack.name}-proxy-1"]
    assert f"{stack.name}_backend" in proxy["NetworkSettings"]["Networks"]
