from __future__ import annotations

import pytest

from cellcounter_app.errors import CellCounterError, ParameterError
from cellcounter_app.project import Autosaver, Project, load_project


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def project(tmp_path, make_images):
    project = Project(tmp_path / "exp")
    project.add_images(make_images())
    project.dirty = False
    return project


def test_saves_only_after_changes_pause(project):
    clock = FakeClock()
    saver = Autosaver(project, delay_s=2.0, clock=clock)
    assert not saver.due() and saver.tick() is None
    image_id = project.images[0].id
    project.add_point(image_id, (1, 1))
    clock.now += 1.5
    project.add_point(image_id, (2, 2))
    clock.now += 1.5
    assert not saver.due(), "the second change restarted the delay"
    assert saver.tick() is None
    clock.now += 0.5
    assert saver.due()
    path = saver.tick()
    assert path == project.folder / "project.cellcounter.json" and path.is_file()
    assert not saver.pending and not project.dirty and not saver.due()
    assert load_project(project.folder).images[0].corrections.added == ((1.0, 1.0), (2.0, 2.0))
    saver.close()


def test_continuous_changes_still_save_after_max_delay(project):
    clock = FakeClock()
    saves: list[Project] = []
    saver = Autosaver(project, 2.0, clock=clock, max_delay_s=10.0, save=saves.append)
    for _ in range(9):
        project.set_params({"threshold": 0.5 + clock.now / 1000})
        clock.now += 1.0
        saver.tick()
    assert saves == []
    project.set_params({"threshold": 0.3})
    clock.now += 1.0
    assert saver.due() and saver.tick() is not None and saves == [project]
    saver.close()


def test_flush_saves_now_and_manual_save_clears_pending(project):
    clock = FakeClock()
    saves: list[Project] = []
    saver = Autosaver(project, clock=clock, save=saves.append)
    assert saver.flush() is None and saves == []
    saver.notify_changed()
    assert saver.flush() is not None and saves == [project]
    project.set_group([project.images[0].id], "x")
    project.mark_saved(project.folder / "project.cellcounter.json")
    assert not saver.pending
    saver.close()
    project.set_group([project.images[0].id], "y")
    assert not saver.pending, "a closed autosaver no longer follows the project"


def test_failed_save_raises_and_retries_later(project):
    clock = FakeClock()
    attempts: list[float] = []

    def failing(p: Project) -> None:
        attempts.append(clock.now)
        raise CellCounterError("disk full")

    saver = Autosaver(project, 2.0, clock=clock, save=failing)
    saver.notify_changed()
    clock.now += 2.0
    with pytest.raises(CellCounterError, match="disk full"):
        saver.tick()
    assert saver.pending and not saver.due()
    clock.now += 2.0
    assert saver.due()
    saver.close()


def test_dirty_project_is_pending_from_the_start(project):
    project.dirty = True
    clock = FakeClock()
    saver = Autosaver(project, 2.0, clock=clock, save=lambda p: None)
    clock.now += 2.0
    assert saver.due()
    saver.close()


def test_bad_delays_are_refused(project):
    with pytest.raises(ParameterError, match="delay_s must be a positive number of seconds, got 0"):
        Autosaver(project, 0)
    with pytest.raises(ParameterError, match=r"max_delay_s must be at least delay_s \(5\), got 1"):
        Autosaver(project, 5, max_delay_s=1)
