"""Markers through count_batch: one multichannel file, or sibling files paired by name."""

from __future__ import annotations

import numpy as np
import pytest

from cellcounter_app.errors import ParameterError
from cellcounter_app.io import ReadOptions
from cellcounter_app.markers import MarkerSpec, PairPattern, PositivityRule
from cellcounter_app.pipeline import BatchFinished, BatchStarted, CountRequest, count_batch
from cellcounter_app.results import CELL_COLUMNS
from synthetic_images import write_tiff


def _run(request):
    events = list(count_batch(request))
    return events[0], {r.name: r for r in events[-1].results}


def _truth_at_centroids(result, sample):
    rows = np.round(result.cells["y"]).astype(int)
    cols = np.round(result.cells["x"]).astype(int)
    return sample.truth(sample.labels[rows, cols])


def _write_stack(path, sample):
    return write_tiff(path, np.moveaxis(sample.image, -1, 0), metadata={"axes": "CYX"})


def test_detect_in_one_channel_score_another(tmp_path, marker_image, f1):
    samples = {f"img{seed}.tif": marker_image(seed) for seed in (0, 1)}
    for name, sample in samples.items():
        _write_stack(tmp_path / name, sample)
    request = CountRequest(inputs=(tmp_path,), model="classical", detect_channel=0,
                           markers=(MarkerSpec("Cy3", 1),))
    _, results = _run(request)
    for name, sample in samples.items():
        result = results[name]
        assert result.count == sample.labels.max()  # cells found in the DAPI channel only
        truth = _truth_at_centroids(result, sample)
        assert f1(result.cells["Cy3_positive"], truth) >= 0.95
        assert result.summary["Cy3_positive"] == int(result.cells["Cy3_positive"].sum())
        assert result.params["detect_channel"] == 0 and result.params["Cy3_rule"] == "mixture on corrected"


def test_hand_threshold_counts_exactly_through_the_pipeline(tmp_path, marker_image):
    sample = marker_image(4, noise=2.0, gradient=0.0)
    _write_stack(tmp_path / "a.tif", sample)
    request = CountRequest(inputs=(tmp_path,), model="classical", detect_channel=0,
                           markers=(MarkerSpec("Cy3", 1, PositivityRule.parse("100")),))
    _, results = _run(request)
    assert results["a.tif"].summary["Cy3_positive"] == len(sample.positive_ids)


def test_sibling_files_are_paired_and_the_unpaired_reported(tmp_path, marker_image, f1):
    samples = {}
    for seed, stem in ((0, "w1"), (1, "w2")):
        sample = samples[stem] = marker_image(seed)
        write_tiff(tmp_path / f"{stem}_DAPI.tif", sample.image[..., 0])
        write_tiff(tmp_path / f"{stem}_Cy3.tif", sample.image[..., 1])
    write_tiff(tmp_path / "w3_DAPI.tif", samples["w1"].image[..., 0])  # its Cy3 file is missing
    write_tiff(tmp_path / "w4_Cy3.tif", samples["w1"].image[..., 1])  # its DAPI file is missing
    request = CountRequest(inputs=(tmp_path,), model="classical", pair=PairPattern.parse("DAPI=Cy3"),
                           markers=(MarkerSpec("Cy3", sibling="Cy3"),))
    started, results = _run(request)
    assert [(p.name, why) for p, why in started.skipped] == [
        ("w4_Cy3.tif", "a Cy3 file without its DAPI file 'w4_DAPI.tif'")]
    assert set(results) == {"w1_DAPI.tif", "w2_DAPI.tif", "w3_DAPI.tif"}
    assert results["w3_DAPI.tif"].status == "error"
    assert results["w3_DAPI.tif"].error == "no Cy3 file 'w3_Cy3.tif' next to it"
    for stem, sample in samples.items():
        result = results[f"{stem}_DAPI.tif"]
        assert f1(result.cells["Cy3_positive"], _truth_at_centroids(result, sample)) >= 0.95
        assert result.params["Cy3_source"] == "Cy3 file"


def test_a_bad_sibling_fails_that_image_naming_the_sibling(tmp_path, marker_image):
    sample = marker_image(0)
    for stem in ("a", "b"):
        write_tiff(tmp_path / f"{stem}_c1.tif", sample.image[..., 0])
    write_tiff(tmp_path / "a_c2.tif", sample.image[:100, :, 1])
    (tmp_path / "b_c2.tif").write_bytes(b"")
    request = CountRequest(inputs=(tmp_path,), model="classical", pair=PairPattern.parse("c1=c2"),
                           markers=(MarkerSpec("Ki67", sibling="c2"),))
    _, results = _run(request)
    assert results["a_c1.tif"].error == "c2 file 'a_c2.tif' is 100×260 pixels, not 200×260"
    assert results["b_c1.tif"].error == "c2 file 'b_c2.tif': zero-byte file"


def test_without_markers_nothing_changes(tmp_path, marker_image):
    _write_stack(tmp_path / "a.tif", marker_image(0))
    _, results = _run(CountRequest(inputs=(tmp_path,), model="classical", read=ReadOptions(channel=0)))
    result = results["a.tif"]
    assert tuple(result.cells) == CELL_COLUMNS
    assert not any(key.startswith("Cy3") for key in result.summary)


@pytest.mark.parametrize("kwargs, message", [
    (dict(markers=(MarkerSpec("Cy3", 1),)), "need the channel to find cells in"),
    (dict(markers=(MarkerSpec("A", 1), MarkerSpec("A", 2)), detect_channel=0), "marker names must differ"),
    (dict(read=ReadOptions(channel=1), detect_channel=0), "give the detection channel once"),
    (dict(markers=(MarkerSpec("Cy3", sibling="Cy3"),)), "the pair pattern \\(none\\) does not name"),
    (dict(detect_channel=0, marker_scope="project"), "marker scope must be 'image' or 'batch'"),
])
def test_inconsistent_marker_requests_are_refused(tmp_path, kwargs, message):
    with pytest.raises(ParameterError, match=message):
        CountRequest(inputs=(tmp_path,), **kwargs)


def test_missing_marker_channel_is_noted_with_the_channels_listed(tmp_path, marker_image):
    _write_stack(tmp_path / "a.tif", marker_image(0))
    request = CountRequest(inputs=(tmp_path,), model="classical", detect_channel=0,
                           markers=(MarkerSpec("Cy3", 5),))
    events = list(count_batch(request))
    assert isinstance(events[0], BatchStarted) and isinstance(events[-1], BatchFinished)
    result = events[-1].results[0]
    assert result.ok and "Cy3_positive" not in result.cells
    assert result.params["note"] == "no Cy3 channel (channel 5): the image has 2 channels (indices 0–1), without names"


def test_batch_scope_judges_a_control_image_against_the_others(tmp_path, marker_image):
    samples = {"a.tif": marker_image(0), "b.tif": marker_image(1),
               "control.tif": marker_image(2, positive_fraction=0)}
    for name, sample in samples.items():
        _write_stack(tmp_path / name, sample)
    _, per_image = _run(CountRequest(inputs=(tmp_path,), model="classical", detect_channel=0,
                                     markers=(MarkerSpec("Cy3", 1),)))
    _, batch = _run(CountRequest(inputs=(tmp_path,), model="classical", detect_channel=0,
                                 markers=(MarkerSpec("Cy3", 1),), marker_scope="batch"))
    assert per_image["control.tif"].summary["Cy3_flag"] == "one population: all negative"
    control = batch["control.tif"].summary
    assert (control["Cy3_positive"], control["Cy3_flag"]) == (0, "")
    assert control["Cy3_threshold"] == batch["a.tif"].summary["Cy3_threshold"]
    assert batch["a.tif"].summary["Cy3_positive"] == len(samples["a.tif"].positive_ids)
    assert batch["a.tif"].params["Cy3_rule"] == "mixture on corrected (batch)"


def test_a_one_channel_file_among_stacks_is_counted_without_the_marker(tmp_path, marker_image):
    sample = marker_image(0)
    _write_stack(tmp_path / "stack.tif", sample)
    write_tiff(tmp_path / "grey.tif", sample.image[..., 0])
    plain = _run(CountRequest(inputs=(tmp_path / "grey.tif",), model="classical"))[1]["grey.tif"]
    request = CountRequest(inputs=(tmp_path,), model="classical", detect_channel=0,
                           markers=(MarkerSpec("Green", 1),), marker_scope="batch")
    _, results = _run(request)
    grey, stack = results["grey.tif"], results["stack.tif"]
    assert grey.ok and grey.count == plain.count and "Green_positive" not in grey.cells
    assert grey.params["note"].startswith("no Green channel (channel 1): the image has 1 channel")
    assert stack.ok and "Green_positive" in stack.cells and "note" not in stack.params
