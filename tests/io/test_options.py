"""ReadOptions: validation of the channel and Z choices."""

from __future__ import annotations

import numpy as np
import pytest

from cellcounter_app.errors import ParameterError
from cellcounter_app.io import ReadOptions


def test_defaults_keep_all_channels_and_project_z():
    options = ReadOptions()
    assert options.channel is None
    assert options.z == "max"


@pytest.mark.parametrize(
    ("channel", "expected"),
    [(0, 0), (np.int64(3), 3), ("DAPI", "DAPI"), (" GFP ", "GFP"), ("MAX", "max"), (None, None)],
)
def test_channel_values_are_normalised(channel, expected):
    assert ReadOptions(channel=channel).channel == expected


@pytest.mark.parametrize(("z", "expected"), [(0, 0), (np.int32(4), 4), ("max", "max"), (" Max ", "max")])
def test_z_values_are_normalised(z, expected):
    assert ReadOptions(z=z).z == expected


@pytest.mark.parametrize("channel", [-1, True, 1.0, "", "  ", [0]])
def test_bad_channel_is_refused_with_the_value(channel):
    with pytest.raises(ParameterError, match="channel must be") as info:
        ReadOptions(channel=channel)
    assert repr(channel) in str(info.value)


@pytest.mark.parametrize("z", [-1, False, 1.5, "first", None])
def test_bad_z_is_refused_with_the_value(z):
    with pytest.raises(ParameterError, match=r"z must be 'max' or a plane index >= 0") as info:
        ReadOptions(z=z)
    assert repr(z) in str(info.value)
