"""Pre-train the critic that ships with the package, on the embedded data.

Fakes (M1) are the agent's kind of failures: raw degraded crops, random-policy results (T
random EVs per segment, fused by Mertens) and expert crops re-exposed by a random global EV;
reals (M2) are the clean expert crops. Writes ``critic.pt`` and ``critic_provenance.json``
(data, steps, seed, held-out score gap) atomically.

    python -m train.pretrain_critic --steps 1500 --seed 0
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from exposure_env.data import EmbeddedPool
from exposure_env.files import atomic_write
from exposure_env.ops.exposure import expose
from exposure_env.ops.fusion import mertens_fusion
from exposure_env.ops.resize import thumbnail
from exposure_env.rewards.critic_trainer import CriticTrainer
from exposure_env.rewards.functions import PACKAGED_CRITIC, PACKAGED_CRITIC_PROVENANCE

IMAGE_SIZE = 64
NUM_SEGMENTS = 4
MAX_EV = 3.0


def random_policy_result(raw: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """P_T of a uniformly random policy on ``raw`` (T global exposures fused, Eq. 30–31)."""
    evs = rng.uniform(-MAX_EV, MAX_EV, size=NUM_SEGMENTS)
    return mertens_fusion(np.stack([expose(raw, ev) for ev in evs]))


def fake_batch(pool: EmbeddedPool, n: int, rng: np.random.Generator) -> np.ndarray:
    """``(n, S, S, 3)`` non-expert photos: a third each of raw, random-policy and mis-exposed experts."""
    fakes = []
    for i in range(n):
        sample = pool.sample(rng)
        raw = thumbnail(sample.raw, IMAGE_SIZE)
        kind = i % 3
        if kind == 0:
            fakes.append(raw)
        elif kind == 1:
            fakes.append(random_policy_result(raw, rng))
        else:
            ev = rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 2.0)
            fakes.append(expose(thumbnail(sample.target, IMAGE_SIZE), ev))
    return np.stack(fakes)


def held_out_gap(trainer: CriticTrainer, pool: EmbeddedPool) -> dict[str, float]:
    """Score gap of experts over their degraded versions on the held-out split."""
    raws = np.stack([thumbnail(pool[i].raw, IMAGE_SIZE) for i in range(len(pool))])
    targets = np.stack([thumbnail(pool[i].target, IMAGE_SIZE) for i in range(len(pool))])
    raw_scores, target_scores = trainer.score(raws), trainer.score(targets)
    gap = target_scores - raw_scores
    return {
        "mean_expert_score": float(target_scores.mean()),
        "mean_raw_score": float(raw_scores.mean()),
        "mean_gap": float(gap.mean()),
        "gap_over_raw_std": float(gap.mean() / (raw_scores.std() + 1e-8)),
        "pairs_ranked_right": float((gap > 0).mean()),
        "num_photos": len(pool),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=1500, help="critic updates (default: 1500)")
    parser.add_argument("--batch-size", type=int, default=64, help="photos of each kind per update (default: 64)")
    parser.add_argument("--learning-rate", type=float, default=1e-4, help="Adam learning rate (default: 1e-4)")
    parser.add_argument("--seed", type=int, default=0, help="seed of data sampling and weights (default: 0)")
    parser.add_argument("--out", type=Path, default=PACKAGED_CRITIC, help=f"weights file (default: {PACKAGED_CRITIC})")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error(f"--steps must be >= 1, got {args.steps}")

    torch.manual_seed(args.seed)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    rng = np.random.default_rng(args.seed)
    train_pool, test_pool = EmbeddedPool("train", seed=args.seed), EmbeddedPool("test", seed=args.seed)
    trainer = CriticTrainer(
        train_pool, learning_rate=args.learning_rate, batch_size=args.batch_size, image_size=IMAGE_SIZE, seed=args.seed
    )
    start = time.perf_counter()
    progress = tqdm(range(args.steps), desc="critic", unit="update")
    for _ in progress:
        trainer.add_results(fake_batch(train_pool, args.batch_size, rng))
        losses = trainer.update(1)
        progress.set_postfix(wasserstein=f"{losses['wasserstein']:.3f}", gp=f"{losses['gradient_penalty']:.3f}")
    seconds = time.perf_counter() - start

    gap = held_out_gap(trainer, test_pool)
    provenance = {
        "data": {"pool": "EmbeddedPool", "train_split": "train", "held_out_split": "test", "image_size": IMAGE_SIZE,
                 "fakes": "raw crops, random-policy results (T=4, |e|<=3 EV), experts re-exposed by 0.5-2 EV"},
        "steps": args.steps,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "gp_weight": trainer.gp_weight,
        "seed": args.seed,
        "widths": list(trainer.critic.widths),
        "held_out": gap,
        "last_train_losses": trainer.last_losses,
        "train_seconds": round(seconds, 1),
        "torch": torch.__version__,
        "python": platform.python_version(),
    }
    state = {key: value.detach().cpu() for key, value in trainer.critic.state_dict().items()}
    atomic_write(args.out, lambda path: torch.save(state, path))
    provenance_path = args.out.with_name(PACKAGED_CRITIC_PROVENANCE.name)
    atomic_write(provenance_path, lambda path: Path(path).write_text(json.dumps(provenance, indent=2) + "\n"))
    print(json.dumps(gap, indent=2))


if __name__ == "__main__":
    main()
