"""``cellcounter models``: list the models found (bundled, user folder, built-in ``classical``)."""

from __future__ import annotations

import argparse

from ..inference import list_models, model_dirs


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("models", help="list the available models",
                            description="List the models CellCounter finds, in lookup order.")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    entries = list_models()
    width = max(len(e.name) for e in entries)
    print(f"{'name':<{width}}  {'version':<8}  {'source':<8}  location / description")
    for e in entries:
        where = str(e.path) if e.path else e.description
        print(f"{e.name:<{width}}  {e.version:<8}  {e.source:<8}  {where}")
    print("\nSearched, in order: " + ", ".join(str(d) for d in model_dirs()))
    return 0
