"""The counting pipeline shared by CLI and GUI: counts, events, errors, cancel."""

from __future__ import annotations

import numpy as np
import pytest

from cellcounter_app.inference import load_model
from cellcounter_app.pipeline import (BatchFinished, BatchStarted, CountRequest, ImageCounted,
                                      ImageStarted, count_batch, effective_params, naming_root, recount)
from synthetic_images import disc_image, grid_centres, make_folder


def run(request, **kw):
    return list(count_batch(request, **kw))


def test_counts_a_folder_with_known_counts(tmp_path):
    expected = make_folder(tmp_path)
    events = run(CountRequest(inputs=(tmp_path,), model="classical"))
    assert isinstance(events[0], BatchStarted) and events[0].total == 3
    finished = events[-1]
    assert isinstance(finished, BatchFinished) and not finished.cancelled
    assert {r.name: r.count for r in finished.results} == expected
    assert all(r.model.name == "classical" and r.params for r in finished.results)


def test_batch_goes_on_past_bad_files(tmp_path):
    expected = make_folder(tmp_path)
    (tmp_path / "corrupt.tif").write_bytes(b"II*\x00" + b"\x13" * 50)
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("not an image")
    events = run(CountRequest(inputs=(tmp_path,), model="classical"))
    started = events[0]
    assert [p.name for p, _ in started.skipped] == ["notes.txt"]
    results = {r.name: r for r in events[-1].results}
    assert results["corrupt.tif"].status == "error" and results["corrupt.tif"].error
    assert results["empty.png"].status == "error"
    assert {n: results[n].count for n in expected} == expected


def test_events_are_ordered_and_indexed(tmp_path):
    make_folder(tmp_path)
    events = run(CountRequest(inputs=(tmp_path,), model="classical"))
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["BatchStarted"] + ["ImageStarted", "ImageCounted"] * 3 + ["BatchFinished"]
    counted = [e for e in events if isinstance(e, ImageCounted)]
    assert [e.index for e in counted] == [0, 1, 2] and all(e.total == 3 for e in counted)


def test_cancel_keeps_what_was_counted(tmp_path):
    make_folder(tmp_path)
    seen = []

    def cancel():
        return len(seen) >= 1

    results = []
    for event in count_batch(CountRequest(inputs=(tmp_path,), model="classical"), cancel=cancel):
        if isinstance(event, ImageStarted):
            seen.append(event.path)
        if isinstance(event, BatchFinished):
            results = event.results
            assert event.cancelled
    assert len(results) <= 1


def test_parameter_override_changes_the_count(tmp_path):
    image, _ = disc_image(centres=grid_centres(4))
    from synthetic_images import write_png

    write_png(tmp_path / "a.png", image)
    big_min = run(CountRequest(inputs=(tmp_path,), model="classical", params={"min_size": 5000}))
    assert big_min[-1].results[0].count == 0
    assert big_min[-1].results[0].params["min_size"] == 5000


def test_recount_reuses_the_probability_map():
    model = load_model("classical")
    image, _ = disc_image(centres=grid_centres(3))
    prob = model.predict(image)
    params = effective_params(model)
    labels, cells, summary = recount(prob, image, params)
    assert summary["count"] == 3 == labels.max() == len(cells["cell_id"])
    _, _, none = recount(prob, image, params.replace(min_size=10_000))
    assert none["count"] == 0


def test_names_are_relative_to_the_counted_folder(tmp_path):
    make_folder(tmp_path)
    events = run(CountRequest(inputs=(tmp_path,), model="classical"))
    assert sorted(r.name for r in events[-1].results) == ["img0.png", "img2.png", "sub/img1.tif"]
    assert naming_root([tmp_path / "a.png", tmp_path / "sub" / "b.png"]) == tmp_path.resolve()


def test_labels_and_overlays_are_written_per_image(tmp_path):
    make_folder(tmp_path / "in")
    request = CountRequest(inputs=(tmp_path / "in",), model="classical",
                           labels_dir=tmp_path / "labels", overlays_dir=tmp_path / "overlays")
    run(request)
    assert (tmp_path / "labels" / "sub" / "img1_labels.tif").is_file()
    assert (tmp_path / "overlays" / "img0_overlay.png").is_file()


@pytest.mark.parametrize("bad", [np.zeros((1, 1), np.uint8), np.zeros((64, 64), np.uint8),
                                 np.full((40, 40), np.nan, np.float32)])
def test_degenerate_images_give_a_result_or_an_error(tmp_path, bad):
    from synthetic_images import write_tiff

    write_tiff(tmp_path / "bad.tif", bad)
    result = run(CountRequest(inputs=(tmp_path,), model="classical"))[-1].results[0]
    if np.isnan(bad).all():
        assert result.status == "error" and "finite" in result.error
    else:
        assert result.ok and result.count == 0


def test_a_diameter_typed_far_too_small_is_counted_but_says_how_large_the_image_became(tmp_path):
    """``--diameter 2px`` enlarges the image 8x for a 20-px model: the user learns the size and the memory."""
    from cellcounter_app.io import read_image
    from cellcounter_app.pipeline import count_image
    from cellcounter_app.postprocess.size import SizeSetting
    from synthetic_images import write_png

    image, _ = disc_image(shape=(64, 80), centres=((32, 40),), radius=10, value=150, background=20, noise=2.0)
    write_png(tmp_path / "a.png", image)
    loaded = read_image(tmp_path / "a.png")
    model = load_model("classical", use_gpu=False, threads=1)
    tiny = count_image(loaded, model, size=SizeSetting.parse("2px"))
    assert tiny.params["scale"] == 8.0
    assert "cells of 2 px are enlarged 8×" in tiny.params["note"] and "640×512 px" in tiny.params["note"]
    assert "give their diameter" in tiny.params["note"]
    right = count_image(loaded, model, size=SizeSetting.parse("20px"))
    assert "enlarged" not in str(right.params.get("note", ""))
