"""How the window says which cell diameter an image was counted with (Qt-free)."""

from __future__ import annotations

import math
from typing import Any, Mapping

UNSURE = 0.5
"""Below this confidence an automatic estimate is called uncertain."""


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def diameter_text(params: Mapping[str, Any], pixel_size_um: Any = None) -> str:
    """The diameter used (``params['diameter_px']``), where it came from and, for ``auto``, how sure.

    Examples
    --------
    >>> diameter_text({"diameter": "auto", "diameter_px": 24.2, "diameter_confidence": 0.83})
    'estimated 24 px (sure 0.8)'
    >>> diameter_text({"diameter": "um", "diameter_px": 28.0}, 0.5)
    '28 px = 14.0 µm (set in µm)'
    >>> diameter_text({"diameter": "model", "diameter_px": float("nan")})
    "the model's own size (not rescaled)"
    >>> diameter_text({})
    ''
    """
    if not params:
        return ""
    source = str(params.get("diameter") or "")
    diameter = _number(params.get("diameter_px"))
    if diameter is None or diameter <= 0:
        if source == "auto":
            return "auto: no estimate found; counted at the model's own size"
        return "the model's own size (not rescaled)" if source in ("model", "") else ""
    pixel = _number(pixel_size_um)
    text = f"{diameter:.0f} px" + (f" = {diameter * pixel:.1f} µm" if pixel and pixel > 0 else "")
    if source == "auto":
        confidence = _number(params.get("diameter_confidence"))
        text = f"estimated {text}" + (f" (sure {confidence:.1f})" if confidence is not None else "")
        if confidence is not None and confidence < UNSURE:
            text += " — uncertain: set the cell diameter in Detection if the outlines look wrong"
        return text
    return text + {"px": " (set in px)", "um": " (set in µm)"}.get(source, "")
