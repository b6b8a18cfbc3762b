"""The work the window hands to its worker, without Qt: counting project images and live recounts."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic_images import disc_image, grid_centres, write_png

from cellcounter_app.gui.jobs import (
    CountEnded,
    CountStarted,
    ImageBegun,
    ImageDone,
    ModelCache,
    PreviewRequest,
    count_request,
    preview,
    run_count,
)
from cellcounter_app.io import read_image
from cellcounter_app.project import Project


@pytest.fixture
def project(tmp_path):
    project = Project(tmp_path / "proj")
    project.set_defaults(model="classical")
    paths = []
    for i, n in enumerate((3, 5)):
        image, _ = disc_image(centres=grid_centres(n), seed=i)
        paths.append(write_png(tmp_path / "images" / f"img{i}.png", image))
    (tmp_path / "images" / "broken.png").write_bytes(b"not a png")
    project.add_images([*paths, tmp_path / "images" / "broken.png"])
    return project


def test_run_count_counts_each_image_and_goes_past_a_bad_file(project):
    ids = [e.id for e in project.images]
    events = list(run_count(count_request(project, ids), ModelCache(), lambda: False))
    assert isinstance(events[0], CountStarted) and events[0].total == 3
    done = {e.image_id: e.result for e in events if isinstance(e, ImageDone)}
    assert [done[i].summary["count"] for i in ids[:2]] == [3, 5]
    assert not done[ids[2]].ok and done[ids[2]].error == "not a PNG image: the file contains text"
    assert done[ids[0]].probability is not None and done[ids[0]].labels is not None
    assert sum(isinstance(e, ImageBegun) for e in events) == 3
    end = events[-1]
    assert isinstance(end, CountEnded) and (end.counted, end.failed, end.cancelled) == (2, 1, False)


def test_per_image_overrides_are_used(project):
    first, second = project.images[0].id, project.images[1].id
    project.set_params({"min_size": 100_000}, first)
    events = run_count(count_request(project, [first, second]), ModelCache(), lambda: False)
    done = {e.image_id: e.result for e in events if isinstance(e, ImageDone)}
    assert done[first].summary["count"] == 0 and done[second].summary["count"] == 5


def test_cancel_stops_before_the_next_image(project):
    calls = []

    def cancelled():
        calls.append(1)
        return len(calls) > 2

    events = list(run_count(count_request(project, [e.id for e in project.images]), ModelCache(), cancelled))
    assert isinstance(events[-1], CountEnded) and events[-1].cancelled
    assert sum(isinstance(e, ImageDone) for e in events) < 3


def test_preview_reproduces_a_full_count_with_the_new_parameters(project):
    image_id = project.images[1].id
    models = ModelCache()
    first = next(e.result for e in run_count(count_request(project, [image_id]), models, lambda: False)
                 if isinstance(e, ImageDone))
    project.set_params({"min_size": 5000})
    image = read_image(project.images[1].path)
    fast = preview(PreviewRequest(image_id, first, image, "classical", project.user_params(image_id)), models)
    full = next(e.result for e in run_count(count_request(project, [image_id]), models, lambda: False)
                if isinstance(e, ImageDone))
    assert fast.summary["count"] == full.summary["count"] == 0
    project.set_params({"min_size": 20})
    fast = preview(PreviewRequest(image_id, first, image, "classical", project.user_params(image_id)), models)
    assert fast.summary["count"] == 5
    assert fast.params["min_size"] == 20
    np.testing.assert_array_equal(fast.probability, first.probability)


def test_missing_files_are_left_out_of_a_request(project, tmp_path):
    project.images[0].missing = True
    request = count_request(project, [e.id for e in project.images])
    assert [job.image_id for job in request.jobs] == [e.id for e in project.images[1:]]
