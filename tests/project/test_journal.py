"""The edit journal: a correction survives a kill -9 right after it, and a save empties the journal."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from cellcounter_app.project import Project, Region, load_project, save_project
from cellcounter_app.project.journal import EditJournal, journal_path, recover_edits


def saved_project(tmp_path, make_images, counted, disc_labels):
    project = Project(tmp_path / "project")
    ids = project.add_images(make_images())
    project.record_result(ids[0], counted(disc_labels(), make_images()[0]))
    save_project(project)
    return project, ids


def test_a_correction_survives_a_kill_right_after_it(tmp_path, make_images, counted, disc_labels):
    project, ids = saved_project(tmp_path, make_images, counted, disc_labels)
    script = textwrap.dedent(f"""
        import os, signal
        from cellcounter_app.project import load_project
        from cellcounter_app.project.journal import EditJournal
        project = load_project({str(project.folder)!r})
        journal = EditJournal(project)
        project.click({ids[0]!r}, (70.0, 50.0))   # an empty spot: a missed cell
        project.click({ids[0]!r}, (20.0, 15.0))   # a detected cell: remove it
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == -9, done.stderr

    again = load_project(project.folder)
    assert again.image(ids[0]).corrections.is_empty  # the project file never saw them
    assert recover_edits(again) == 1
    entry = again.image(ids[0])
    assert entry.corrections.added == ((70.0, 50.0),) and len(entry.corrections.removed) == 1
    assert entry.corrected_count == 3 and again.dirty
    assert "recovered" in again.notices[0] and entry.name in again.notices[0]


def test_saving_empties_the_journal(tmp_path, make_images, counted, disc_labels):
    project, ids = saved_project(tmp_path, make_images, counted, disc_labels)
    EditJournal(project)
    project.add_point(ids[0], (5, 5))
    assert journal_path(project.folder).is_file()
    save_project(project)
    assert not journal_path(project.folder).exists()
    again = load_project(project.folder)
    assert recover_edits(again) == 0 and again.notices == []
    assert again.image(ids[0]).corrections.added == ((5.0, 5.0),)


def test_undo_and_regions_are_journaled_as_the_state_they_leave(tmp_path, make_images, counted, disc_labels):
    project, ids = saved_project(tmp_path, make_images, counted, disc_labels)
    EditJournal(project)
    project.add_point(ids[0], (5, 5))
    project.add_point(ids[1], (7, 7))
    project.undo()
    project.add_region(ids[0], Region(((0, 0), (40, 30)), "rectangle"))
    again = load_project(project.folder)
    assert recover_edits(again) == 1
    assert again.image(ids[1]).corrections.is_empty
    assert again.image(ids[0]).corrections.added == ((5.0, 5.0),) and len(again.image(ids[0]).regions) == 1


def test_a_line_cut_short_by_a_crash_ends_the_replay(tmp_path, make_images, counted, disc_labels):
    project, ids = saved_project(tmp_path, make_images, counted, disc_labels)
    EditJournal(project)
    project.add_point(ids[0], (5, 5))
    with open(journal_path(project.folder), "a", encoding="utf-8") as handle:
        handle.write('{"image": "' + ids[0] + '", "corrections": {"added": [[9')
    again = load_project(project.folder)
    assert recover_edits(again) == 1
    assert again.image(ids[0]).corrections.added == ((5.0, 5.0),)


def test_the_journal_of_another_project_is_kept_aside_not_applied(tmp_path, make_images, counted, disc_labels):
    project, ids = saved_project(tmp_path, make_images, counted, disc_labels)
    header = {"journal": 1, "project_created": "1999-01-01T00:00:00+00:00", "project_modified": ""}
    edit = {"image": ids[0], "corrections": {"added": [[1, 1]], "removed": []}, "regions": []}
    journal_path(project.folder).write_text(json.dumps(header) + "\n" + json.dumps(edit) + "\n")
    again = load_project(project.folder)
    assert recover_edits(again) == 0
    assert again.image(ids[0]).corrections.is_empty and not again.dirty
    assert not journal_path(project.folder).exists()
    assert len(list(project.folder.glob("project.cellcounter.journal.unused-*"))) == 1
    assert "not applied" in again.notices[0]
