"""``count --dask``: the same rows as a local run, Ctrl+C, dead workers, unreachable schedulers."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

distributed = pytest.importorskip("distributed")
import dask  # noqa: E402  (after the skip: dask comes with distributed)

from cellcounter_app.cli import main  # noqa: E402
from cellcounter_app.cluster import DaskAddress, count_batch_on_cluster, worker  # noqa: E402
from cellcounter_app.cluster.client import open_client  # noqa: E402
from cellcounter_app.export import read_workbook  # noqa: E402
from cellcounter_app.pipeline import BatchFinished, CountRequest, ImageCounted  # noqa: E402
from synthetic_images import make_folder  # noqa: E402

COUNT = ["--model", "classical", "-q"]
VARYING = {"timestamp", "counted_at", "date", "time", "seconds"}


@pytest.fixture
def images(tmp_path):
    root = tmp_path / "images"
    expected = make_folder(root, counts=(2, 3, 5, 4))
    (root / "broken.tif").write_bytes(b"II*\x00garbage")
    return root, expected


@pytest.fixture
def cluster():
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as local:
        yield local


def rows(book, sheet):
    return [{k: v for k, v in row.items() if k not in VARYING} for row in book[sheet]]


def test_the_cluster_gives_the_rows_of_a_local_run(images, tmp_path, cluster):
    root, expected = images
    here, there = tmp_path / "here.xlsx", tmp_path / "there.xlsx"
    assert main(["count", str(root), "--out", str(here), *COUNT]) == 0
    assert main(["count", str(root), "--out", str(there), "--labels", str(tmp_path / "labels"),
                 "--csv", str(tmp_path / "csv"), "--dask", cluster.scheduler_address, *COUNT]) == 0
    local, remote = read_workbook(here), read_workbook(there)
    assert rows(remote, "Images") == rows(local, "Images")
    assert rows(remote, "Cells") == rows(local, "Cells")
    assert rows(remote, "Summary") == rows(local, "Summary")
    assert {r["image"]: r["count"] for r in remote["Images"] if r["status"] == "ok"} == expected
    assert (tmp_path / "labels" / "img2_labels.tif").is_file()  # written by the worker
    assert len((tmp_path / "csv" / "cells.csv").read_text().splitlines()) == 1 + sum(expected.values())


def test_an_existing_roi_set_stops_a_cluster_batch_before_it_starts(images, tmp_path, cluster, capsys):
    root, _ = images
    rois = tmp_path / "rois"
    rois.mkdir()
    (rois / "img0_rois.zip").write_bytes(b"old")
    out = tmp_path / "r.xlsx"
    assert main(["count", str(root), "--out", str(out), "--rois", str(rois), "--dask", cluster.scheduler_address,
                 *COUNT]) == 2
    err = capsys.readouterr().err
    assert "img0_rois.zip already exist" in err and "Counting" not in err
    assert not out.exists() and (rois / "img0_rois.zip").read_bytes() == b"old"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_scheduler_is_a_usage_error(images, tmp_path, capsys):
    root, _ = images
    out = tmp_path / "r.xlsx"
    address = f"tcp://127.0.0.1:{free_port()}"
    with dask.config.set({"distributed.comm.timeouts.connect": "0.5s"}):
        assert main(["count", str(root), "--out", str(out), "--dask", address, *COUNT]) == 2
    assert f"cannot reach the Dask scheduler at {address}" in capsys.readouterr().err
    assert not out.exists()


def test_a_missing_scheduler_file_is_a_usage_error(images, tmp_path, capsys):
    root, _ = images
    assert main(["count", str(root), "--dask", str(tmp_path / "scheduler.json"), *COUNT]) == 2
    assert f"Dask scheduler file {tmp_path / 'scheduler.json'} does not exist" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["local:0", "local:many", "nowhere"])
def test_a_malformed_address_is_refused_at_parse_time(images, value, capsys):
    root, _ = images
    with pytest.raises(SystemExit) as stop:
        main(["count", str(root), "--dask", value, *COUNT])
    assert stop.value.code == 2
    assert "--dask" in capsys.readouterr().err


def test_ctrl_c_cancels_the_tasks_and_writes_what_was_counted(images, tmp_path, cluster, monkeypatch, capsys):
    root, _ = images
    real = worker.count_file

    def slow_second_image(request, predictor, path, name, *args, **kwargs):
        if name == "sub/img1.tif":
            time.sleep(0.3)  # the first result is collected by now
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl+C while the client waits for this image
            time.sleep(0.3)
        return real(request, predictor, path, name, *args, **kwargs)

    monkeypatch.setattr(worker, "count_file", slow_second_image)
    out = tmp_path / "r.xlsx"
    assert main(["count", str(root), "--out", str(out), "--dask", cluster.scheduler_address, *COUNT]) == 130
    book = read_workbook(out)
    counted = [row["image"] for row in book["Images"]]
    assert counted == ["broken.tif", "img0.png", "img2.png"]  # those before sub/img1.tif, in input order
    assert {row["key"]: row["value"] for row in book["Info"]}["status"] == "cancelled after 3 of 5 images"
    deadline = time.monotonic() + 10
    while cluster.scheduler.tasks and time.monotonic() < deadline:  # the queued images were cancelled
        time.sleep(0.05)
    assert not cluster.scheduler.tasks


def test_cancel_stops_between_images(images, cluster):
    root, _ = images
    request = CountRequest(inputs=(root,), model="classical")
    events = list(count_batch_on_cluster(request, DaskAddress("scheduler", cluster.scheduler_address),
                                         cancel=lambda: True))
    assert sum(isinstance(e, ImageCounted) for e in events) == 1
    assert isinstance(events[-1], BatchFinished) and events[-1].cancelled


def test_a_worker_that_cannot_read_the_images_stops_the_batch_before_it_starts(tmp_path):
    problem = worker.probe([tmp_path / "elsewhere.tif"], "classical", False, 1)
    assert "elsewhere.tif does not exist on the Dask worker" in problem and "shared file system" in problem
    assert worker.probe([], "no-such-model", False, 1).startswith("the Dask worker")


PRELOAD = '''
import json
import os
from cellcounter_app.cluster import worker

real = getattr(worker, "original_count_file", worker.count_file)  # preloads may run more than once
worker.original_count_file = real


def count_file(request, predictor, path, name, *args, **kwargs):
    if name == "img2.png":
        os._exit(1)  # the worker process dies, as it would out of memory
    return real(request, predictor, path, name, *args, **kwargs)


worker.count_file = count_file
'''


@pytest.mark.slow
def test_an_image_that_kills_its_workers_is_an_error_row_and_the_batch_goes_on(images, tmp_path, monkeypatch):
    root, expected = images
    monkeypatch.setattr(worker, "count_file", worker.count_file)  # restored should the preload run here too
    preload = tmp_path / "kill_on_img2.py"
    preload.write_text(PRELOAD)
    out = tmp_path / "r.xlsx"
    # as for local:N (cluster.client.LOCAL_WORKERS_CONFIG): one image per one-thread worker, so only the
    # image that kills a worker is blamed for it
    with dask.config.set({"distributed.scheduler.allowed-failures": 1, "distributed.scheduler.worker-saturation": 1.0}):
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                      preload=[str(preload)],
                                      local_directory=str(tmp_path / "dask")) as local:
            assert main(["count", str(root), "--out", str(out), "--dask", local.scheduler_address, *COUNT]) == 0
    images_rows = {row["image"]: row for row in read_workbook(out)["Images"]}
    assert images_rows["img2.png"]["status"] == "error"
    assert "died each time it was tried" in images_rows["img2.png"]["error"]
    assert {name: row["count"] for name, row in images_rows.items() if row["status"] == "ok"} == {
        name: n for name, n in expected.items() if name != "img2.png"}


def test_the_counting_core_does_not_import_dask():
    code = ("import sys, cellcounter_app.pipeline, cellcounter_app.cli, cellcounter_app.cluster; "
            "print(sorted(m for m in ('dask', 'distributed') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr


def test_a_scheduler_file_names_the_scheduler(images, tmp_path, cluster):
    root, expected = images
    scheduler_file = tmp_path / "scheduler.json"
    scheduler_file.write_text(json.dumps({"type": "Scheduler", "address": cluster.scheduler_address}))
    out = tmp_path / "r.xlsx"
    assert main(["count", str(root), "--out", str(out), "--dask", str(scheduler_file), *COUNT]) == 0
    assert {r["image"]: r["count"] for r in read_workbook(out)["Images"] if r["status"] == "ok"} == expected


@pytest.mark.slow
def test_local_workers_have_the_malloc_of_a_plain_run(monkeypatch):
    for name in ("MALLOC_TRIM_THRESHOLD_", "OMP_NUM_THREADS"):  # set here by any earlier nanny
        monkeypatch.delenv(name, raising=False)
    with open_client(DaskAddress("local", workers=1)) as client:
        trim, threads = (client.submit(os.getenv, name, pure=False).result()
                         for name in ("MALLOC_TRIM_THRESHOLD_", "OMP_NUM_THREADS"))
    assert trim is None  # Dask's 65536 made counting 1.7x slower
    assert threads == "1"  # the rest of Dask's worker environment stays
