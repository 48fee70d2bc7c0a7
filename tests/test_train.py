"""The checkpoints' recipes (``python -m coursekit.train NAME``): every one runs end to end in a dry run.

A dry run trains on 16 items a set for two steps, writes the checkpoint to a temporary folder, reads it back and
leaves ``data/checkpoints/`` alone, so that a recipe broken by a change elsewhere fails here, not months later when
someone remakes a checkpoint.
"""

import hashlib

import pytest

from coursekit import checkpoints, train
from coursekit.environment import shipped_dir


def _shipped() -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (shipped_dir() / "checkpoints").iterdir()}


@pytest.mark.parametrize("name", sorted(train.RECIPES))
def test_every_recipe_runs_dry_and_writes_nothing_to_the_shipped_checkpoints(name, capsys, monkeypatch):
    before = _shipped()
    assert train.main([name, "--dry-run"]) == 0
    said = capsys.readouterr().out
    assert said.startswith("dry run: wrote ") and f"{name}.pt and read it back" in said
    assert _shipped() == before


def test_a_dry_run_can_keep_its_checkpoint_and_the_recipe_s_record_says_how_to_remake_it(tmp_path):
    out = tmp_path / "digits.pt"
    assert train.main(["digit_cnn", "--dry-run", "--out", str(out)]) == 0
    payload = checkpoints.load(out, "digit_cnn")
    assert payload["training"]["command"] == "python -m coursekit.train digit_cnn"
    assert payload["training"]["steps"] == train.DRY_RUN.steps
    assert set(payload["metrics"]) == {"test_accuracy_heldout_fonts", "test_accuracy_handwritten"}


def test_the_scale_caps_every_set_and_keeps_at_least_one_step_a_round():
    assert train.Scale(6000, rounds=6).per_round() == 1000 and train.Scale(6000, rounds=6).size(30_000) == 30_000
    assert train.DRY_RUN.size(30_000) == 16 and train.DRY_RUN.size(8) == 8
    assert train.Scale(2, rounds=6).per_round() == 1


def test_steps_must_be_positive(capsys):
    with pytest.raises(SystemExit):
        train.main(["digit_cnn", "--steps", "0"])
    assert "--steps must be a positive number of steps" in capsys.readouterr().err
