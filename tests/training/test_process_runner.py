"""Training in a child process: the parent (the window) relays the reports and never imports torch."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("torch")

from synthetic_images import disc_image, grid_centres, write_png  # noqa: E402

from cellcounter_app.inference import load_model  # noqa: E402
from cellcounter_app.io import read_image  # noqa: E402
from cellcounter_app.pipeline import count_image  # noqa: E402
from cellcounter_app.project import Project, save_project  # noqa: E402

PARENT = textwrap.dedent("""
    import sys
    from pathlib import Path
    from cellcounter_app.training.process_runner import relay

    def main():
        options = dict(epochs=1, width=4, crop_size=64, device="cpu")
        reports = list(relay(Path(sys.argv[1]), options, lambda: False))
        kinds = [getattr(r, "report_type", type(r).__name__) for r in reports]
        assert kinds[-1] == "ProjectTrainResult" and reports[-1].ok, reports[-1]
        assert "StepReport" in kinds, kinds
        assert "torch" not in sys.modules, "the parent imported torch"
        print("relayed", len(reports))

    if __name__ == "__main__":
        main()
""")


def test_the_parent_relays_every_report_without_importing_torch(tmp_path):
    project = Project(tmp_path / "project")
    classical = load_model("classical")
    for i in range(2):
        image, _ = disc_image(shape=(112, 112), centres=grid_centres(9, shape=(112, 112), spacing=30), radius=7, seed=i)
        path = write_png(tmp_path / "images" / f"a{i}.png", image)
        [image_id] = project.add_images([path])
        project.record_result(image_id, count_image(read_image(path), classical))
        project.add_point(image_id, (100.0, 100.0))
    save_project(project)
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    done = subprocess.run([sys.executable, str(script), str(project.folder)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("relayed ")


def test_a_child_that_cannot_train_ends_with_a_message(tmp_path):
    from cellcounter_app.training.process_runner import relay

    reports = list(relay(tmp_path / "no project here", {}, lambda: False))
    assert getattr(reports[-1], "report_type", type(reports[-1]).__name__) == "ProcessFailed"
    assert "does not exist" in reports[-1].message
