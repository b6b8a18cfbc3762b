"""Model cards: a JSON record and a Markdown page next to each exported model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..export import atomic_write_bytes

COLUMNS = ("f1", "precision", "recall", "mae", "mpe", "r2", "n_images", "seconds_per_image")


def write_card(card: dict[str, Any], folder: Path) -> tuple[Path, Path]:
    """Write ``<name>.json`` and ``<name>.md`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    json_path = folder / f"{card['name']}.json"
    md_path = folder / f"{card['name']}.md"
    atomic_write_bytes(json_path, json.dumps(card, indent=2, sort_keys=False).encode())
    atomic_write_bytes(md_path, markdown(card).encode())
    return json_path, md_path


def markdown(card: dict[str, Any]) -> str:
    training, cal, split = card["training"], card["calibration"], card["split"]
    lines = [
        f"# Model card: `{card['name']}` {card['version']}", "",
        card["description"], "",
        "## Use", "",
        f"`cellcounter count FOLDER --model {card['name']} --diameter auto` (or `--diameter 12um` / `30px`).",
        f"The network was trained with cells rescaled to a median diameter of {card['canonical_diameter_px']:g} px;"
        f" the engine resizes each image so its cells are {_working_diameter(card):g} px across"
        + (" (calibrated, see below)." if card["calibration"].get("size") else "."), "",
        "## Training", "",
        f"- Network: {card['recipe']['network']}, {card['recipe']['in_channels']} input channel(s), "
        + _output_words(card['recipe'])
        + f"loss `{card['recipe']['loss']}`, crops {card['recipe']['crop_size']} px,"
        f" batch {card['recipe']['batch_size']}" + _zoom_words(card['recipe']) + _acquisition_words(card['recipe'])
        + ".",
        *[f"- Earlier stage {stage}" for stage in card["recipe"].get("history", ())],
        *([f"- Started from the weights `{card['initial_weights']['file']}` (sha256 "
           f"`{card['initial_weights']['sha256'][:16]}…`), trained with the same seed and split, so the"
           " validation and held-out images were never trained on."]
          if card.get("initial_weights") else []),
        f"- {training['steps']} steps in {training['minutes']:.1f} min ({training['stop']}) on {training['hardware']};"
        f" whole build {training['total_minutes']:.1f} min.",
        f"- Split (seed {split['seed']}, validation fraction {split['val_fraction']}): "
        + ", ".join(f"{k}: {v['train']} train / {v['val']} val" for k, v in split["by_source"].items())
        + (f"; plus {split['synthetic_train']} synthetic training and {split['synthetic_val']} synthetic"
           " validation images" if split.get("synthetic_train") else ""),
        f"- Held out entirely: {len(split['held_out'])} images ({', '.join(sorted({n.split('/')[0] for n in split['held_out']}))}).",
        f"- Recipe: `{card['command']}`", "",
        "## Calibration (validation split, canonical size)", "",
        f"Threshold {cal['threshold_best_f1']:.3f} (best F1; knee {cal['threshold_knee']:.3f}), minimum size "
        f"{cal['min_size']} px² at the canonical size: F1 {cal['f1']:.3f}, precision {cal['precision']:.3f}, "
        f"recall {cal['recall']:.3f}."
        + _split_words(card.get("postprocess", {}))
        + (f" The cells found are grown by {card['postprocess']['grow']} px (to the median area of the annotated"
           " cells)." if card.get("postprocess", {}).get("grow") else ""), "",
        *_size_lines(card),
        "## Accuracy", "",
        "Counted through the engine (`cellcounter evaluate`), each image at the median diameter of its own labels"
        " (`truth`), estimated (`auto`) or assumed to be the model's own working size (`model`, the default of"
        " the CLI and the window when no diameter is set); centroid matching within half the median cell diameter"
        " of each image, one-to-one. `classical` is measured in the same run.", "",
    ]
    for set_name, rows in card["evaluation"].items():
        lines += [f"### {set_name}", "", "| method | " + " | ".join(COLUMNS) + " |",
                  "|---" * (len(COLUMNS) + 1) + "|"]
        for method, row in rows.items():
            lines.append(f"| {method} | " + " | ".join(_fmt(row.get(c)) for c in COLUMNS) + " |")
        lines.append("")
    lines += [
        "## Speed", "",
        f"{card['seconds_per_1200x1600_image']:.2f} s per 1200×1600 image end to end (CPU, 2 threads).", "",
        "## Licence and data", "", card["licence"], "",
    ]
    return "\n".join(lines)


def _output_words(recipe: dict[str, Any]) -> str:
    """How the network's output is read, for the training line (empty for a plain cell probability)."""
    if recipe.get("n_classes", 1) == 3:
        return "3 classes (background / cell interior / boundary), "
    if recipe.get("target") == "distance":
        return "distance-map output, "
    return ""


def _zoom_words(recipe: dict[str, Any]) -> str:
    """The zoom augmentation of the recipe, for the training line (empty in cards written before it was recorded)."""
    zoom = recipe.get("zoom")
    if not zoom:
        return ""
    return (f", {round(100 * recipe.get('p_zoom', 0.5))} % of the crops zoomed {zoom[0]:g}–{zoom[1]:g}×"
            " (cells of that many times the working size)")


def _acquisition_words(recipe: dict[str, Any]) -> str:
    """The acquisition augmentation of the recipe, for the training line (empty when off or not recorded)."""
    p = recipe.get("p_acquisition") or 0.0
    if not p:
        return ""
    return (f"; {round(100 * p)} % of the crops given an uneven background and, drawn apart, {round(100 * p)} %"
            f" photon noise of a dim exposure and {round(50 * p)} % saturation (renormalised as inference does)")


def _split_words(post: dict[str, Any]) -> str:
    """The calibrated seed distance and border rule, for the calibration line (empty when not recorded)."""
    words = ""
    if post.get("split_touching") and post.get("peak_min_distance"):
        words += f" Touching cells are split with seeds at least {post['peak_min_distance']} px apart."
    fraction = post.get("border_min_fraction", 1.0)
    if fraction < 1:
        words += (f" Cells cut by the image border are kept down to {fraction:g} × the minimum size"
                  f" ({round(fraction * post.get('min_size', 0))} px²).")
    return words


def _working_diameter(card: dict[str, Any]) -> float:
    size = card["calibration"].get("size")
    return float(size["diameter_px"]) if size else float(card["canonical_diameter_px"])


def _size_lines(card: dict[str, Any]) -> list[str]:
    """The cell-size calibration (`training.scale_calibration`), when the card has one."""
    size = card["calibration"].get("size")
    if not size:
        return []
    rows = ", ".join(f"{row['factor']:g}: {row['f1']:.3f} ({row['mpe']:+.1f} %)" for row in size["table"])
    return [
        f"Cell size: trained at {card['canonical_diameter_px']:g} px, the model declares {size['diameter_px']:g} px"
        f" (size factor {size['factor']:g}, best validation F1 counted through the engine; F1 and MPE per factor:"
        f" {rows}). The engine resizes each image so its cells are {size['diameter_px']:g} px across.", "",
    ]


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)
