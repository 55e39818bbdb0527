"""How far is the best single exposure from global auto-exposure, and can a learner predict the gap?

For each photo of a training pool and of a held-out pool, prepared as the env does (S0 at
--size): the EV that global auto-exposure picks
(:func:`~exposure_env.ops.exposure.auto_exposure_ev`) and the best single EV for the PSNR to the
target (:func:`agents.oracle.best_global_ev`). The residual between the two is what a policy must
predict from the photo to beat auto-exposure with one exposure.

Can it be predicted from what the actor reads? A ridge regression of the residual on the actor's
input (:func:`agents.policies.exposure_statistics` at the first step) is fitted on the training
photos and scored on the held-out ones: its R² (1: predicted exactly, 0: no better than the
training mean, below 0: worse) and the PSNR of auto-exposure plus the predicted residual. It is
a diagnostic of the data, not a method: it uses the paired targets.

    python -m train.experiments.exposure_residual                       # embedded train vs test
    python -m train.experiments.exposure_residual --train-pool ../shared/data/sice_sequences/train \\
        --test-pool ../shared/data/sice_sequences/dev --max-ev 5 --photos 300
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from agents.oracle import best_global_ev
from agents.policies import exposure_statistics
from exposure_env.data import make_pool
from exposure_env.mdp import ExposureMDP
from exposure_env.metrics import psnr
from exposure_env.ops.exposure import auto_exposure_ev, expose
from train.console import progress

#: ridge penalties tried by leave-one-out on the training photos
RIDGE_PENALTIES = np.logspace(-3, 3, 13)


def measure(pool_spec: str, photos: int, size: int, max_ev: float) -> dict[str, np.ndarray | list]:
    """Auto-exposure EV, best single EV, the actor's input statistics and S0/target of up to ``photos``
    photos, spread evenly over the pool."""
    pool = make_pool(pool_spec)
    if not pool.paired:
        raise SystemExit(f"exposure_residual: {pool_spec} has no paired targets")
    indices = np.unique(np.linspace(0, len(pool) - 1, min(photos, len(pool))).round().astype(int))
    mdp = ExposureMDP(size, num_segments=4)
    auto, best, statistics, pairs = [], [], [], []
    for index in progress(indices, desc=f"exposure_residual: {pool_spec}", unit="photo"):
        sample = pool[int(index)]
        photo = mdp.prepare(sample.raw, sample.target)
        auto.append(float(np.clip(auto_exposure_ev(photo.original), -max_ev, max_ev)))
        best.append(best_global_ev(photo.original, photo.target, max_ev))
        original = torch.from_numpy(photo.original).permute(2, 0, 1)[None]
        mask = torch.from_numpy(photo.masks[0])[None, None].float()
        statistics.append(exposure_statistics(torch.cat([original * mask, original, original], dim=1))[0].numpy())
        pairs.append((photo.original, photo.target))
    return {"auto": np.array(auto), "best": np.array(best), "statistics": np.array(statistics), "pairs": pairs}


def fit_ridge(features: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Ridge regression with standardised features and the penalty of least leave-one-out error.

    One linear solve per penalty gives both the weights and the hat matrix whose diagonal makes the
    leave-one-out error exact. scikit-learn's ``RidgeCV`` gives the same fit but is not a dependency
    of this package, for this one diagnostic.

    Returns:
        ``(weights, mean, scale)``: predict with ``((x − mean) / scale) @ weights[:-1] + weights[-1]``.
    """
    mean, scale = features.mean(axis=0), features.std(axis=0) + 1e-6
    design = np.hstack([(features - mean) / scale, np.ones((len(features), 1))])
    unpenalised_intercept = np.diag([*np.ones(design.shape[1] - 1), 0.0])
    best = (np.inf, None)
    for penalty in RIDGE_PENALTIES:
        solution = np.linalg.solve(design.T @ design + penalty * unpenalised_intercept, design.T)  # (p, n)
        hat_diagonal = (design * solution.T).sum(axis=1)
        weights = solution @ targets
        leave_one_out = (((targets - design @ weights) / (1.0 - hat_diagonal)) ** 2).mean()
        if leave_one_out < best[0]:
            best = (leave_one_out, weights)
    return best[1], mean, scale


def r_squared(predicted: np.ndarray, actual: np.ndarray) -> float:
    return float(1.0 - ((actual - predicted) ** 2).sum() / ((actual - actual.mean()) ** 2).sum())


def mean_psnr(pairs: list, evs: np.ndarray) -> float:
    return float(np.mean([psnr(expose(original, ev), target) for (original, target), ev in zip(pairs, evs)]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m train.experiments.exposure_residual", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train-pool", default="embedded", help="paired training photos (default: embedded)")
    parser.add_argument("--test-pool", default="embedded:test", help="paired held-out photos (default: embedded:test)")
    parser.add_argument("--photos", type=int, default=256, help="training photos, spread over the pool (default: 256)")
    parser.add_argument("--test-photos", type=int, default=128, help="held-out photos (default: 128)")
    parser.add_argument("--size", type=int, default=64, help="S0 side (default: 64)")
    parser.add_argument("--max-ev", type=float, default=3.0, help="EV range ±max_ev (default: 3)")
    args = parser.parse_args(argv)
    if args.photos < 8 or args.test_photos < 2:
        parser.error("--photos must be >= 8 and --test-photos >= 2")
    data = {"train": measure(args.train_pool, args.photos, args.size, args.max_ev),
            "held out": measure(args.test_pool, args.test_photos, args.size, args.max_ev)}
    weights, mean, scale = fit_ridge(data["train"]["statistics"], data["train"]["best"] - data["train"]["auto"])
    print(f"train: {args.train_pool}; held out: {args.test_pool}; EVs within ±{args.max_ev:g}\n")
    print("| photos | n | residual mean | residual std | R² of the ridge prediction | PSNR auto-exposure | "
          "PSNR auto + predicted residual | PSNR best single EV |")
    print("|---|---|---|---|---|---|---|---|")
    for name, split in data.items():
        residual = split["best"] - split["auto"]
        predicted = ((split["statistics"] - mean) / scale) @ weights[:-1] + weights[-1]
        corrected = np.clip(split["auto"] + predicted, -args.max_ev, args.max_ev)
        print(f"| {name} | {len(residual)} | {residual.mean():+.2f} | {residual.std():.2f} | "
              f"{r_squared(predicted, residual):.2f} | {mean_psnr(split['pairs'], split['auto']):.2f} | "
              f"{mean_psnr(split['pairs'], corrected):.2f} | {mean_psnr(split['pairs'], split['best']):.2f} |")


if __name__ == "__main__":
    main()
