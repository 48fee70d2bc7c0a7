"""Gradient descent on the 2-D surfaces of notebook 02."""

import pytest
import torch

from coursekit import descent


def test_descend_follows_the_update_rule_on_the_bowl():
    path, losses = descent.descend(descent.bowl, (1.0, 1.0), lr=0.1, steps=3)
    a, b = descent.BOWL_CURVATURES
    # on the bowl each step multiplies w₁ by (1 − η a) and w₂ by (1 − η b)
    torch.testing.assert_close(path[3], torch.tensor([(1 - 0.1 * a) ** 3, (1 - 0.1 * b) ** 3]))
    torch.testing.assert_close(losses, descent.bowl(path))


def test_learning_rate_limit_is_two_over_the_steepest_curvature():
    limit = descent.stable_learning_rate()
    assert limit == 2 / max(descent.BOWL_CURVATURES)
    _, below = descent.descend(descent.bowl, (1.0, 1.0), lr=0.95 * limit, steps=200)
    _, above = descent.descend(descent.bowl, (1.0, 1.0), lr=1.05 * limit, steps=200)
    assert below[-1] < 1e-3 * below[0] and above[-1] > above[0]


def test_minibatch_descent_reaches_least_squares():
    x, y = descent.line_data(400, slope=2.0, intercept=-1.0, seed=3)
    design = torch.stack([x, torch.ones_like(x)], 1)
    best = torch.linalg.lstsq(design, y[:, None]).solution[:, 0]
    path, losses = descent.minibatch_descent(x, y, (0.0, 0.0), lr=0.2, steps=300, batch_size=400)
    torch.testing.assert_close(path[-1], best, atol=1e-3, rtol=1e-3)
    noisy_path, noisy_losses = descent.minibatch_descent(x, y, (0.0, 0.0), lr=0.1, steps=300, batch_size=8)
    assert noisy_losses[-1] < 1.3 * descent.line_fit_loss(best, x, y)
    assert not torch.equal(noisy_path, path)
    torch.testing.assert_close(descent.line_fit_loss(best, x, y), ((design @ best - y) ** 2).mean())


def test_the_fastest_learning_rate_balances_the_two_axes():
    a, b = descent.BOWL_CURVATURES
    best = descent.fastest_learning_rate(a, b)
    assert best == 2 / (a + b) < descent.stable_learning_rate()
    # both axes shrink by the same factor (b − a)/(b + a), and no other η does better on the worse axis
    assert abs(1 - best * a) == pytest.approx(abs(1 - best * b))
    assert descent.convergence_factor(best) == pytest.approx((b - a) / (b + a))
    rates = torch.linspace(0.01, 0.3, 300).tolist()
    assert descent.convergence_factor(best) <= min(descent.convergence_factor(r) for r in rates)
    # on the bowl itself: after 60 steps from (1, 1), the fastest rate ends closer to the minimum than its neighbours
    finals = {lr: descent.descend(descent.bowl, (1.0, 1.0), lr, 60)[0][-1].norm()
              for lr in (0.9 * best, best, 1.1 * best)}
    assert finals[best] < finals[0.9 * best] and finals[best] < finals[1.1 * best]
    assert descent.convergence_factor(1.01 * descent.stable_learning_rate()) > 1
