"""A CellCounter model stored as an ONNX file, run with ONNX Runtime."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np
import onnxruntime as ort
from scipy import special

from ..errors import ModelError
from .channels import adapt_channels
from .metadata import ModelMeta, has_metadata
from .normalize import compute_stats
from .predictor import CancelCallback, TileCallback
from .session import CPU, first_line, choose_session, open_session, session_options
from .tiling import predict_tiled

logger = logging.getLogger(__name__)

_HUGE = 1e30

SINGLE_TILE_PIXELS = 2_600_000
"""Images up to this many pixels (about 1600 x 1600) run in one piece: no tile overlap
to compute twice. The 1.9M-parameter c-ResUnet needs about 1.3 GB for that; larger
images are tiled at the model's ``tile_size`` so memory stays bounded."""


class OnnxModel:
    """A `Predictor` backed by an ONNX file that follows the CellCounter contract.

    Parameters
    ----------
    path : str or Path
        The ``.onnx`` file; its ``cellcounter.*`` metadata is read and checked.
    use_gpu : bool
        Use CUDA when ONNX Runtime offers it and it really runs.
    threads : int, optional
        CPU threads (default: all cores).

    Attributes
    ----------
    path : Path
    meta : ModelMeta
        Read from the file (named after the file stem when it has no name).
    sha256 : str
        SHA-256 of the file.
    providers : list of str
        The session's execution providers, the one in use first.
    tile_size, tile_overlap, input_multiple : int
        Tiling geometry (from the metadata, or forced by a fixed-size graph input).

    Raises
    ------
    ModelError
        The file is missing, not ONNX, or breaks the contract (bad metadata,
        input not float32 NCHW, channel count differing from the metadata).
    """

    def __init__(self, path: str | Path, *, use_gpu: bool = True, threads: int | None = None):
        self.path = Path(path)
        self._threads = threads
        self._session = choose_session(self.path, use_gpu=use_gpu, threads=threads)
        props = self._session.get_modelmeta().custom_metadata_map
        try:
            self.meta = ModelMeta.from_props(props, fallback_name=self.path.stem)
        except ModelError as exc:
            raise ModelError(f"{self.path}: {exc}") from exc
        if not has_metadata(props):
            logger.warning("%s has no CellCounter metadata: it is named %r and uses the default settings"
                           " (sigmoid output, channel 0, percentile normalisation, model size unknown)",
                           self.path, self.meta.name)
        self.input_name, fixed_side = self._check_input()
        self._fixed_size = bool(fixed_side)
        self.single_tile_pixels = SINGLE_TILE_PIXELS
        self.tile_size = fixed_side or self.meta.tile_size
        self.input_multiple = fixed_side or self.meta.input_multiple
        self.tile_overlap = min(self.meta.tile_overlap, (self.tile_size - 1) // 2)
        self.sha256 = file_sha256(self.path)
        if self.provider != CPU:
            self._probe()

    @property
    def providers(self) -> list[str]:
        return list(self._session.get_providers())

    @property
    def provider(self) -> str:
        """The execution provider really in use."""
        return self.providers[0]

    def predict(
        self,
        image: np.ndarray,
        *,
        on_tile: TileCallback | None = None,
        cancel: CancelCallback | None = None,
    ) -> np.ndarray:
        """Cell probability of every pixel of ``image``.

        The image is fitted to the model's channels (`adapt_channels`),
        normalised with statistics of the whole image (`compute_stats`) and
        run tile by tile (`predict_tiled`).

        Parameters
        ----------
        image : ndarray
            2-D ``(H, W)`` or channels-last ``(H, W, C)``, any numeric dtype.
        on_tile, cancel : callable, optional
            See `Predictor.predict`.

        Returns
        -------
        ndarray
            ``(H, W)`` in [0, 1]: float32, float16 for a very large image
            (`cellcounter_app.inference.maps`).  After a very large image the
            runtime's memory pool is given back (`release_pool`).
        """
        chw = adapt_channels(image, self.meta.input_channels)
        stats = compute_stats(chw, self.meta.normalization, channel_axis=0)
        probability = predict_tiled(
            self._run, chw, tile=self.tile_for(chw.shape[1:]), overlap=self.tile_overlap, multiple=self.input_multiple,
            prepare=stats.apply, on_tile=on_tile, cancel=cancel,
        )
        if probability.dtype == np.float16:
            self.release_pool()
        return np.clip(probability, 0.0, 1.0, out=probability)

    def release_pool(self) -> None:
        """Give back the memory ONNX Runtime keeps for the next tiles (0.1-0.5 GiB after 512-1024 px tiles).

        A tiny run with arena shrinkage frees every chunk it does not use (about 30 ms); the next
        image grows the pool again (about a tenth of a second), so this is done only after very
        large images, whose post-processing needs the memory.
        """
        options = ort.RunOptions()
        options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
        side = self.input_multiple  # a fixed-size graph's own side
        tiny = np.zeros((1, self.meta.input_channels, side, side), np.float32)
        try:
            self._session.run(None, {self.input_name: tiny}, options)
        except Exception as exc:  # ORT raises several unrelated exception types; the memory is only kept
            logger.debug("%s: the runtime's memory pool was not released: %s", self.path.name, first_line(exc))

    def tile_for(self, shape: tuple[int, ...]) -> int:
        """Tile side for an image of ``shape``: the whole image when it is small enough."""
        height, width = shape[:2]
        if self._fixed_size or height * width > self.single_tile_pixels:
            return self.tile_size
        whole = -(-max(height, width) // self.input_multiple) * self.input_multiple
        return max(self.tile_size, whole)

    def _run(self, tile: np.ndarray) -> np.ndarray:
        try:
            output = self._session.run(None, {self.input_name: tile[np.newaxis]})[0]
        except Exception as exc:  # ORT raises several unrelated exception types
            if self.provider == CPU:
                raise ModelError(f"{self.path}: inference failed on a {tile.shape} tile: {exc}") from exc
            # the accelerator failed while running (out of memory, a lost device, a missing kernel): the
            # rest runs on the CPU, and the results record the provider really used
            logger.warning("%s: %s failed on a %s tile (%s); going on on the CPU", self.path.name, self.provider,
                           tile.shape, first_line(exc))
            self._session = open_session(self.path, [CPU], session_options(self._threads))
            return self._run(tile)
        try:
            return to_probability(output, self.meta.output, self.meta.foreground_channel)
        except ModelError as exc:
            raise ModelError(f"{self.path}: {exc}") from exc

    def _check_input(self) -> tuple[str, int]:
        """Input name and fixed square side (0 when height and width are dynamic)."""
        inputs = self._session.get_inputs()
        if len(inputs) != 1:
            raise ModelError(f"{self.path}: the graph must have one input, it has {len(inputs)}")
        spec = inputs[0]
        if spec.type != "tensor(float)" or len(spec.shape) != 4:
            raise ModelError(f"{self.path}: the input must be a float32 NCHW tensor, got {spec.type} {spec.shape}")
        channels, height, width = spec.shape[1:]
        if isinstance(channels, int) and channels != self.meta.input_channels:
            raise ModelError(
                f"{self.path}: the graph reads {channels} channels but its metadata says"
                f" input_channels={self.meta.input_channels}"
            )
        fixed = [side for side in (height, width) if isinstance(side, int) and side > 0]
        if not fixed:
            return spec.name, 0
        if len(fixed) != 2 or height != width:
            raise ModelError(f"{self.path}: a fixed input size must be square, got {height}x{width}")
        return spec.name, int(height)

    def check_output_channels(self) -> None:
        """Raise `ModelError` unless the metadata's output channels exist in the graph's first output.

        Only a fixed channel count is checked (a symbolic one is checked on the first tile, by
        `to_probability`). `load_model` calls this, so a model is refused before any image is read.
        """
        shape = self._session.get_outputs()[0].shape
        channels = shape[1] if len(shape) == 4 else 1 if len(shape) == 3 else None
        if not isinstance(channels, int) or channels < 1:
            return
        for name in ("foreground_channel", "boundary_channel"):
            value = getattr(self.meta, name)
            if value is not None and value >= channels:
                raise ModelError(f"{self.path}: {name} must be an integer from 0 to {channels - 1} (the graph's"
                                 f" output has {channels} channel(s)), got {value}")

    def _probe(self) -> None:
        """Run one small tile on the accelerator; fall back to the CPU if it fails."""
        side = self.input_multiple
        try:
            self._session.run(None, {self.input_name: np.zeros((1, self.meta.input_channels, side, side), np.float32)})
        except Exception as exc:  # ORT raises several unrelated exception types
            logger.warning("%s: %s fails to run (%s); using the CPU", self.path.name, self.provider, exc)
            self._session = open_session(self.path, [CPU], session_options(self._threads))


def to_probability(output: np.ndarray, kind: str, channel: int) -> np.ndarray:
    """Turn one network output into a float32 ``(H, W)`` probability in [0, 1].

    Parameters
    ----------
    output : ndarray
        ``(1, C, H, W)``, or ``(1, H, W)`` for a single channel.
    kind : {"sigmoid", "logits", "softmax"}
        ``sigmoid``: already a probability; ``logits``: a sigmoid is applied;
        ``softmax``: class scores, softmax over ``C``.
    channel : int
        The foreground channel.

    Examples
    --------
    >>> float(to_probability(np.zeros((1, 1, 2, 2)), "logits", 0)[0, 0])
    0.5
    >>> float(to_probability(np.array([[[[0.0]], [[0.0]]]]), "softmax", 1)[0, 0])
    0.5
    """
    out = np.asarray(output, dtype=np.float32)
    if out.ndim == 3:
        out = out[:, np.newaxis]
    if out.ndim != 4 or out.shape[0] != 1:
        raise ModelError(f"the network output must be (1, C, H, W), got shape {out.shape}")
    out = np.nan_to_num(out[0], nan=0.0, posinf=_HUGE, neginf=-_HUGE)
    if not 0 <= channel < out.shape[0]:
        raise ModelError(f"foreground_channel must be in [0, {out.shape[0] - 1}] for this output, got {channel}")
    if kind == "softmax":
        probability = special.softmax(out, axis=0)[channel]
    elif kind == "logits":
        probability = special.expit(out[channel])
    else:
        probability = out[channel]
    return np.clip(probability, 0.0, 1.0).astype(np.float32, copy=False)


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()

