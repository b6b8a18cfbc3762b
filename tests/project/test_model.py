from __future__ import annotations

import pytest

from cellcounter_app.errors import ParameterError
from cellcounter_app.io.options import ReadOptions
from cellcounter_app.project import Project
from cellcounter_app.results import STATUS_ERROR, ImageResult


@pytest.fixture
def project(tmp_path, make_images):
    project = Project(tmp_path / "exp")
    project.add_images(make_images())
    return project


def record(project: Project) -> list[tuple[str, object]]:
    events: list[tuple[str, object]] = []
    project.subscribe(lambda event, payload: events.append((event, payload)))
    return events


def test_adding_images_emits_events_and_skips_duplicates(tmp_path, make_images):
    project = Project(tmp_path / "exp")
    events = record(project)
    paths = make_images()
    ids = project.add_images(paths)
    assert project.add_images([paths[0]]) == []
    assert [e.id for e in project.images] == ids and len(set(ids)) == 2
    assert events == [("image_added", ids[0]), ("dirty", True), ("image_added", ids[1])]
    entry = project.image(ids[0])
    assert entry.group == "images" and entry.status == "new" and not entry.missing
    assert project.name == "exp" and project.dirty


def test_added_file_that_does_not_exist_is_missing(tmp_path):
    project = Project(tmp_path / "exp")
    (image_id,) = project.add_images([tmp_path / "nope.tif"])
    assert project.image(image_id).status == "missing"
    (tmp_path / "nope.tif").write_bytes(b"x")
    assert project.check_files() == [image_id]
    assert project.image(image_id).status == "new"


def test_removing_images_and_unknown_ids(project):
    events = record(project)
    first, second = (e.id for e in project.images)
    project.remove_images([first])
    assert [e.id for e in project.images] == [second]
    assert events == [("images_removed", [first])]
    with pytest.raises(KeyError, match="no image with id 'zzz'"):
        project.remove_images(["zzz"])


def test_unsubscribe_stops_events(project):
    events: list[object] = []
    unsubscribe = project.subscribe(lambda *event: events.append(event))
    unsubscribe()
    project.set_group([project.images[0].id], "control")
    assert events == [] and project.images[0].group == "control"


def test_a_failing_subscriber_does_not_stop_the_others(project):
    seen: list[str] = []

    def broken(event, payload):
        raise RuntimeError("view bug")

    project.dirty = False
    project.subscribe(broken)
    project.subscribe(lambda event, payload: seen.append(event))
    with pytest.raises(RuntimeError, match="view bug"):
        project.set_group_settings("control", {"colour": "red"})
    assert seen == ["groups_changed", "dirty"] and project.groups == {"control": {"colour": "red"}}
    assert project.dirty, "the change is saved even when a view failed"


def test_empty_group_means_the_folder_name(project):
    ids = [e.id for e in project.images]
    project.set_group(ids, "treated")
    assert [e.group for e in project.images] == ["treated", "treated"]
    project.set_group(ids, "")
    assert [e.group for e in project.images] == ["images", "images"]


def test_record_result_stores_summary_without_nan_and_corrected_count(project, disc_labels, counted):
    image_id = project.images[0].id
    events = record(project)
    project.record_result(image_id, counted(disc_labels()))
    entry = project.image(image_id)
    assert entry.status == "counted" and entry.count == 3 and entry.corrected_count == 3
    assert entry.summary["density_per_mm2"] is None and entry.summary["height"] == 60.0
    assert entry.model.name == "classical" and entry.params_used["threshold"] == 0.5
    assert set(project.pending_labels()) == {image_id}
    assert events == [("image_changed", image_id)]


def test_failed_result_is_an_error_with_its_reason(project):
    image_id = project.images[0].id
    project.record_result(image_id, ImageResult(project.images[0].path, "a01.tif", STATUS_ERROR, "truncated TIFF"))
    entry = project.image(image_id)
    assert entry.status == "error" and entry.error == "truncated TIFF"
    assert entry.count is None and entry.corrected_count is None and not project.pending_labels()


def test_parameter_changes_make_counted_images_stale(project, disc_labels, counted):
    first, second = (e.id for e in project.images)
    for image_id in (first, second):
        project.record_result(image_id, counted(disc_labels(), threshold=0.5))
    events = record(project)
    project.set_params({"threshold": 0.5})
    assert [e.status for e in project.images] == ["counted", "counted"]
    project.set_params({"threshold": 0.7}, image_id=second)
    assert [e.status for e in project.images] == ["counted", "stale"]
    assert events == [("params_changed", None), ("image_changed", second), ("params_changed", second)]
    project.set_params({"threshold": 0.6})
    assert project.image(first).status == "stale"
    assert project.user_params(second) == {"threshold": 0.7}
    project.record_result(first, counted(disc_labels(), threshold=0.6))
    project.set_params({"threshold": None})
    assert project.image(first).status == "stale" and project.defaults.params == {}


def test_effective_params_apply_defaults_then_overrides(project):
    from cellcounter_app.postprocess.params import PostprocessParams

    image_id = project.images[0].id
    project.set_params({"threshold": 0.8, "min_size": 30})
    project.set_params({"min_size": 50}, image_id=image_id)
    params = project.effective_params(image_id, PostprocessParams(threshold=0.6, peak_min_distance=9))
    assert (params.threshold, params.min_size, params.peak_min_distance) == (0.8, 50, 9)


def test_bad_parameters_are_refused(project):
    with pytest.raises(ParameterError, match="threshold must be between 0.01 and 0.99, got 2.0"):
        project.set_params({"threshold": 2})
    with pytest.raises(ParameterError, match="unknown parameter 'treshold'"):
        project.set_params({"treshold": 0.5})
    with pytest.raises(ParameterError, match="unknown default"):
        project.set_defaults(colour="red")
    with pytest.raises(ParameterError, match="pixel_size_um must be None or a positive number, got -1"):
        project.set_defaults(pixel_size_um=-1)
    with pytest.raises(ParameterError, match="size must be a mapping"):
        project.set_defaults(size="14um")
    with pytest.raises(ParameterError, match=r"unknown parameter\(s\) treshold"):
        project.set_params({"treshold": None})


def test_defaults_changes_make_images_stale(project, disc_labels, counted):
    first, second = (e.id for e in project.images)
    project.record_result(first, counted(disc_labels()))
    project.set_defaults(model="classical")
    assert project.image(first).status == "counted"
    project.set_defaults(model="nuclei")
    assert project.image(first).status == "stale"
    project.record_result(first, counted(disc_labels()))
    project.set_defaults(read=ReadOptions(channel=1))
    assert project.image(first).status == "stale" and project.image(second).status == "new"
