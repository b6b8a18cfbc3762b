"""Detection, segmentation and counting metrics (definitions in ``SCIENCE.md``).

Arrays in, small result records out; no Qt, no torch.

* `match_points` / `match_labels`: one-to-one matching by centroid distance or
  IoU, giving a `MatchResult` (TP, FP, FN, precision, recall, F1, accuracy);
  `aggregate` micro-averages them over images.
* `segmentation_scores`: mean IoU, Cell Tracking Challenge SEG, Dice,
  boundary Dice.
* `counting_metrics`: MAE, median AE, MPE, R² of per-image counts.
* `threshold_sweep`: precision/recall/F1 over heatmap thresholds, PR-AUC,
  best-F1 threshold and knee.
* `evaluate_labels`: all per-image scores in one dict.
"""

from __future__ import annotations

from .counting import counting_metrics
from .matching import MatchResult, aggregate, centroids, match_labels, match_points
from .report import evaluate_labels
from .segmentation import OverlapTable, boundary_dice, object_boundaries, overlap_table, segmentation_scores
from .sweep import DEFAULT_THRESHOLDS, SweepResult, iter_threshold_sweep, pr_auc, threshold_sweep

__all__ = [
    "DEFAULT_THRESHOLDS",
    "MatchResult",
    "OverlapTable",
    "SweepResult",
    "aggregate",
    "boundary_dice",
    "centroids",
    "counting_metrics",
    "evaluate_labels",
    "iter_threshold_sweep",
    "match_labels",
    "match_points",
    "object_boundaries",
    "overlap_table",
    "pr_auc",
    "segmentation_scores",
    "threshold_sweep",
]
