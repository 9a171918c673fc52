"""Every role documents exactly the variables its defaults define (meta/argument_specs.yml), with
the same default values, and those defaults pass the spec's own type checks."""

import sys
from pathlib import Path

import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

ROOT = Path(__file__).resolve().parent.parent


def role_defaults(role: Path) -> dict:
    """The defaults as Ansible merges defaults/main.yml and defaults/main/*.yml."""
    files = [role / "defaults" / "main.yml", *sorted((role / "defaults" / "main").glob("*.yml"))]
    merged: dict = {}
    for f in files:
        if f.is_file():
            merged.update(yaml.safe_load(f.read_text()) or {})
    return merged


def spec_options(role: Path) -> dict | None:
    spec = role / "meta" / "argument_specs.yml"
    if not spec.is_file():
        return None
    return yaml.safe_load(spec.read_text())["argument_specs"]["main"].get("options") or {}


def value_problems(role: str, defaults: dict, options: dict) -> list[str]:
    problems = []
    for name in sorted(set(defaults) & set(options)):
        if not options[name].get("description"):
            problems.append(f"{role}: {name} has no description")
        # A templated default is documented in words (its value depends on the inventory).
        templated = "{{" in repr(defaults[name])
        if not templated and options[name].get("default") != defaults[name]:
            problems.append(f"{role}: {name} spec default {options[name].get('default')!r} != {defaults[name]!r}")
    checked = {"type", "elements", "default", "no_log", "choices"}
    spec = {n: {k: v for k, v in o.items() if k in checked} for n, o in options.items() if n in defaults}
    result = ArgumentSpecValidator(spec).validate(dict(defaults))
    problems += [f"{role}: {message}" for message in result.error_messages]
    return problems


def main() -> int:
    problems = []
    for role in sorted(p for p in (ROOT / "roles").iterdir() if p.is_dir()):
        defaults, options = role_defaults(role), spec_options(role)
        if options is None:
            problems.append(f"{role.name}: no meta/argument_specs.yml")
            continue
        if missing := sorted(set(defaults) - set(options)):
            problems.append(f"{role.name}: defaults not in argument_specs: {', '.join(missing)}")
        if extra := sorted(set(options) - set(defaults)):
            problems.append(f"{role.name}: argument_specs options without a default: {', '.join(extra)}")
        problems += value_problems(role.name, defaults, options)
    for p in problems:
        print(p)
    print(f"argument specs: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
