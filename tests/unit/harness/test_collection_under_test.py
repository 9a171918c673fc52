"""The test harness runs this checkout's llmops.litellm or fails saying why (tests/sim/collection_under_test.py)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "tests" / "sim"))

import collection_under_test as cut  # noqa: E402


def installed_copy(root: Path) -> Path:
    """A copy of this checkout's plugins, roles and playbooks laid out as an installed collection under ``root``."""
    target = root / "ansible_collections" / "llmops" / "litellm"
    for folder in ("plugins", "roles", "playbooks"):
        shutil.copytree(REPO / folder, target / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def test_an_exact_copy_passes_and_the_first_entry_wins(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    installed_copy(first)
    stale = installed_copy(second)
    (stale / "plugins" / "module_utils" / "reconcile.py").write_text("# another checkout\n")
    paths = "%s:%s" % (first, second)
    assert cut.first_on_path(paths) == first / "ansible_collections" / "llmops" / "litellm"
    assert cut.verify(paths) == paths


def test_another_checkout_first_on_the_path_fails_naming_the_files(tmp_path):
    other = installed_copy(tmp_path / "other")
    (other / "plugins" / "module_utils" / "reconcile.py").write_text("# another checkout\n")
    (other / "plugins" / "modules" / "extra.py").write_text("")
    (other / "plugins" / "module_utils" / "http_transport.py").unlink()
    with pytest.raises(cut.CollectionMismatch) as raised:
        cut.verify(str(tmp_path / "other"))
    message = str(raised.value)
    assert "module_utils/http_transport.py (missing)" in message
    assert "modules/extra.py (not in the checkout)" in message
    assert "module_utils/reconcile.py (differs)" in message
    assert "scripts/install-collection.sh" in message


def test_another_checkouts_roles_or_playbooks_fail_too(tmp_path):
    other = installed_copy(tmp_path / "other")
    (other / "roles" / "proxy" / "tasks" / "run.yml").write_text("---\n")
    (other / "playbooks" / "site.yml").unlink()
    with pytest.raises(cut.CollectionMismatch) as raised:
        cut.verify(str(tmp_path / "other"))
    message = str(raised.value)
    assert "roles/proxy/tasks/run.yml (differs)" in message
    assert "playbooks/site.yml (missing)" in message


def test_a_path_without_the_collection_fails(tmp_path):
    with pytest.raises(cut.CollectionMismatch, match="holds no llmops.litellm"):
        cut.verify(str(tmp_path))


def test_an_entry_named_ansible_collections_is_read_like_ansible_does(tmp_path):
    installed_copy(tmp_path)
    assert cut.verify(str(tmp_path / "ansible_collections"))


def test_without_a_configured_path_the_checkout_is_linked_under_its_own_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("ANSIBLE_COLLECTIONS_PATH", raising=False)
    monkeypatch.setattr(cut, "PLAYBOOK_LINK_ROOT", tmp_path / "links")
    paths = cut.collections_path()
    assert paths.split(":")[0] == str(tmp_path / "links")
    assert (tmp_path / "links" / "ansible_collections" / "llmops" / "litellm").resolve() == REPO


def test_a_link_to_another_checkout_is_replaced(monkeypatch, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    link = tmp_path / "links" / "ansible_collections" / "llmops" / "litellm"
    link.parent.mkdir(parents=True)
    link.symlink_to(elsewhere, target_is_directory=True)
    cut.link_checkout(tmp_path / "links")
    assert link.resolve() == REPO
    assert cut.PLAYBOOK_LINK_ROOT.is_relative_to(REPO) and cut.IMPORT_LINK_ROOT.is_relative_to(REPO)
