"""Fixtures of the marker tests: generated two-channel images with a known positive subset."""

from __future__ import annotations

import pytest
from synthetic_markers import f1_score, make_marker_image


@pytest.fixture
def marker_image():
    """The generator `make_marker_image` (call it with a seed and options)."""
    return make_marker_image


@pytest.fixture
def f1():
    return f1_score
