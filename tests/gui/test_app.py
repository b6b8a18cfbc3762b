"""`cellcounter gui --self-test`: the installers' check that the frozen window can count."""

from __future__ import annotations

import logging

from cellcounter_app.cli import main
from cellcounter_app.gui import resources


def test_self_test_counts_a_sample_through_the_real_worker(qtbot, capsys):
    assert main(["gui", "--self-test"]) == 0
    out = capsys.readouterr().out
    assert not [h for h in logging.getLogger().handlers if type(h).__name__ == "RotatingFileHandler"]
    assert out.startswith("self-test: OK: dsb2018-") and " cells with nuclei " in out


def test_self_test_fails_with_the_reason_when_there_is_no_sample(qtbot, capsys, monkeypatch):
    monkeypatch.setattr(resources, "sample_images", lambda: [])
    assert main(["gui", "--self-test"]) == 1
    assert "self-test: FAILED: no sample images bundled" in capsys.readouterr().err
