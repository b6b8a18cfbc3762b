"""CellCounter: count fluorescently stained cells and nuclei in microscopy images.

The core packages (``io``, ``inference``, ``postprocess``, ``measure``,
``metrics``, ``project``, ``export`` and ``pipeline``) import neither Qt nor
torch; ``training`` is the only torch user and ``gui`` the only Qt user.
"""

__version__ = "0.1.0"
