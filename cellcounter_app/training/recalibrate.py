"""Change a built model's post-processing defaults in place: the ONNX metadata and its card.

    python -m cellcounter_app.training.recalibrate models/cells.onnx --set min_stain=1.5 \\
        --why "bench/tune_stain.py, leave-one-lab-out on the real sets"

The network is untouched; only ``postprocess`` in the file's metadata, the
card's ``postprocess``, a line in the card's ``calibration.changes`` and one
in its Markdown page move,
so the model keeps its weights and every measured number stays attributable.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

import onnx

from ..atomic import atomic_write_bytes
from ..inference.metadata import ModelMeta
from ..postprocess import PostprocessParams


def set_postprocess(path: Path, changes: Mapping[str, Any], why: str) -> ModelMeta:
    """Write ``changes`` into the post-processing defaults of the ONNX model at ``path`` (and its card)."""
    proto = onnx.load(str(path))
    props = {p.key: p.value for p in proto.metadata_props}
    meta = ModelMeta.from_props(props, path.stem)
    params = PostprocessParams.from_dict(changes, base=meta.default_params())
    meta = ModelMeta(**{**meta.__dict__, "postprocess": params.to_dict()})
    del proto.metadata_props[:]
    onnx.helper.set_model_props(proto, {**props, **meta.to_props()})
    atomic_write_bytes(path, proto.SerializeToString())
    card_path = path.with_suffix(".json")
    if card_path.is_file():
        card = json.loads(card_path.read_text())
        card["postprocess"] = params.to_dict()
        change = {"when": datetime.now(timezone.utc).strftime("%Y-%m-%d"), "set": dict(changes), "why": why}
        card.setdefault("calibration", {}).setdefault("changes", []).append(change)
        atomic_write_bytes(card_path, json.dumps(card, indent=2, sort_keys=False).encode())
    page = path.with_suffix(".md")
    if page.is_file():
        text = page.read_text()
        heading = "\n## Post-processing changed after the build\n"
        if heading not in text:
            text = text.rstrip("\n") + "\n" + heading
        settings = ", ".join(f"`{k}` = {v}" for k, v in changes.items())
        atomic_write_bytes(page, (text.rstrip("\n") + f"\n\n- {settings}: {why}\n").encode())
    return meta


def _value(text: str) -> tuple[str, Any]:
    name, _, value = text.partition("=")
    return name.strip(), json.loads(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--set", dest="changes", action="append", type=_value, required=True, metavar="NAME=VALUE")
    parser.add_argument("--why", required=True, help="how the value was chosen (recorded in the card)")
    args = parser.parse_args(argv)
    meta = set_postprocess(args.model, dict(args.changes), args.why)
    print(f"{args.model}: {json.dumps(meta.postprocess)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
