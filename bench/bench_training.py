"""Training throughput: optimisation steps per second for the bundled network shapes.

Batches of ``--batch`` (default 8) 256x256 crops, the default loss, Adam; 5
warm-up steps then ``--steps`` timed steps, for c-ResUnet (1.9 M parameters)
and c-ResUnet-small (0.47 M), with and without ``channels_last``; on the CPU
(``--threads``, default 2) and, when torch sees one, on the GPU (with mixed
precision).  The network alone: the crops are random tensors already on the
device (the training loop's own rate, data preparation included, is in its
step reports).

    .venv/bin/python bench/bench_training.py [--steps 20] [--threads 2] [--batch 8] [--devices all|cpu|cuda]
"""

from __future__ import annotations

import argparse
import sys
import time

import torch

from cellcounter_app.training.config import TrainConfig
from cellcounter_app.training.losses import make_loss
from cellcounter_app.training.networks import build_network

WARM_UP = 5


def steps_per_second(network: str, device: torch.device, channels_last: bool, steps: int,
                     batch: int = 8, crop: int = 256) -> float:
    config = TrainConfig(output_dir="unused", network=network, in_channels=1)
    model = build_network(config.network_config()).to(device)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(memory_format=fmt).train()
    loss_fn = make_loss(config.loss, config.loss_options).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(0)
    images = torch.rand(batch, 1, crop, crop, generator=generator).to(device, memory_format=fmt)
    target = (torch.rand(batch, 1, crop, crop, generator=generator) > 0.8).float().to(device)
    use_amp = device.type == "cuda"

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
            loss = loss_fn(model(images).float(), target)
        loss.backward()
        optimizer.step()

    for _ in range(WARM_UP):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps / (time.perf_counter() - start)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--devices", choices=("all", "cpu", "cuda"), default="all")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    devices = [torch.device("cpu")] if args.devices != "cuda" else []
    if args.devices != "cpu" and torch.cuda.is_available():
        devices.append(torch.device("cuda"))
    if not devices:
        print("no CUDA device: nothing measured", file=sys.stderr)
        return 1
    print("| device | network | channels_last | batch | steps/s | crops/s |")
    print("|---|---|---|---|---|---|")
    for device in devices:
        label = f"CPU ({args.threads} threads)" if device.type == "cpu" else torch.cuda.get_device_name(0)
        for network in ("c-resunet", "c-resunet-small"):
            for channels_last in (True, False):
                rate = steps_per_second(network, device, channels_last, args.steps, batch=args.batch)
                print(f"| {label} | {network} | {channels_last} | {args.batch} | {rate:.2f} | {rate * args.batch:.1f} |",
                      flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
