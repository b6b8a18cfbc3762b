"""The bundle smoke test reports clearly what is missing or failing (it runs in CI and `make bundle-test`)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

FORMATS = Path(__file__).resolve().parents[3] / "shared" / "formats"


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


def test_vendor_files_prefer_the_samples_and_else_take_the_first_by_name(smoke, tmp_path):
    (tmp_path / "vsi").mkdir()
    for name in ("b.nd2", "a.ND2", "czitools__DAPI_GFP.czi", "a.czi", "notes.txt", "vsi/vsi-ets-test-jpg2k.vsi"):
        (tmp_path / name).write_bytes(b"")
    assert smoke.vendor_files(tmp_path) == [tmp_path / "a.ND2", tmp_path / "czitools__DAPI_GFP.czi",
                                            tmp_path / "vsi" / "vsi-ets-test-jpg2k.vsi"]


def test_a_folder_without_a_czi_is_reported(smoke, tmp_path):
    (tmp_path / "a.nd2").write_bytes(b"")
    with pytest.raises(smoke.CheckFailed, match=r": no \.czi file to count$"):
        smoke.vendor_files(tmp_path)


def row(image: str, count: int, status: str = "ok", error: str = "") -> dict[str, str]:
    return {"image": image, "status": status, "error": error, "count": str(count)}


def test_vendor_counts_add_up_the_scenes_of_a_file(smoke):
    rows = [row("a.nd2", 40), row("b.czi [scene 1]", 3), row("b.czi [scene 2]", 4), row("other.png", 9)]
    assert smoke.vendor_counts(rows, [Path("x/a.nd2"), Path("x/b.czi")]) == {"a.nd2": 40, "b.czi": 7}


@pytest.mark.parametrize("rows, message", [
    ([row("a.nd2", 40)], r"^b\.czi: no row in images\.csv$"),
    ([row("a.nd2", 40), row("b.czi", 0, "error", "reading CZI files needs the optional reader 'pylibCZIrw'")],
     r"^b\.czi: status 'error': reading CZI files needs the optional reader 'pylibCZIrw'$"),
    ([row("a.nd2", 0), row("b.czi", 5)], r"^a\.nd2: read, but no cell found$"),
])
def test_vendor_counts_refuse_missing_error_and_empty_rows(smoke, rows, message):
    with pytest.raises(smoke.CheckFailed, match=message):
        smoke.vendor_counts(rows, [Path("a.nd2"), Path("b.czi")])


def fake_bundle(folder: Path) -> Path:
    """A bundle folder whose two programs run the installed command line (no build needed)."""
    folder.mkdir()
    for name in ("CellCounter", "cellcounter-cli"):
        program = folder / name
        program.write_text(f'#!/bin/sh\nexec "{sys.executable}" -c "import sys; from cellcounter_app.cli import main;'
                           f' sys.exit(main())" "$@"\n', encoding="utf-8")
        program.chmod(0o755)
    return folder


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in programs are shell scripts")
def test_smoke_test_skips_an_absent_formats_folder(smoke, tmp_path, capsys):
    pytest.importorskip("torch", reason="the stand-in bundle is a training one: train must get past torch")
    bundle = fake_bundle(tmp_path / "CellCounter")
    assert smoke.main([str(bundle), "--training", "--no-gui", "--formats", str(tmp_path / "absent")]) == 0
    out = capsys.readouterr().out
    assert f"microscope files: skipped, {tmp_path / 'absent'} is absent" in out and "smoke test passed" in out


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in program is a shell script")
@pytest.mark.skipif(not FORMATS.is_dir(), reason="../shared/formats is absent")
def test_smoke_test_counts_one_file_per_vendor_format(smoke, tmp_path):
    for name in ("nd2", "pylibCZIrw", "liffile", "bioio_vsi"):
        pytest.importorskip(name, reason="needs the formats extra")
    cli = fake_bundle(tmp_path / "CellCounter") / "cellcounter-cli"
    counts, seconds = smoke.check_vendor_formats(cli, FORMATS, tmp_path)
    assert list(counts) == ["arcadia__example-multichannel.nd2", "czitools__DAPI_GFP.czi",
                            "readlif__LeicaLASX_wavelength-sweep_example.lif", "vsi-ets-test-jpg2k.vsi"]
    assert all(cells > 0 for cells in counts.values()) and seconds > 0
