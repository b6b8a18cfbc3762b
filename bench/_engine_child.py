"""Work the engine benchmark runs in a fresh process, one job per call.

Jobs (the last line printed is a JSON object):

``export DIR``
    Build the random-weight c-ResUnet (RGB and grey), make it follow the input
    intensity (see `follow_intensity`), export both with
    `cellcounter_app.training.export_onnx.export_onnx` and save the weights.
``compare ONNX STATE INPUT REPEATS``
    Time the same network and ``.npy`` input in ONNX Runtime (one raw
    ``session.run``) and torch eager (plain NCHW and channels_last), 2 threads
    each, the three taking turns in every round so that any background load
    hits them alike; report the largest output difference.
``rss tiled MODEL IMAGE [TILE]``
    Peak resident memory of `OnnxModel.predict` as shipped (or with tile side
    ``TILE``), then also of the `recount` that completes `count_image`.
``rss whole MODEL IMAGE [CROP]``
    Peak resident memory of a single ``session.run`` on the whole image (or
    on its top-left ``CROP`` x ``CROP`` pixels).

Torch is imported only by the ``export`` and ``compare`` jobs, so the other
ONNX Runtime measurements never share a process with it.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

THREADS = 2
GAIN = 20.0
"""Logit slope of the intensity-following network: probability = sigmoid(GAIN * (I - OFFSET))."""
OFFSET = 0.3
"""Normalised intensity at which the intensity-following network outputs 0.5."""
RANDOM_PARAMS = {"threshold": 0.5, "max_hole_size": 50, "min_size": 60, "peak_min_distance": 10}
"""Post-processing defaults stored in the random network (cells of 10-28 px diameter)."""


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB.

    On Linux this is ``VmHWM`` of ``/proc/self/status``: ``ru_maxrss`` is not
    usable in a child started by ``subprocess``, because the kernel carries
    the high-water mark of the pre-``exec`` address space (the parent's, with
    ``vfork``) over into the child.  Elsewhere ``ru_maxrss`` (KiB on Linux and
    BSD, bytes on macOS) is the best there is.
    """
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 * 1024.0 if sys.platform == "darwin" else 1024.0)


def follow_intensity(net: Any, in_channels: int) -> None:
    """Set weights so the output is ``sigmoid(GAIN * (mean normalised intensity - OFFSET))``.

    The 1x1 colour convolution averages the channels; the second batch norm
    of the first encoder block and of the last decoder block get zero scale
    and shift, so those blocks pass their 1x1 shortcut through; shortcut
    channel 0 carries the intensity from the colour convolution to the head,
    whose only non-zero weight reads it.  Every layer still runs at full
    width (dense convolutions do not skip zeros), so the cost is exactly
    that of a trained c-ResUnet, while the probability map has realistic
    blobs for the post-processing to work on.
    """
    import torch

    with torch.no_grad():
        net.colour.weight.fill_(1.0 / in_channels)
        net.colour.bias.zero_()
        for block in (net.encoder[0], net.decoder[-1]):
            block.body[-1].weight.zero_()
            block.body[-1].bias.zero_()
        net.encoder[0].shortcut.weight[0].zero_()
        net.encoder[0].shortcut.weight[0, 0] = 1.0
        skip = net.up[-1].out_channels
        net.decoder[-1].shortcut.weight[0].zero_()
        net.decoder[-1].shortcut.weight[0, skip] = 1.0
        net.head.weight.zero_()
        net.head.weight[0, 0] = GAIN
        net.head.bias.fill_(-GAIN * OFFSET)


def job_export(folder: str) -> dict[str, Any]:
    import torch

    from cellcounter_app.inference.metadata import ModelMeta
    from cellcounter_app.training.export_onnx import export_onnx
    from cellcounter_app.training.networks import CResUnet, count_parameters

    out: dict[str, Any] = {}
    for name, channels in (("random-rgb", 3), ("random-grey", 1)):
        torch.manual_seed(0)
        net = CResUnet(in_channels=channels).eval()
        follow_intensity(net, channels)
        meta = ModelMeta(name=name, description="random weights, intensity-following head (benchmark)",
                         postprocess=RANDOM_PARAMS)
        onnx_path = export_onnx(net, meta, Path(folder) / f"{name}.onnx", opset=17)
        state = Path(folder) / f"{name}.pt"
        torch.save({"config": net.config, "state": net.state_dict()}, state)
        out[name] = {"onnx": str(onnx_path), "state": str(state), "parameters": count_parameters(net)}
    return out


def job_compare(onnx_path: str, state_path: str, input_path: str, repeats: str) -> dict[str, Any]:
    """ORT raw ``session.run`` vs torch eager (NCHW, channels_last), interleaved round by round."""
    import copy

    import torch

    from cellcounter_app.inference.session import CPU, open_session, session_options
    from cellcounter_app.training.networks import build_network

    torch.set_num_threads(THREADS)
    saved = torch.load(state_path, weights_only=True)
    plain = build_network(saved["config"])
    plain.load_state_dict(saved["state"])
    plain.eval()
    last = copy.deepcopy(plain).to(memory_format=torch.channels_last)
    array = np.load(input_path)[np.newaxis]
    x = torch.from_numpy(array)
    session = open_session(onnx_path, [CPU], session_options(THREADS))
    feed = {session.get_inputs()[0].name: array}
    outputs: dict[str, np.ndarray] = {}

    def run_ort() -> None:
        outputs["ort"] = session.run(None, feed)[0]

    def run_plain() -> None:
        outputs["plain"] = torch.sigmoid(plain(x)).numpy()

    def run_last() -> None:
        outputs["channels_last"] = torch.sigmoid(last(x.contiguous(memory_format=torch.channels_last))).numpy()

    runs: dict[str, list[float]] = {"ort": [], "plain": [], "channels_last": []}
    jobs = {"ort": run_ort, "plain": run_plain, "channels_last": run_last}
    with torch.inference_mode():
        for _ in range(int(repeats) + 1):
            for name, job in jobs.items():
                start = time.perf_counter()
                job()
                runs[name].append(time.perf_counter() - start)
    diff = max(float(np.abs(outputs["ort"] - outputs[name]).max()) for name in ("plain", "channels_last"))
    return {"threads": torch.get_num_threads(), "max_abs_diff": diff,
            **{name: times[1:] for name, times in runs.items()},
            **{name + "_warmup": times[0] for name, times in runs.items()}}


def job_rss(mode: str, model_path: str, image_path: str, size: str = "0") -> dict[str, Any]:
    from cellcounter_app.inference import ModelMeta, OnnxModel, adapt_channels, compute_stats
    from cellcounter_app.inference.session import CPU, open_session, session_options
    from cellcounter_app.io import read_image
    from cellcounter_app.pipeline import effective_params, recount

    if mode not in ("tiled", "whole"):
        raise ValueError(f"rss mode must be 'tiled' or 'whole', got {mode!r}")
    loaded = read_image(image_path)
    image = loaded.data
    if mode == "whole":
        if int(size):
            image = np.ascontiguousarray(image[: int(size), : int(size)])
        session = open_session(model_path, [CPU], session_options(THREADS))
        meta = ModelMeta.from_props(session.get_modelmeta().custom_metadata_map)
        chw = adapt_channels(image, meta.input_channels)
        x = compute_stats(chw, meta.normalization, channel_axis=0).apply(chw)
        m = meta.input_multiple
        x = np.pad(x, ((0, 0), (0, -x.shape[1] % m), (0, -x.shape[2] % m)), mode="reflect")[np.newaxis]
        ready = peak_rss_mb()
        start = time.perf_counter()
        session.run(None, {session.get_inputs()[0].name: x})
        return {"mode": mode, "pixels": int(image.shape[0] * image.shape[1]), "ready_mb": ready,
                "peak_mb": peak_rss_mb(), "seconds": time.perf_counter() - start}
    model = OnnxModel(model_path, use_gpu=False, threads=THREADS)
    if int(size):
        model.tile_size = int(size)
        model.single_tile_pixels = 0
    ready = peak_rss_mb()
    start = time.perf_counter()
    probability = model.predict(image)
    seconds = time.perf_counter() - start
    predicted = peak_rss_mb()
    recount(probability, image, effective_params(model), loaded.pixel_size_um)
    return {"mode": mode, "pixels": int(image.shape[0] * image.shape[1]), "ready_mb": ready,
            "peak_mb": predicted, "seconds": seconds, "count_peak_mb": peak_rss_mb()}


JOBS = {"export": job_export, "compare": job_compare, "rss": job_rss}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in JOBS:
        sys.stderr.write(f"usage: _engine_child.py {{{','.join(JOBS)}}} ARGS...; got {argv}\n")
        return 2
    result = JOBS[argv[0]](*argv[1:])
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
