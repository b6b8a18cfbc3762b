"""The bundle smoke test reports clearly what is missing or failing (it runs in CI and `make bundle-test`)."""

from __future__ import annotations

import sys

import pytest


def test_missing_bundle_is_reported(smoke, tmp_path, capsys):
    assert smoke.main([str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "no such program; build the bundle first (make bundle)" in err and str(tmp_path) in err


def test_a_failing_program_names_its_exit_status(smoke):
    with pytest.raises(smoke.CheckFailed, match=r"exit status 3, expected 0\nbroken"):
        smoke.run([sys.executable, "-c", "import sys; print('broken'); sys.exit(3)"])


def test_expected_status_and_output_are_returned(smoke):
    output, seconds = smoke.run([sys.executable, "-c", "import sys; print('usage'); sys.exit(2)"], expect=2)
    assert output.strip() == "usage" and seconds > 0
