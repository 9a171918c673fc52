"""Every role documents exactly the variables its defaults define (meta/argument_specs.yml)."""

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def default_keys(role: Path) -> set[str]:
    files = [role / "defaults" / "main.yml", *sorted((role / "defaults" / "main").glob("*.yml"))]
    keys: set[str] = set()
    for f in files:
        if f.is_file():
            keys |= set((yaml.safe_load(f.read_text()) or {}).keys())
    return keys


def spec_keys(role: Path) -> set[str] | None:
    spec = role / "meta" / "argument_specs.yml"
    if not spec.is_file():
        return None
    data = yaml.safe_load(spec.read_text())
    return set((data["argument_specs"]["main"].get("options") or {}).keys())


def main() -> int:
    problems = []
    for role in sorted(p for p in (ROOT / "roles").iterdir() if p.is_dir()):
        defaults, spec = default_keys(role), spec_keys(role)
        if spec is None:
            problems.append(f"{role.name}: no meta/argument_specs.yml")
            continue
        if missing := sorted(defaults - spec):
            problems.append(f"{role.name}: defaults not in argument_specs: {', '.join(missing)}")
        if extra := sorted(spec - defaults):
            problems.append(f"{role.name}: argument_specs options without a default: {', '.join(extra)}")
    for p in problems:
        print(p)
    print(f"argument specs: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
