"""Turn what the decoders raise into short, human reasons for `ImageReadError`."""

from __future__ import annotations

import struct
import zlib

DECODER_ERRORS: tuple[type[BaseException], ...] = (
    ValueError,
    OSError,
    RuntimeError,
    EOFError,
    SyntaxError,
    struct.error,
    zlib.error,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
)
"""What tifffile, imagecodecs and Pillow raise on broken files (imagecodecs'
errors derive from RuntimeError; Pillow raises SyntaxError for some broken
headers).  Each is re-raised as `ImageReadError`, chained to the original."""

NO_MEMORY = "not enough memory to read this image"

_TRUNCATION_HINTS = ("truncated", "failed to read", "unexpected end", "eof", "not enough data")
_MAX_DETAIL = 120


def decoder_reason(exc: BaseException, kind: str) -> str:
    """A short reason for a ``kind`` ("TIFF", "PNG", ...) file the decoder rejected.

    Examples
    --------
    >>> decoder_reason(OSError("image file is truncated"), "PNG")
    'truncated PNG file (image file is truncated)'
    >>> decoder_reason(RuntimeError("bad Huffman table"), "JPEG")
    'corrupt JPEG file (RuntimeError: bad Huffman table)'
    """
    detail = str(exc).strip() or type(exc).__name__
    if len(detail) > _MAX_DETAIL:
        detail = detail[: _MAX_DETAIL - 1] + "…"
    if isinstance(exc, EOFError) or any(hint in detail.lower() for hint in _TRUNCATION_HINTS):
        return f"truncated {kind} file ({detail})"
    if isinstance(exc, (OSError, ValueError)):
        return f"corrupt {kind} file ({detail})"
    return f"corrupt {kind} file ({type(exc).__name__}: {detail})"
