"""Render a role's templates the way ansible.builtin.template does, for tests that check the
rendered files with the services' own tools (promtool, amtool)."""

from __future__ import annotations

import ast
from pathlib import Path

import jinja2
import yaml


def role_defaults(role: Path) -> dict:
    """The role's defaults as Ansible would merge defaults/main.yml and defaults/main/*.yml."""
    files = [role / "defaults" / "main.yml", *sorted((role / "defaults" / "main").glob("*.yml"))]
    merged: dict = {}
    for f in files:
        if f.is_file():
            merged.update(yaml.safe_load(f.read_text()) or {})
    return merged


def render_template(path: Path, variables: dict) -> str:
    """Render like ansible.builtin.template: trim_blocks on, overrides from a `#jinja2:` first line."""
    text = path.read_text()
    overrides = {}
    if text.startswith("#jinja2:"):
        header, text = text.split("\n", 1)
        for pair in header[len("#jinja2:") :].split(","):
            key, value = pair.split(":", 1)
            overrides[key.strip()] = ast.literal_eval(value.strip())
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(path.parent)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        keep_trailing_newline=True,
        **overrides,
    )
    return env.from_string(text).render(**variables)
