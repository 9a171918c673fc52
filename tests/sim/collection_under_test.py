"""Which ``llmops.litellm`` the tests exercise: always this checkout's, never another's.

- ``collections_path()``: the ``ANSIBLE_COLLECTIONS_PATH`` for ansible-playbook runs. The caller's
  (``make test`` installs the built tarball into this checkout's ``.cache/collections``), else
  this checkout linked under its own ``.cache/test-collections``. Either way the collection
  ansible resolves first on it must carry the same plugins (``*.py``), roles and playbooks as this
  checkout, or the tests fail saying which files differ and how to fix it.
- ``make_collection_importable()``: lets plain pytest import ``ansible_collections.llmops.litellm``
  from this checkout (linked under ``.cache/pytest-collections``), and fails when the import
  would come from anywhere else.

Only the standard library: the Grafana tests use it without importing the LiteLLM simulator.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import sysconfig
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK_LINK_ROOT = REPO_ROOT / ".cache" / "test-collections"
IMPORT_LINK_ROOT = REPO_ROOT / ".cache" / "pytest-collections"
NAMESPACE, NAME = "llmops", "litellm"


class CollectionMismatch(RuntimeError):
    """The collection the tests would run is not this checkout's."""


def link_checkout(base: Path) -> Path:
    """``base/ansible_collections/llmops/litellm`` -> this checkout; a link to anything else is replaced."""
    link = base / "ansible_collections" / NAMESPACE / NAME
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() and link.resolve() != REPO_ROOT:
        link.unlink()
    with contextlib.suppress(FileExistsError):  # another test process made the same link meanwhile
        link.symlink_to(REPO_ROOT, target_is_directory=True)
    if link.resolve() != REPO_ROOT:
        raise CollectionMismatch(f"{link} is not a link to this checkout ({REPO_ROOT}); remove it")
    return base


# What ansible runs of a collection: its plugins' Python, and its roles and playbooks whole.
CHECKED = (("plugins", "*.py"), ("roles", "*"), ("playbooks", "*"))


def collection_hashes(collection: Path) -> dict[str, str]:
    """SHA-256 of every file ansible runs from a collection, by path relative to the collection."""
    return {
        str(path.relative_to(collection)): hashlib.sha256(path.read_bytes()).hexdigest()
        for folder, pattern in CHECKED
        for path in sorted((collection / folder).rglob(pattern))
        if path.is_file() and "__pycache__" not in path.parts
    }


def first_on_path(paths: str) -> Path | None:
    """The ``llmops.litellm`` ansible resolves first on ``paths`` (ansible-core's collection finder
    takes each entry, or its parent when the entry itself is named ``ansible_collections``)."""
    for entry in paths.split(os.pathsep):
        if not entry:
            continue
        root = Path(entry).expanduser()
        if root.name == "ansible_collections":
            root = root.parent
        candidate = root / "ansible_collections" / NAMESPACE / NAME
        if candidate.is_dir():
            return candidate
    return None


def differences(collection: Path) -> list[str]:
    expected, found = collection_hashes(REPO_ROOT), collection_hashes(collection)
    missing = [f"{name} (missing)" for name in sorted(set(expected) - set(found))]
    extra = [f"{name} (not in the checkout)" for name in sorted(set(found) - set(expected))]
    changed = [f"{name} (differs)" for name in sorted(set(expected) & set(found)) if expected[name] != found[name]]
    return missing + extra + changed


def verify(paths: str) -> str:
    """``paths`` when the collection ansible resolves first on it is this checkout's; else raise."""
    collection = first_on_path(paths)
    if collection is None:
        raise CollectionMismatch(
            f"ANSIBLE_COLLECTIONS_PATH={paths} holds no llmops.litellm; the tests need this checkout's "
            f"({REPO_ROOT}): run scripts/install-collection.sh, or unset ANSIBLE_COLLECTIONS_PATH"
        )
    problems = differences(collection)
    if problems:
        shown = ", ".join(problems[:8]) + (f" and {len(problems) - 8} more" if len(problems) > 8 else "")
        raise CollectionMismatch(
            f"ANSIBLE_COLLECTIONS_PATH={paths} resolves llmops.litellm to {collection} (-> {collection.resolve()}), "
            f"whose plugins, roles or playbooks are not this checkout's ({REPO_ROOT}): {shown}. Rebuild the installed "
            "copy with scripts/install-collection.sh, or unset ANSIBLE_COLLECTIONS_PATH to test the working tree"
        )
    return paths


def collections_path() -> str:
    """ANSIBLE_COLLECTIONS_PATH for test runs, verified to resolve llmops.litellm to this checkout."""
    configured = os.environ.get("ANSIBLE_COLLECTIONS_PATH")
    if configured:
        return verify(configured)
    base = link_checkout(PLAYBOOK_LINK_ROOT)
    return verify(os.pathsep.join([str(base), sysconfig.get_paths()["purelib"]]))


def make_collection_importable() -> None:
    """Make ``ansible_collections.llmops.litellm`` importable from this checkout, and only from it."""
    base = link_checkout(IMPORT_LINK_ROOT)
    if str(base) not in sys.path:
        sys.path.insert(0, str(base))
    package = sys.modules.get("ansible_collections")
    extra = str(base / "ansible_collections")
    if package is not None and extra not in list(package.__path__):
        package.__path__.append(extra)
    import ansible_collections.llmops.litellm as collection  # noqa: PLC0415

    others = sorted({str(Path(entry).resolve()) for entry in collection.__path__} - {str(REPO_ROOT)})
    if others:
        raise CollectionMismatch(
            f"ansible_collections.llmops.litellm would also import from {', '.join(others)}, not only from this "
            f"checkout ({REPO_ROOT}); remove those directories from sys.path / PYTHONPATH"
        )
