"""config_files in-process, on a temporary tree: what it writes, what a second run leaves alone,
check mode, diff mode, secrets, validation, pruning, and bad input refused before anything changes.
The documented return values are checked against what the runs return."""

from __future__ import annotations

import contextlib
import io
import json
import os
import stat
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.testing import patch_module_args
from ansible_collections.llmops.litellm.plugins.modules import config_files

SECRET = "s3cret-value-never-shown-7d1e"
UID = os.getuid()
GID = os.getgid()
RESULTS: list[dict] = []


def run(check_mode=False, diff=True, **args) -> dict:
    args["_ansible_check_mode"] = check_mode
    args["_ansible_diff"] = diff
    out = io.StringIO()
    with patch_module_args(args), contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        config_files.main()
    result = json.loads(out.getvalue())
    RESULTS.append(result)
    return result


def tree(root: Path) -> dict:
    """Every path under root with its inode, mode, owner and content (what a no-op must keep)."""
    found = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        content = path.read_bytes() if path.is_file() else None
        found[str(path)] = (st.st_ino, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, st.st_mtime_ns, content)
    return found


def declaration(root: Path, rules: str = "groups: []\n") -> dict:
    return {
        "directories": [
            {"path": str(root / "etc"), "owner": str(UID), "group": str(GID), "mode": "0755"},
            {"path": str(root / "etc" / "secrets"), "owner": str(UID), "group": str(GID), "mode": "0700"},
        ],
        "files": [
            {
                "path": str(root / "etc" / "secrets" / "key"),
                "secret": SECRET,
                "owner": str(UID),
                "group": str(GID),
                "mode": "0400",
            },
            {"path": str(root / "etc" / "rules.yml"), "content": rules, "owner": str(UID), "group": str(GID)},
        ],
        "prune": [{"path": str(root / "etc"), "patterns": ["*.yml"]}],
    }


def test_first_run_writes_everything_second_run_touches_nothing(tmp_path):
    first = run(**declaration(tmp_path))
    assert first["changed"] is True
    assert first["changed_paths"] == [
        str(tmp_path / "etc"),
        str(tmp_path / "etc" / "secrets"),
        str(tmp_path / "etc" / "secrets" / "key"),
        str(tmp_path / "etc" / "rules.yml"),
    ]
    key = tmp_path / "etc" / "secrets" / "key"
    assert key.read_text() == SECRET
    assert stat.S_IMODE(key.stat().st_mode) == 0o400
    assert stat.S_IMODE((tmp_path / "etc" / "secrets").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "etc" / "rules.yml").stat().st_mode) == 0o644
    before = tree(tmp_path)
    second = run(**declaration(tmp_path))
    assert second["changed"] is False and second["changed_paths"] == []
    assert "diff" not in second
    assert tree(tmp_path) == before, "a no-op run wrote, replaced or touched a file"


def test_check_mode_predicts_and_changes_nothing(tmp_path):
    predicted = run(check_mode=True, **declaration(tmp_path))
    assert list(tmp_path.iterdir()) == []
    applied = run(**declaration(tmp_path))
    assert predicted["changed_paths"] == applied["changed_paths"]
    (tmp_path / "etc" / "stale.yml").write_text("old: true\n")
    before = tree(tmp_path)
    predicted = run(check_mode=True, **declaration(tmp_path, rules="groups: [x]\n"))
    assert predicted["changed_paths"] == [str(tmp_path / "etc" / "rules.yml"), str(tmp_path / "etc" / "stale.yml")]
    assert tree(tmp_path) == before


def test_a_content_change_replaces_the_file_and_shows_a_diff(tmp_path):
    run(**declaration(tmp_path))
    rules = tmp_path / "etc" / "rules.yml"
    inode = rules.stat().st_ino
    changed = run(**declaration(tmp_path, rules="groups: [changed]\n"))
    assert changed["changed_paths"] == [str(rules)]
    assert rules.read_text() == "groups: [changed]\n"
    assert rules.stat().st_ino != inode, "not replaced atomically (same inode)"
    assert changed["diff"] == [
        {
            "before_header": str(rules),
            "after_header": str(rules),
            "before": "groups: []\n",
            "after": "groups: [changed]\n",
        }
    ]
    assert [p.name for p in rules.parent.iterdir() if p.name.startswith(".")] == [], "temporary file left"


def test_a_secret_never_appears_in_output_or_diff(tmp_path):
    first = run(**declaration(tmp_path))
    declared = declaration(tmp_path)
    declared["files"][0]["secret"] = SECRET + "-rotated"
    rotated = run(**declared)
    assert rotated["changed_paths"] == [str(tmp_path / "etc" / "secrets" / "key")]
    assert rotated["diff"][0]["after"] == "(secret, changed)\n"
    for result in (first, rotated):
        assert SECRET not in json.dumps(result)
    assert (tmp_path / "etc" / "secrets" / "key").read_text() == SECRET + "-rotated"


def test_mode_and_owner_are_corrected_in_place(tmp_path):
    run(**declaration(tmp_path))
    key = tmp_path / "etc" / "secrets" / "key"
    inode = key.stat().st_ino
    key.chmod(0o644)
    corrected = run(**declaration(tmp_path))
    assert corrected["changed_paths"] == [str(key)]
    assert stat.S_IMODE(key.stat().st_mode) == 0o400 and key.stat().st_ino == inode
    assert corrected["diff"][0]["after"] == f"owner={UID} group={GID} mode=0400\n"


def test_prune_removes_only_undeclared_matching_files(tmp_path):
    run(**declaration(tmp_path))
    (tmp_path / "etc" / "old.yml").write_text("old\n")
    (tmp_path / "etc" / "notes.txt").write_text("kept\n")
    pruned = run(**declaration(tmp_path))
    assert pruned["changed_paths"] == [str(tmp_path / "etc" / "old.yml")]
    assert sorted(p.name for p in (tmp_path / "etc").iterdir()) == ["notes.txt", "rules.yml", "secrets"]


def test_state_absent_removes_a_file(tmp_path):
    run(**declaration(tmp_path))
    declared = declaration(tmp_path)
    declared["files"][0] = {"path": declared["files"][0]["path"], "state": "absent"}
    removed = run(**declared)
    assert removed["changed_paths"] == [str(tmp_path / "etc" / "secrets" / "key")]
    assert not (tmp_path / "etc" / "secrets" / "key").exists()
    assert run(**declared)["changed"] is False


def test_a_refused_validation_leaves_the_old_file(tmp_path):
    run(**declaration(tmp_path))
    declared = declaration(tmp_path, rules="groups: [broken]\n")
    declared["files"][1]["validate"] = "grep -q never-there %s"
    refused = run(**declared)
    assert refused["failed"] is True
    assert refused["msg"].startswith("files[1].validate: grep refused the new content of ")
    assert (tmp_path / "etc" / "rules.yml").read_text() == "groups: []\n"
    assert [p.name for p in (tmp_path / "etc").iterdir() if p.name.startswith(".")] == []
    declared["files"][1]["validate"] = "grep -q broken %s"
    assert run(**declared)["changed_paths"] == [str(tmp_path / "etc" / "rules.yml")]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["directories"][1].update(mode="rw"), "directories[1].mode: 'rw' is not an octal mode"),
        (lambda d: d["files"][1].update(mode="99999"), "files[1].mode: '99999' is not an octal mode"),
        (lambda d: d["files"][0].update(owner="no-such-user-llmops"), "files[0].owner: no user 'no-such-user-llmops'"),
        (
            lambda d: d["directories"][0].update(group="no-such-group-llmops"),
            "directories[0].group: no group 'no-such-group-llmops'",
        ),
        (lambda d: d["files"][1].update(content=None), "files[1]: give content or secret"),
        (lambda d: d["files"][1].update(validate="promtool check rules"), "files[1].validate: must contain %s"),
        (
            lambda d: d["files"][1].update(path="relative/rules.yml"),
            "files[1].path: 'relative/rules.yml' is not an absolute",
        ),
        (
            lambda d: d["files"].append({"path": "/nonexistent-llmops/x", "content": ""}),
            "files[2].path: directory /nonexistent-llmops does not exist",
        ),
    ],
)
def test_bad_input_is_refused_before_anything_changes(tmp_path, change, message):
    declared = declaration(tmp_path)
    change(declared)
    refused = run(**declared)
    assert refused["failed"] is True
    assert refused["msg"].startswith(message), refused["msg"]
    assert list(tmp_path.iterdir()) == [], "something was created before the input was refused"


def test_content_and_secret_are_exclusive(tmp_path):
    declared = declaration(tmp_path)
    declared["files"][0]["content"] = "also"
    refused = run(**declared)
    assert refused["failed"] is True and "mutually exclusive" in refused["msg"]
    assert SECRET not in json.dumps(refused)


def test_documented_return_values_are_returned_with_their_type(tmp_path):
    run(**declaration(tmp_path))
    documented = yaml.safe_load(config_files.RETURN)
    successes = [result for result in RESULTS if not result.get("failed")]
    assert successes
    for result in successes:
        assert set(result) - {"changed", "diff", "invocation", "changed_paths"} == set()
        for key, doc in documented.items():
            assert doc["returned"] == "always" and key in result
            assert isinstance(result[key], list) and all(isinstance(path, str) for path in result[key])


def test_a_refused_secret_file_keeps_its_lines_out_of_the_message(tmp_path):
    run(**declaration(tmp_path))
    declared = declaration(tmp_path)
    token_line = "url: 'https://hc.example/ping/0f3c9a7e1d2b4c6a'"
    declared["files"][0]["secret"] = "receivers:\n  " + token_line + "\n"
    # The validator echoes the file it refuses, as config checkers quote the offending line.
    declared["files"][0]["validate"] = "sh -c 'cat %s >&2; exit 1'"
    refused = run(**declared)
    assert refused["failed"] is True
    assert refused["msg"].startswith("files[0].validate: sh refused the new content of ")
    assert "0f3c9a7e1d2b4c6a" not in json.dumps(refused)
    assert (tmp_path / "etc" / "secrets" / "key").read_text() == SECRET


def test_a_validate_command_may_hold_other_percent_signs(tmp_path):
    run(**declaration(tmp_path))
    declared = declaration(tmp_path, rules="groups: [50%]\n")
    declared["files"][1]["validate"] = "grep -q 50% %s"
    assert run(**declared)["changed_paths"] == [str(tmp_path / "etc" / "rules.yml")]
