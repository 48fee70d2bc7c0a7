"""The exercise checks: a right answer passes, a blank one is "not implemented yet", a wrong one gets its hint."""

import pytest
import torch

import coursekit as ck
from coursekit.checks import CheckFailed, check_neuron, check_relu


def _blank(*args):
    raise NotImplementedError()


# every exercise's check and the reference implementation it must pass
REFERENCES = [
    (check_relu, ck.neuron.relu),
    (check_neuron, ck.neuron.neuron),
    (ck.checks.check_annealed_mean, ck.color.annealed_mean),
    (ck.checks.check_gram_matrix, ck.gram.gram_matrix),
    (ck.checks.check_generator_loss, ck.pix2pix.generator_loss),
]


@pytest.mark.parametrize("check, reference", REFERENCES, ids=lambda x: getattr(x, "name", ""))
def test_reference_answers_pass(check, reference, capsys):
    check(reference)
    assert f"✓ {check.name} passes" in capsys.readouterr().out
    assert check.passes(reference)


@pytest.mark.parametrize("check", [check for check, _ in REFERENCES], ids=lambda c: c.name)
def test_blank_answer_is_not_implemented_yet(check, capsys):
    check(_blank)  # does not raise: "run all" goes on in the student version
    assert "is not implemented yet" in capsys.readouterr().out
    assert not check.passes(_blank)


def _inplace_relu(z):
    z[z < 0] = 0
    return z


RELU_MISTAKES = {
    "step function": lambda z: (z > 0).float(),
    "absolute value": lambda z: z.abs(),
    "min(0, z)": lambda z: torch.clamp(z, max=0),
    "negative inputs through unchanged": lambda z: z.clone(),
    "changed its input tensor": _inplace_relu,
    "forget the `return`": lambda z: None,
    "should return a torch tensor": lambda z: z.numpy().clip(0),
    "returns shape": lambda z: torch.clamp(z, min=0).max(),
    "cut off from autograd": lambda z: torch.tensor(torch.clamp(z, min=0).tolist()),
    "raised ZeroDivisionError": lambda z: 1 / 0,
    "relu(-3) gave -0.3": lambda z: torch.where(z > 0, z, 0.1 * z),  # a leaky ReLU
}


@pytest.mark.parametrize("hint", list(RELU_MISTAKES))
def test_relu_mistakes_get_their_hint(hint):
    with pytest.raises(CheckFailed) as err:
        check_relu(RELU_MISTAKES[hint])
    assert hint in str(err.value)
    assert not check_relu.passes(RELU_MISTAKES[hint])


NEURON_MISTAKES = {
    "forgets the bias": lambda x, w, b: torch.relu(x @ w),
    "forgets the activation": lambda x, w, b: x @ w + b,
    "adds the bias after the activation": lambda x, w, b: torch.relu(x @ w) + b,
    "applies ReLU to the inputs": lambda x, w, b: torch.relu(x) @ w + b,
    "subtracts the bias": lambda x, w, b: torch.relu(x @ w - b),
    "does not add them up": lambda x, w, b: torch.relu(x * w + b),
    "shape (6,)": lambda x, w, b: torch.relu(x @ w[:, None] + b),
    "differs from relu(x @ w + b)": lambda x, w, b: torch.relu(x @ (2 * w) + b),
}


@pytest.mark.parametrize("hint", list(NEURON_MISTAKES))
def test_neuron_mistakes_get_their_hint(hint):
    with pytest.raises(CheckFailed) as err:
        check_neuron(NEURON_MISTAKES[hint])
    assert hint in str(err.value)


def test_check_failed_is_an_assertion():
    assert issubclass(CheckFailed, AssertionError)


def test_working_keeps_a_right_answer_and_replaces_a_wrong_one(capsys):
    def my_relu(z):
        return torch.clamp(z, min=0)

    assert ck.checks.working(my_relu, ck.neuron.relu, check_relu) is my_relu
    assert capsys.readouterr().out == ""
    assert ck.checks.working(_blank, ck.neuron.relu, check_relu) is ck.neuron.relu
    assert ck.checks.working(RELU_MISTAKES["absolute value"], ck.neuron.relu, check_relu) is ck.neuron.relu
    out = capsys.readouterr().out
    assert out.count("Using the reference coursekit.neuron.relu") == 2
