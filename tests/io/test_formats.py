"""Vendor formats and OME-Zarr on the real files of ../shared/formats (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cellcounter_app.errors import ImageReadError
from cellcounter_app.io import find_images, read_image
from cellcounter_app.io.vendor import members, split_member

FORMATS = Path(__file__).resolve().parents[3] / "shared" / "formats"
if not FORMATS.is_dir():
    FORMATS = Path(__file__).resolve().parents[2] / ".." / "shared" / "formats"

pytestmark = pytest.mark.skipif(not FORMATS.is_dir(), reason="../shared/formats is absent")


def _file(name: str, reader: str) -> Path:
    path = FORMATS / name
    if not path.exists():
        pytest.skip(f"{name} is absent")
    pytest.importorskip(reader)
    return path


# name, reader module, member, (H, W, C), channel names, pixel size (None = not calibrated)
CASES = [
    ("arcadia__example-multichannel.nd2", "nd2", "", (256, 256, 4),
     ("Mono", "DAPI", "FITC BP", "TRITC BP"), 0.32339),
    ("arcadia__example-zstack.nd2", "nd2", "", (128, 128), ("FITC BP",), 0.32339),
    ("arcadia__example-cerevisiae.nd2", "nd2", "", (256, 256, 2), ("DIC", "FITC BP"), 0.10833),
    ("neubias__xyz__multiple_images.czi", "pylibCZIrw", " [scene 2]", (251, 251), ("ChA",), 0.19564),
    ("czitools__DAPI_GFP.czi", "pylibCZIrw", "", (640, 640, 2), ("", ""), None),
    ("aicspylibczi__CD_s_1_t_3_c_2_z_5.czi", "pylibCZIrw", " [frame 3]", (170, 240, 2),
     ("LED555", "LED470"), 0.09058),
    ("readlif__LeicaLASX_wavelength-sweep_example.lif", "liffile", " [series 2]", (64, 64, 15),
     tuple(f"λex {490 + 5 * i} nm" for i in range(15)), 0.1048),
    ("vsi/vsi-ets-test-jpg2k.vsi", "bioio_vsi", "", (1682, 1645, 2), ("C405", "C488"), 0.10833),
    ("ome-zarr/example-multichannel.ome-v04.zarr", "zarr", "", (256, 256, 4),
     ("Mono", "DAPI", "FITC BP", "TRITC BP"), 0.32339),
    ("ome-zarr/example-multichannel.ome-v05.zarr", "zarr", "", (256, 256, 4),
     ("Mono", "DAPI", "FITC BP", "TRITC BP"), 0.32339),
]


@pytest.mark.parametrize(("name", "reader", "member", "shape", "names", "pixel_size"), CASES,
                         ids=[c[0] + c[2] for c in CASES])
def test_reads_dimensions_names_and_pixel_size(name, reader, member, shape, names, pixel_size):
    path = _file(name, reader)
    image = read_image(Path(str(path) + member))
    assert image.data.shape == shape
    assert image.channel_names == names
    if pixel_size is None:
        assert image.pixel_size_um is None
    else:
        assert image.pixel_size_um == pytest.approx(pixel_size, rel=1e-3)
    assert not image.data.flags.writeable


def test_each_scene_series_and_frame_is_an_image():
    for name, reader in (("neubias__xyz__multiple_images.czi", "pylibCZIrw"),
                         ("aicspylibczi__CD_s_1_t_3_c_2_z_5.czi", "pylibCZIrw"),
                         ("readlif__LeicaLASX_wavelength-sweep_example.lif", "liffile")):
        _file(name, reader)
    assert [p.name for p in members(FORMATS / "neubias__xyz__multiple_images.czi")] == [
        "neubias__xyz__multiple_images.czi [scene 1]", "neubias__xyz__multiple_images.czi [scene 2]"]
    assert len(members(FORMATS / "aicspylibczi__CD_s_1_t_3_c_2_z_5.czi")) == 3
    lif = [p.name.partition(" ")[2] for p in members(FORMATS / "readlif__LeicaLASX_wavelength-sweep_example.lif")]
    assert lif == ["[series 1]", "[series 2]", "[series 3, frame 1]", "[series 3, frame 2]"]


def test_z_plane_and_named_channel_select():
    from cellcounter_app.io import ReadOptions
    path = _file("arcadia__example-zstack.nd2", "nd2")
    assert read_image(path, ReadOptions(z=10)).data.shape == (128, 128)
    with pytest.raises(ImageReadError, match="Z plane 11 does not exist"):
        read_image(path, ReadOptions(z=11))
    multi = _file("arcadia__example-multichannel.nd2", "nd2")
    assert read_image(multi, ReadOptions(channel="dapi")).channel_names == ("DAPI",)


def test_tile_scan_and_missing_member_are_refused_clearly():
    path = _file("ome_michael__PR2729_frameOrderCombinedScanTypes.lif", "liffile")
    with pytest.raises(ImageReadError, match="tile scan of 4 tiles") as info:
        read_image(Path(str(path) + " [frame 1]"))
    assert info.value.path.name.endswith("[frame 1]")
    czi = _file("neubias__xyz__multiple_images.czi", "pylibCZIrw")
    with pytest.raises(ImageReadError, match="scene 3 does not exist"):
        read_image(Path(str(czi) + " [scene 3]"))


def test_split_member_round_trips():
    assert split_member(Path("/a/b.lif [series 3, frame 2]")) == (Path("/a/b.lif"), {"series": 2, "frame": 1})


def test_discovery_lists_members_and_zarr_folders_once():
    pytest.importorskip("zarr")
    images, skipped = find_images([FORMATS])
    names = [p.name for p in images]
    assert "example-multichannel.ome-v04.zarr" in names
    assert not any(".zarr" in str(p.parent) for p in images)
    assert all("zarr" not in str(path) or path.suffix == ".py" for path, _ in skipped)


@pytest.mark.slow
def test_cli_counts_every_readable_image(tmp_path, capsys):
    for module in ("nd2", "pylibCZIrw", "liffile", "zarr"):
        pytest.importorskip(module)
    from cellcounter_app.cli import main
    out = tmp_path / "counts.xlsx"
    assert main(["count", str(FORMATS), "--model", "classical", "--quiet", "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    counted = [line for line in lines if line.rstrip().endswith("  ok") or "  check by eye: " in line]
    assert any("multiple_images.czi [scene 2]" in line for line in counted)
    assert any("DAPI_GFP.czi" in line for line in counted)
    assert len(counted) >= 15
    assert any("tile scan of 4 tiles" in line for line in lines)
    assert out.exists()


def test_cli_writes_rois_and_geojson_per_scene(tmp_path, capsys):
    import json

    roifile = pytest.importorskip("roifile")
    path = _file("neubias__xyz__multiple_images.czi", "pylibCZIrw")
    from cellcounter_app.cli import main
    assert main(["count", str(path), "--model", "classical", "--quiet",
                 "--rois", str(tmp_path / "rois"), "--geojson", str(tmp_path / "geojson")]) == 0
    table = capsys.readouterr().out
    for scene in (1, 2):
        name = f"neubias__xyz__multiple_images.czi [scene {scene}]"
        count = int(next(line for line in table.splitlines() if line.startswith(name))[len(name):].split()[0])
        file = f"neubias__xyz__multiple_images [scene {scene}]"  # named as the window's Export menu names it
        rois = roifile.roiread(tmp_path / "rois" / f"{file}_rois.zip")
        features = json.loads((tmp_path / "geojson" / f"{file}.geojson").read_text(encoding="utf-8"))["features"]
        assert len(rois) == len(features) == count > 0
        assert rois[0].name == features[0]["properties"]["name"] == "cell 1"
