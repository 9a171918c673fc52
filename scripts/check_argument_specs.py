"""Every role documents exactly the variables its defaults define (meta/argument_specs.yml), with
the same default values, and those defaults pass the spec's own type checks.

The common role owns the globals and the inputs other hosts read: a role may document those of them
it takes (with common's default), but no role defines a default common already defines. Every role
has a `preflight` entry point with the same options as `main`, so the preflight playbook checks
types too."""

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


def spec_entry_points(role: Path) -> dict | None:
    spec = role / "meta" / "argument_specs.yml"
    if not spec.is_file():
        return None
    return yaml.safe_load(spec.read_text())["argument_specs"]


def value_problems(role: str, defaults: dict, options: dict) -> list[str]:
    problems = []
    for name in sorted(set(defaults) & set(options)):
        if not options[name].get("description"):
            problems.append(f"{role}: {name} has no description")
        # A templated default is documented in words (its value depends on the inventory).
        templated = "{{" in repr(defaults[name])
        if not templated and options[name].get("default") != defaults[name]:
            problems.append(f"{role}: {name} spec default {options[name].get('default')!r} != {defaults[name]!r}")
        # A failed argument check prints the spec with its defaults rendered: a secret's default
        # that names another variable would print that secret. Describe it in words instead.
        if options[name].get("no_log") and "{{" in repr(options[name].get("default")):
            problems.append(f"{role}: {name} is no_log with a templated default in the spec (printed on failure)")
    checked = {"type", "elements", "default", "no_log", "choices"}
    # A templated default is typed only once Ansible has rendered it (the role's own validation).
    literal = {n: v for n, v in defaults.items() if "{{" not in repr(v)}
    spec = {n: {k: v for k, v in o.items() if k in checked} for n, o in options.items() if n in literal}
    result = ArgumentSpecValidator(spec).validate(literal)
    problems += [f"{role}: {message}" for message in result.error_messages]
    return problems


def main() -> int:
    problems = []
    common = role_defaults(ROOT / "roles" / "common")
    for role in sorted(p for p in (ROOT / "roles").iterdir() if p.is_dir()):
        own, entry_points = role_defaults(role), spec_entry_points(role)
        if entry_points is None:
            problems.append(f"{role.name}: no meta/argument_specs.yml")
            continue
        options = entry_points["main"].get("options") or {}
        if "preflight" not in entry_points:
            problems.append(f"{role.name}: no preflight entry point in meta/argument_specs.yml")
        elif (entry_points["preflight"].get("options") or {}) != options:
            problems.append(f"{role.name}: the preflight entry point's options differ from main's")
        if role.name != "common" and (twice := sorted(set(own) & set(common))):
            problems.append(f"{role.name}: defaults the common role owns: {', '.join(twice)}")
        defaults = own if role.name == "common" else {**{k: v for k, v in common.items() if k in options}, **own}
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
