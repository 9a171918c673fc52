"""`site.yml --check` on a fresh host predicts what the converge then does; on the running stack it
predicts nothing. The scenario runs check, converge, idempotence and check again, each recording
its changed tasks (tests/callback_plugins/llmops_changes.py)."""

import json
import os
from pathlib import Path

import pytest

PREDICTED = " (predicted)"
# Predictions that stand for several tasks of the real run: where check mode cannot ask a service
# that does not exist yet, one task says what will happen.
COVERS = {("access", "Apply budgets, teams and keys"): "access"}


def _runs() -> list[dict]:
    folder = os.environ.get("LLMOPS_CHANGES_DIR") or (
        os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY")
        and str(Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "changes")
    )
    assert folder, "neither LLMOPS_CHANGES_DIR nor MOLECULE_EPHEMERAL_DIRECTORY is set: run through molecule"
    files = sorted(Path(folder).glob("*.json"))
    assert files, f"no recorded runs in {folder}: the llmops_changes callback did not run"
    return [json.loads(f.read_text()) | {"file": f.name} for f in files]


@pytest.fixture(scope="module")
def runs() -> dict[str, dict]:
    recorded = _runs()
    first_check = next((i for i, r in enumerate(recorded) if r["check"]), None)
    assert first_check is not None, f"no check-mode run recorded: {[r['file'] for r in recorded]}"
    after = recorded[first_check + 1 :]
    assert len(after) >= 3, f"expected converge, idempotence and a second check after {recorded[first_check]['file']}"
    return {
        "fresh_check": recorded[first_check],
        "converge": after[0],
        "idempotence": after[1],
        "stack_check": after[2],
    }


def _tasks(run: dict) -> set[tuple[str, str]]:
    return {(c["role"].split(".")[-1], c["task"].removesuffix(PREDICTED)) for c in run["changed"] if not c["handler"]}


def test_check_on_fresh_host_fails_nothing(runs):
    assert runs["fresh_check"]["failed"] == [], runs["fresh_check"]["failed"]


def test_check_on_fresh_host_predicts_the_converge(runs):
    predicted, done = _tasks(runs["fresh_check"]), _tasks(runs["converge"])
    assert runs["converge"]["failed"] == [] and not runs["converge"]["check"]
    covered_roles = {COVERS[t] for t in predicted if t in COVERS}
    done_uncovered = {t for t in done if t[0] not in covered_roles}
    predicted_uncovered = {t for t in predicted if t not in COVERS}
    missed = sorted(done_uncovered - predicted_uncovered)
    wrong = sorted(predicted_uncovered - done_uncovered)
    assert not missed and not wrong, (
        f"check mode on a fresh host did not predict {missed} (changed in the converge) and predicted "
        f"{wrong} (unchanged in the converge)"
    )
    for task, role in COVERS.items():
        if task in predicted:
            assert any(t[0] == role for t in done), f"{task} was predicted but the converge changed nothing in {role}"


def test_check_on_running_stack_predicts_no_change(runs):
    check = runs["stack_check"]
    assert check["check"], f"{check['file']} is not a check-mode run"
    assert check["failed"] == []
    assert check["changed"] == [], f"check mode on the converged stack predicts changes: {check['changed']}"
    assert runs["idempotence"]["changed"] == []
