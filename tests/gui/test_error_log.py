"""The error log: records from any thread, subscribers, the logging handler and the log file."""

from __future__ import annotations

import doctest
import logging
import threading

import pytest

from cellcounter_app.errors import CellCounterError, ParameterError
from cellcounter_app.gui import error_log as error_log_module
from cellcounter_app.gui.error_log import ErrorLog, ErrorLogHandler, install_log_file


@pytest.fixture
def root_logger():
    """The root logger, with its handlers and level restored afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def test_docstring_examples():
    assert doctest.testmod(error_log_module).failed == 0


def test_handler_forwards_warnings_with_tracebacks_and_skips_info(root_logger):
    log = ErrorLog()
    root_logger.addHandler(ErrorLogHandler(log))
    logger = logging.getLogger("cellcounter_app.test_worker")
    logger.info("counted a01.tif")
    logger.warning("a02.tif: %s", "zero-byte file")
    try:
        raise ValueError("bad pixel size")
    except ValueError:
        logger.exception("counting a03.tif failed")
    records = log.records
    assert [(r.level, r.source, r.message) for r in records] == [
        ("WARNING", "cellcounter_app.test_worker", "a02.tif: zero-byte file"),
        ("ERROR", "cellcounter_app.test_worker", "counting a03.tif failed"),
    ]
    assert records[0].details == ""
    assert "Traceback" in records[1].details and "ValueError: bad pixel size" in records[1].details
    assert "counting a03.tif failed" in records[1].as_text()


def test_records_from_threads_all_arrive(root_logger):
    log = ErrorLog()
    root_logger.addHandler(ErrorLogHandler(log))
    seen = []
    log.subscribe(lambda event, record: seen.append(threading.current_thread().name))
    threads = [threading.Thread(target=lambda i=i: [logging.getLogger("cellcounter_app.w").warning("image %d-%d", i, k)
                                                     for k in range(50)], name=f"worker-{i}")
               for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(log) == 200 and sorted(set(seen)) == [f"worker-{i}" for i in range(4)]


def test_a_subscriber_that_logs_does_not_loop(root_logger):
    log = ErrorLog()
    root_logger.addHandler(ErrorLogHandler(log))
    log.subscribe(lambda event, record: logging.getLogger("cellcounter_app.panel").warning("shown %s", record.message))
    logging.getLogger("cellcounter_app.worker").warning("first")
    assert [r.message for r in log.records] == ["first"]


def test_bounded_clear_and_unsubscribe():
    log = ErrorLog(max_records=3)
    events = []
    unsubscribe = log.subscribe(lambda event, payload: events.append(event))
    for i in range(5):
        log.record("batch", f"error {i}")
    assert [r.message for r in log.records] == ["error 2", "error 3", "error 4"]
    log.clear()
    unsubscribe()
    log.record("batch", "after")
    assert len(log) == 1 and events == ["added"] * 5 + ["cleared"]
    with pytest.raises(ParameterError, match="between 1 and 1000000"):
        ErrorLog(max_records=0)


def test_log_file_gets_info_and_above_and_rotates(tmp_path, root_logger):
    path = tmp_path / "config" / "logs" / "cellcounter.log"
    root_logger.setLevel(logging.WARNING)
    handler = install_log_file(path, max_bytes=2048, backups=2)
    assert install_log_file(path) is handler
    assert root_logger.level == logging.INFO
    logger = logging.getLogger("cellcounter_app.test_log")
    logger.debug("not written")
    logger.info("opened project %s", "exp1")
    handler.flush()
    text = path.read_text(encoding="utf-8")
    assert "INFO cellcounter_app.test_log [MainThread] opened project exp1" in text and "not written" not in text
    for i in range(100):
        logger.warning("line %d %s", i, "x" * 40)
    handler.flush()
    assert (tmp_path / "config" / "logs" / "cellcounter.log.1").is_file()
    assert not (tmp_path / "config" / "logs" / "cellcounter.log.3").exists()


def test_log_file_in_an_unwritable_place_names_it(tmp_path, root_logger):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(CellCounterError, match="cannot write the log file .*file"):
        install_log_file(blocker / "logs" / "cellcounter.log")
    with pytest.raises(ParameterError, match="max_bytes"):
        install_log_file(tmp_path / "a.log", max_bytes=10)


def test_warnings_of_other_libraries_stay_out_of_the_panel_but_their_errors_do_not(root_logger):
    log = ErrorLog()
    root_logger.addHandler(ErrorLogHandler(log))
    logging.getLogger("tifffile").warning("invalid offset to first page")
    logging.getLogger("cellcounter_app.pipeline").warning("a.tif: the TIFF file contains no image")
    logging.getLogger("onnxruntime").error("session failed")
    assert [r.source for r in log.records] == ["cellcounter_app.pipeline", "onnxruntime"]
