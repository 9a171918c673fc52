"""Grafana HTTP API simulator for the grafana_* module tests (see README.md)."""

from .server import GRAFANA_VERSION, GrafanaSimulator, SimState

__all__ = ["GRAFANA_VERSION", "GrafanaSimulator", "SimState"]
