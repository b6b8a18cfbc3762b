"""How many CPU threads torch uses for training (the CLI's ``--threads``)."""

from __future__ import annotations

import torch

from ..errors import ParameterError


def set_threads(threads: int) -> int:
    """Use ``threads`` CPU threads (>= 1; 0 leaves torch's default); returns the number in use.

    Examples
    --------
    >>> set_threads(0) == torch.get_num_threads()
    True
    """
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 0:
        raise ParameterError(f"threads must be 0 (all cores) or a number >= 1, got {threads!r}")
    if threads:
        torch.set_num_threads(threads)
    return torch.get_num_threads()
