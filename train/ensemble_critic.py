"""Combine pre-trained critics into one: ``D(x) = Σ_i w_i·D_i(x)``, each member weighed to the same spread.

A WGAN critic is defined up to an offset and a scale, so critics trained on different expert
photos score on different scales. Each weight is ``w_i = σ_1 / (n·σ_i)``, where σ_i is the
standard deviation of member i's scores on photos of ``--pool`` (raw thumbnails and expert
photos, drawn independently: no pairing is used). Every member then has the same say, and the
sum keeps the first member's spread, so a learner tuned on that critic keeps its step sizes.

Why: on real sequences, a policy trained on the embedded critic alone exposes darker than the
targets and one trained on the real-photo critic brighter (it blows out three times the
highlights: ``docs/results/real_sequences_single_critics``); their sum pulls the two against each
other (``docs/results/real_sequences``).

Writes ``critic.pt`` (every member's weights and the weights of the sum) and
``critic_provenance.json`` (the members and their provenance, the spreads, the held-out
preference shares of :func:`train.pretrain_critic.preference_shares`) atomically.
``exposure-train --critic PATH`` and ``load_critic`` read it like any critic.

``--calibrate FOLDER...`` also removes the sum's bias in exposure, measured without pairs on photos people
made: for each of them the global EV (±3 stops, 0.25-stop grid) whose exposed photo the sum scores highest
(:func:`train.pretrain_critic.favourite_ev` with the photo as its own target) should be 0, the photo as it was
made. Their mean is the bias ``b``; the ensemble then judges every image exposed ``b`` stops brighter
(``CriticEnsemble(ev_offset=b)``), so that its favourite for those photos moves to 0. Issue 28, round 4: the
shipped ensemble's bias is +0.43 stops on 120 photos of ``photos_by_people/natural`` (+0.61 on all 740 of
``natural`` and ``fivek_unpaired/expert``) and +0.39 / +0.32 on the fivek dev and sice dev targets (the embedded
critic's +0.07 / 0.00 / +0.01, the real one's +0.75 / +0.67 / +0.63, on the same 120 and the targets): the bias on
people's photos predicts the bias on the targets, with no target used.

    python -m train.ensemble_critic --critics embedded real --pool sice_sequences/train \\
        --eval-pool sice_sequences/dev --max-ev 5 --training-data "..." \\
        --out exposure_env/rewards/weights/ensemble/critic.pt          # the shipped ensemble
    python -m train.ensemble_critic ... --calibrate photos_by_people/natural --out runs/critics/calibrated/critic.pt
"""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import sys
from pathlib import Path

import numpy as np
import torch

from exposure_env.atomic import atomic_write
from exposure_env.data import make_pool
from exposure_env.data.experts import ExpertPool
from exposure_env.data.pool import ImagePool
from exposure_env.ops.resize import thumbnail
from exposure_env.rewards.functions import (PACKAGED_CRITIC_PROVENANCE, DiscriminatorScore, load_critic,
                                            read_provenance)
from exposure_env.rewards.networks import CriticEnsemble, Discriminator
from train.pretrain_critic import IMAGE_SIZE, favourite_ev, preference_shares

#: stops either side of 0 over which :func:`exposure_bias` looks for the favourite EV
CALIBRATION_RANGE = 3.0


def score_spreads(members: list[Discriminator], pool: ImagePool, photos: int, seed: int) -> np.ndarray:
    """Standard deviation of each member's scores on ``photos`` raw and ``photos`` expert thumbnails of ``pool``.

    The raw and the expert photos are drawn independently (no pairing).

    Returns:
        ``(len(members),)`` float64 spreads.

    Raises:
        ValueError: ``pool`` has no expert photos.
    """
    if not pool.has_experts:
        raise ValueError(f"the spreads need expert photos: {type(pool).__name__} has none")
    rng = np.random.default_rng(seed)
    raws = [thumbnail(pool[int(i)].raw, IMAGE_SIZE) for i in rng.choice(len(pool), min(photos, len(pool)), False)]
    experts = [thumbnail(pool.expert(rng), IMAGE_SIZE) for _ in range(photos)]
    images = np.stack(raws + experts).astype(np.float32)
    return np.array([DiscriminatorScore(member).batch(images).std() for member in members], np.float64)


def spread_weights(spreads: np.ndarray) -> np.ndarray:
    """``w_i = σ_1 / (n·σ_i)``: equal say for every member, the sum at the first member's spread."""
    return spreads[0] / (len(spreads) * spreads)


def exposure_bias(critic: CriticEnsemble, photos: np.ndarray) -> dict[str, float]:
    """How many stops brighter than people's ``photos`` the ``critic`` likes them.

    Args:
        critic: the critic (its ``ev_offset`` applies).
        photos: ``(N, S, S, 3)`` float32 sRGB thumbnails of photos people made.

    Returns:
        ``bias``: the mean over photos of the EV the critic scores highest (within ±:data:`CALIBRATION_RANGE`),
        each photo's right EV being 0; ``error``: the mean of its absolute value.
    """
    measured = favourite_ev(DiscriminatorScore(critic).batch, photos, photos, CALIBRATION_RANGE)
    return {"bias": measured["favourite_ev_bias"], "error": measured["favourite_ev_error"]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m train.ensemble_critic", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--critics", nargs="+", required=True, metavar="embedded|real|PATH",
                        help="the member critics: shipped ones by name or critic.pt files of train.pretrain_critic")
    parser.add_argument("--pool", required=True, help="photos the spreads are measured on (raw/ and expert/)")
    parser.add_argument("--eval-pool", required=True, help="paired held-out photos for the preference shares")
    parser.add_argument("--max-ev", type=float, default=5.0,
                        help="EV range of auto-exposure in the preference shares (default: 5)")
    parser.add_argument("--photos", type=int, default=128,
                        help="raw and expert photos each for the spreads (default: 128)")
    parser.add_argument("--training-data", required=True,
                        help="what the members were trained on and their terms, for the provenance")
    parser.add_argument("--calibrate", nargs="+", type=Path, default=None, metavar="FOLDER",
                        help="photos people made (searched recursively): remove the ensemble's exposure bias on them "
                             "(its favourite global EV for each should be 0; see above)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the photo draw (default: 0)")
    parser.add_argument("--out", type=Path, required=True, help="weights file (its provenance goes beside it)")
    args = parser.parse_args(argv)
    if len(args.critics) < 2:
        parser.error(f"--critics: an ensemble needs at least 2 critics, got {len(args.critics)}")
    if args.photos < 2:
        parser.error(f"--photos must be >= 2, got {args.photos}")
    try:
        members = [load_critic(critic) for critic in args.critics]
        pool, eval_pool = make_pool(args.pool, seed=args.seed), make_pool(args.eval_pool, seed=args.seed)
        if not all(isinstance(member, Discriminator) for member in members):
            raise ValueError("--critics: every member must be one critic, not an ensemble")
    except (ValueError, OSError) as error:
        parser.error(str(error))
    if not eval_pool.paired:
        parser.error(f"--eval-pool {args.eval_pool}: needs raw/ and expert/ photos paired by name")
    if args.calibrate:  # read before the spreads are measured: a bad folder is refused before any work
        try:
            photos = ExpertPool(args.calibrate, size=IMAGE_SIZE).thumbnails
        except (ValueError, OSError) as error:
            parser.error(f"--calibrate: {error}")
    try:
        spreads = score_spreads(members, pool, args.photos, args.seed)
    except (ValueError, OSError) as error:
        parser.error(str(error))
    critic = CriticEnsemble(members, spread_weights(spreads).tolist()).eval()
    calibration = None
    if args.calibrate:
        before = exposure_bias(critic, photos)
        critic = CriticEnsemble(members, critic.weights, ev_offset=before["bias"]).eval()
        calibration = {"folders": [str(folder) for folder in args.calibrate], "photos": len(photos),
                       "before": before, "after": exposure_bias(critic, photos)}
    provenance = {
        "command": shlex.join(["python", "-m", "train.ensemble_critic", *(sys.argv[1:] if argv is None else argv)]),
        "members": [{"critic": name, "widths": list(member.widths), "spread": float(spread), "weight": float(weight),
                     "provenance": read_provenance(name)}
                    for name, member, spread, weight in zip(args.critics, members, spreads, critic.weights.tolist())],
        "data": {"spread_pool": args.pool, "spread_photos": args.photos, "held_out_pool": args.eval_pool,
                 "image_size": IMAGE_SIZE, "training_data": args.training_data},
        "seed": args.seed,
        **({"ev_offset": critic.ev_offset, "calibration": calibration} if calibration else {}),
        "held_out": preference_shares(DiscriminatorScore(critic).batch, eval_pool, args.max_ev),
        "torch": torch.__version__,
        "python": platform.python_version(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    state = {key: value.detach().cpu() for key, value in critic.state_dict().items()}
    atomic_write(args.out, lambda path: torch.save(state, path))
    atomic_write(args.out.with_name(PACKAGED_CRITIC_PROVENANCE.name),
                 lambda path: Path(path).write_text(json.dumps(provenance, indent=2) + "\n"))
    print(json.dumps({"weights": critic.weights.tolist(), **({"calibration": calibration} if calibration else {}),
                      **provenance["held_out"]}, indent=2))


if __name__ == "__main__":
    main()
