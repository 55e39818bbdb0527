"""Time and size each shipped critic: the ensemble (the shipped policy's reward) against its members.

The ensemble critic scores an image with every member, so a fixed-critic training step pays for
each member's forward and backward pass. This prints, measured side by side in one run on the
same batches: the milliseconds of one forward and of one forward + backward to the images (what
the actor's update does), the parameters and their megabytes, and each critic's ratio to the
embedded one.

    OMP_NUM_THREADS=1 python bench/critic.py --batch 32 --repeats 20
"""

from __future__ import annotations

import argparse
import time

import torch

from exposure_env.rewards.functions import PACKAGED_CRITICS, load_critic


def timed(function, repeats: int) -> float:
    """Median milliseconds of ``function()`` over ``repeats`` calls, after one warm-up call."""
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(1e3 * (time.perf_counter() - start))
    return sorted(times)[len(times) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=32, help="images per call (default: 32, the actor's minibatch)")
    parser.add_argument("--size", type=int, default=64, help="image side in pixels (default: 64)")
    parser.add_argument("--repeats", type=int, default=20, help="timed calls per critic (default: 20)")
    args = parser.parse_args()
    images = torch.rand(args.batch, 3, args.size, args.size, generator=torch.Generator().manual_seed(0))

    def forward(critic) -> None:
        with torch.no_grad():
            critic(images)

    def backward(critic) -> None:  # the actor's step: the gradient reaches the images, not the critic
        batch = images.clone().requires_grad_(True)
        critic(batch).sum().backward()

    rows = []
    for name in PACKAGED_CRITICS:
        critic = load_critic(name).requires_grad_(False)
        parameters = sum(parameter.numel() for parameter in critic.parameters())
        rows.append((name, timed(lambda: forward(critic), args.repeats), timed(lambda: backward(critic), args.repeats),
                     parameters))
    print(f"{args.batch} images of {args.size}x{args.size}, torch threads {torch.get_num_threads()}, median of "
          f"{args.repeats} calls")
    base_forward, base_backward, base_parameters = rows[0][1:]
    for name, forward_ms, backward_ms, parameters in rows:
        print(f"{name:9s} forward {forward_ms:7.2f} ms ({forward_ms / base_forward:4.2f}x)  forward+backward "
              f"{backward_ms:7.2f} ms ({backward_ms / base_backward:4.2f}x)  {parameters:,} parameters, "
              f"{4 * parameters / 2**20:.1f} MB ({parameters / base_parameters:4.2f}x)")


if __name__ == "__main__":
    main()
