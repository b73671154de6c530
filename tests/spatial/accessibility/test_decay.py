"""Distance-decay weights (spatial.accessibility.decay)."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from spatial.accessibility import decay
from spatial.accessibility.decay import GaussianDecay, StepDecay
from spatial.checks import AnalyticsInputError


def test_step_and_gaussian_decay_shapes():
    step = StepDecay.luo_qi(3000)
    assert step(np.array([0, 1000, 1000.001, 2000, 3000, 3000.001])).tolist() == [
        1.0,
        1.0,
        0.68,
        0.68,
        0.22,
        0.0,
    ]
    dai = GaussianDecay(3000)
    np.testing.assert_allclose(dai(np.array([0.0, 3000.0, 4000.0])), [1.0, 0.0, 0.0], atol=1e-15)
    plain = GaussianDecay(3000, form="access")
    assert plain(np.array([3000.0]))[0] == pytest.approx(np.exp(-0.5))
    assert np.all(np.diff(dai(np.linspace(0, 3000, 50))) < 0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"breaks_m": (2000, 1000), "weights": (1.0, 0.5)},
        {"breaks_m": (1000,), "weights": (1.0, 0.5)},
        {"breaks_m": (1000,), "weights": (-1.0,)},
    ],
)
def test_step_decay_rejects_bad_parameters(kwargs):
    with pytest.raises(AnalyticsInputError):
        StepDecay(**kwargs)


def test_docstring_examples_run():
    failures, _ = doctest.testmod(decay, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert failures == 0
