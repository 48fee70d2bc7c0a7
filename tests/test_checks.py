"""The exercise checks: the machinery, and for every check: the solution passes, a blank answer is "not implemented
yet" (and fails when graded), an answer that calls the reference is caught, and every hint is fed its mistake.

The mistakes of each notebook's checks are in ``test_checks_NN.py`` (a table ``MISTAKES``: check → {hint key: a wrong
answer}); the tests here feed each check every mistake of its table and hold the table to the check's hints, so that
a hint without a test fails.
"""

import importlib
import re
import sys
import time
import warnings
from pathlib import Path

import nbformat
import pytest
import torch

import coursekit as ck
from coursekit.checks import CheckFailed
from coursekit.checks.core import GENERIC_HINTS
from coursekit.notebooks import available

sys.path.insert(0, str(Path(__file__).parent))
TABLES = {path.stem: importlib.import_module(path.stem).MISTAKES
          for path in sorted(Path(__file__).parent.glob("test_checks_[0-9][0-9].py"))}


def _blank(*args, **kwargs):
    raise NotImplementedError()


# ---------------------------------------------------------------------------------------------------------------
# Every check: its notebook's solution passes, a blank answer does not
# ---------------------------------------------------------------------------------------------------------------


def _exercise_cells(nb):
    """(exercise name, solution cell source) of a notebook, and the source of its setup cell (the imports)."""
    setup = next(c.source for c in nb.cells if c.cell_type == "code")
    exercises = []
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "code":
            name = re.match(r"def (\w+)\(", cell.source).group(1)
            exercises.append((name, cell.source))
    return setup, exercises


def _solutions() -> dict[str, object]:
    """Every exercise's solution function, as the notebooks define it (each notebook's setup cell, then its solution
    cells in order, in one namespace per notebook)."""
    found = {}
    for path in available().values():
        setup, exercises = _exercise_cells(nbformat.read(path, as_version=4))
        namespace: dict = {}
        exec(setup.replace("device = ck.setup(seed=0)", "device = ck.device()"), namespace)
        for name, source in exercises:
            exec(source, namespace)
            found[name] = namespace[name]
    return found


SOLUTIONS = _solutions()


@pytest.mark.parametrize("check", ck.checks.ALL, ids=lambda c: c.name)
def test_the_notebook_solution_passes(check, capsys):
    assert check.name in SOLUTIONS, f"no notebook has an exercise cell defining {check.name}"
    check(SOLUTIONS[check.name])
    assert f"✓ {check.name} passes" in capsys.readouterr().out
    check.grade(SOLUTIONS[check.name])  # silent, does not raise


@pytest.mark.parametrize("check", [c for c in ck.checks.ALL if c.reference is not None], ids=lambda c: c.name)
def test_the_reference_passes_and_calling_it_is_caught(check):
    """Every check with a reference function (spirals_design has none: its answer is a design)."""
    unwatched = ck.checks.Check(check.name, check._run, check.hints, texts=check.texts)
    unwatched.references = []  # nothing watched: the reference itself is tried
    assert unwatched.passes(check.reference), f"the reference {check.reference} fails its own check"
    with pytest.raises(CheckFailed) as err:
        check(check.reference)
    assert err.value.key == "calls the reference"


@pytest.mark.parametrize("check", ck.checks.ALL, ids=lambda c: c.name)
def test_a_blank_answer_is_not_implemented_yet_and_fails_when_graded(check, capsys):
    check(_blank)  # does not raise: "run all" goes on in the student version
    assert "is not implemented yet" in capsys.readouterr().out
    assert not check.passes(_blank)
    with pytest.raises(CheckFailed) as err:
        check.grade(_blank)
    assert err.value.key == "not implemented" and "scores 0" in str(err.value)


def test_every_exercise_of_the_notebooks_has_a_check():
    names = {check.name for check in ck.checks.ALL}
    assert set(SOLUTIONS) <= names, f"exercises without a check in ck.checks.ALL: {set(SOLUTIONS) - names}"


# ---------------------------------------------------------------------------------------------------------------
# Every hint has a test that feeds it its mistake
# ---------------------------------------------------------------------------------------------------------------


MISTAKES = [(check, key, wrong) for table in TABLES.values() for check, mistakes in table.items()
            for key, wrong in mistakes.items()]


@pytest.mark.parametrize("check, key, wrong", MISTAKES, ids=[f"{c.name}-{k}" for c, k, _ in MISTAKES])
def test_each_mistake_gets_its_hint(check, key, wrong):
    with pytest.raises(CheckFailed) as err:
        check(wrong)
    assert err.value.key == key, str(err.value)
    assert str(err.value).startswith("✗ ") and check.name in str(err.value), "a hint names the exercise"


def test_every_hint_of_every_check_has_its_mistake_in_a_table():
    tables = {}
    for table in TABLES.values():
        tables.update(table)
    for check in ck.checks.ALL:
        assert check in tables, f"no test table feeds {check.name}'s hints their mistakes"
        assert set(tables[check]) == set(check.hints), (
            f"{check.name}: hints without a mistake {set(check.hints) - set(tables[check])}, "
            f"mistakes without a hint {set(tables[check]) - set(check.hints)}")


def _returns_none(*args, **kwargs):
    return None


def _raises(*args, **kwargs):
    return 1 / 0


def _relu_as_list(z):
    return torch.clamp(z, min=0).tolist()


def _relu_as_row(z):
    return torch.clamp(z, min=0).reshape(1, -1)


def _relu_by_the_reference(z):
    return ck.neuron.relu(z)


def _conv_by_torch(x, weight, bias=None, stride=1, padding=0):
    return torch.nn.functional.conv2d(x, weight, bias, stride=stride, padding=padding)


def _conv_by_an_alias(x, weight, bias=None, stride=1, padding=0):
    from torch.nn.functional import conv2d as hidden_name

    return hidden_name(x, weight, bias, stride=stride, padding=padding)


def _conv_by_a_module(x, weight, bias=None, stride=1, padding=0):
    layer = torch.nn.Conv2d(weight.shape[1], weight.shape[0], weight.shape[-1], stride, padding, bias=bias is not None)
    with torch.no_grad():
        layer.weight.copy_(weight)
        if bias is not None:
            layer.bias.copy_(bias)
    return layer(x).detach()


def _cross_entropy_by_method(logits, target):
    return -logits.log_softmax(1)[torch.arange(len(target)), target].mean()


def _cross_entropy_by_special(logits, target):
    return -torch.special.log_softmax(logits, 1)[torch.arange(len(target)), target].mean()


def _conv_by_partial(x, weight, bias=None, stride=1, padding=0):
    import functools

    return functools.partial(torch.nn.functional.conv2d, stride=stride, padding=padding)(x, weight, bias)


def _conv_in_double(x, weight, bias=None, stride=1, padding=0):
    n, (c_out, _, k, _) = x.shape[0], weight.shape
    h, w = (x.shape[2] + 2 * padding - k) // stride + 1, (x.shape[3] + 2 * padding - k) // stride + 1
    columns = torch.nn.functional.unfold(x.double(), k, padding=padding, stride=stride)
    y = (weight.double().reshape(c_out, -1) @ columns).reshape(n, c_out, h, w)
    return y if bias is None else y + bias.double()[None, :, None, None]


def _gradients_with_a_pair_as_loss(x, y, weights, biases):  # float() of the loss fails inside the check
    return torch.zeros(2), [torch.zeros_like(w) for w in weights], [torch.zeros_like(b) for b in biases]


def _neuron_scaling_x_in_place(x, w, b):  # right result, but the caller's x is now x ⊙ w
    x *= w
    return torch.relu(x.sum(1) + b)


def _gram_normalising_in_place(features):  # right result; was told "divide by H·W", which would make it wrong
    n, c, h, w = features.shape
    flat = features.view(n, c, h * w)
    flat /= h * w
    return flat @ flat.transpose(1, 2) * (h * w)


GENERIC_MISTAKES = [  # (check, hint key, wrong answer)
    (ck.checks.check_neuron, "changed its input", _neuron_scaling_x_in_place),
    (ck.checks.check_gram_matrix, "changed its input", _gram_normalising_in_place),
    (ck.checks.check_relu, "raised", _raises),
    (ck.checks.check_relu, "returns None", _returns_none),
    (ck.checks.check_relu, "not a tensor", _relu_as_list),
    (ck.checks.check_relu, "shape", _relu_as_row),
    (ck.checks.check_relu, "calls the reference", _relu_by_the_reference),
    (ck.checks.check_conv2d, "forbidden", _conv_by_torch),
    (ck.checks.check_conv2d, "forbidden", _conv_by_an_alias),
    (ck.checks.check_conv2d, "forbidden", _conv_by_a_module),
    (ck.checks.check_cross_entropy, "forbidden", _cross_entropy_by_method),
    (ck.checks.check_cross_entropy, "forbidden", _cross_entropy_by_special),
    (ck.checks.check_conv2d, "forbidden", _conv_by_partial),
    (ck.checks.check_conv2d, "dtype", _conv_in_double),
    (ck.checks.check_mlp_gradients, "unexpected", _gradients_with_a_pair_as_loss),
]


@pytest.mark.parametrize("check, key, wrong", GENERIC_MISTAKES, ids=lambda x: getattr(x, "__name__", str(x)))
def test_generic_hints(check, key, wrong):
    with pytest.raises(CheckFailed) as err:
        check(wrong)
    assert err.value.key == key
    assert str(err.value).startswith(f"✗ {check.name}")


def _loops_forever(z):
    while True:
        try:
            while True:
                pass
        except Exception:  # catches what it can: not the check's time limit
            pass


@pytest.mark.timed
def test_an_answer_that_never_ends_is_stopped_with_a_hint(monkeypatch):
    from coursekit.checks import core

    monkeypatch.setattr(core, "TIME_LIMIT_S", 0.5)
    start = time.monotonic()
    with pytest.raises(CheckFailed) as err:
        ck.checks.check_relu(_loops_forever)
    assert err.value.key == "too slow" and "did not finish within 0.5 s" in str(err.value)
    assert not ck.checks.check_relu.passes(_loops_forever)  # so working() falls back, and "run all" goes on
    assert time.monotonic() - start < 5
    ck.checks.check_relu(SOLUTIONS["relu"])  # the timer is off again: nothing fires later
    time.sleep(0.6)


def test_every_generic_hint_is_tested():
    tested = {key for _, key, _ in GENERIC_MISTAKES} | {"not implemented", "too slow"}  # tested apart, above
    assert tested == set(GENERIC_HINTS)


# ---------------------------------------------------------------------------------------------------------------
# The machinery
# ---------------------------------------------------------------------------------------------------------------


def test_check_failed_is_an_assertion():
    assert issubclass(CheckFailed, AssertionError)


def test_working_keeps_a_right_answer_and_replaces_a_wrong_one(capsys):
    def my_relu(z):
        return torch.clamp(z, min=0)

    assert ck.checks.working(my_relu, ck.neuron.relu, ck.checks.check_relu) is my_relu
    assert capsys.readouterr().out == ""
    assert ck.checks.working(_blank, ck.neuron.relu, ck.checks.check_relu) is ck.neuron.relu
    assert ck.checks.working(_returns_none, ck.neuron.relu, ck.checks.check_relu) is ck.neuron.relu
    out = capsys.readouterr().out
    assert out.count("Using the reference coursekit.neuron.relu") == 2


def test_grade_reuses_the_verdict_on_the_same_answer_and_the_visible_call_does_not():
    calls = []

    def counted(z):
        calls.append(1)
        return torch.clamp(z, min=0)

    check = ck.checks.check_relu
    check(counted)
    tries = len(calls)
    check.grade(counted)
    assert check.passes(counted) and len(calls) == tries, "grade and passes reuse the verdict just given"
    check(counted)
    assert len(calls) == 2 * tries, "the check cell always tries the answer again (its helpers may have changed)"


def test_warnings_in_a_check_go_to_stdout_not_stderr(capsys):
    def noisy(z):
        warnings.warn("a student's warning")
        return torch.clamp(z, min=0)

    ck.checks.check_relu(noisy)
    captured = capsys.readouterr()
    assert "a student's warning" in captured.out and captured.err == ""


def test_watching_restores_a_profiler_already_installed():
    def profiler(frame, event, arg):
        return None

    sys.setprofile(profiler)
    try:
        ck.checks.check_relu(lambda z: torch.clamp(z, min=0))
        assert sys.getprofile() is profiler
    finally:
        sys.setprofile(None)


@torch.no_grad()
def _decorated_reference(z):
    return torch.clamp(z, min=0)


def test_a_decorated_reference_is_recognised_by_its_own_code_not_the_decorator():
    def run(t):
        t.expect_tensor(t.call(torch.tensor([-1.0, 2.0])), (2,))

    check = ck.checks.Check("relu", run, {}, reference=_decorated_reference)

    @torch.no_grad()
    def own(z):  # decorated the same way, but the student's own code
        return torch.where(z > 0, z, torch.zeros_like(z))

    assert check.passes(own)
    with pytest.raises(CheckFailed) as err:
        check(lambda z: _decorated_reference(z))
    assert err.value.key == "calls the reference"
