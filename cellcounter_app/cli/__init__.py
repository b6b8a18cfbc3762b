"""The ``cellcounter`` command line: ``count``, ``evaluate``, ``models``, ``train``, ``gui``.

Exit codes: 0 success; 1 nothing could be counted; 2 a usage, model or
output problem stopped the command before it started, or an output could
not be written after counting; 130 cancelled (Ctrl+C).

What is printed is escaped (control characters in file names), each error
once, and a closed pipe (``| head``) ends the output quietly (`terminal`).
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from .. import __version__
from ..errors import CellCounterError
from . import count, evaluate, fit, gui, models, train
from .terminal import configure_logging, say, silence

EXIT_OK, EXIT_NOTHING_COUNTED, EXIT_USAGE, EXIT_CANCELLED = 0, 1, 2, 130

COMMANDS = (count, evaluate, models, train, fit, gui)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cellcounter",
        description="Count fluorescently stained cells and nuclei in microscopy images.",
    )
    parser.add_argument("--version", action="version", version=f"CellCounter {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    try:
        return int(args.run(args))
    except CellCounterError as exc:
        say(f"cellcounter: error: {exc}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        say("cellcounter: cancelled")
        return EXIT_CANCELLED
    except BrokenPipeError:  # the reader of stdout (| head) has gone: stop quietly, as Python advises
        silence(sys.stdout)
        return 1


if __name__ == "__main__":
    sys.exit(main())
