"""Pre-train a critic D (WGAN-GP) on a photo pool: the packaged one, or one for your own photos.

Fakes (M1) are the agent's kind of failures: raw photos, random-policy results (T random EVs
within ±max_ev, fused by Mertens, Eq. 30–31) and expert photos re-exposed by a random global EV
of 0.5–2 stops; reals (M2) are the pool's expert photos, drawn independently of the fakes (no
pairing is used in training). Writes ``critic.pt`` and ``critic_provenance.json`` (data, steps,
seed, held-out preference shares) atomically.

The held-out preference shares, on a paired ``--eval-pool``: how often D scores the target above
its raw photo, above the ±2 EV bracket fusion and above global auto-exposure (64×64, T = 4).

    python -m train.pretrain_critic --steps 1200 --batch-size 48 --seed 0          # the embedded critic
    python -m train.pretrain_critic --pool sice_sequences/train --eval-pool sice_sequences/dev \\
        --max-ev 5 --steps 1200 --batch-size 48 --training-data "..." \\
        --out exposure_env/rewards/weights/real/critic.pt                               # the real-photo critic
    python -m train.pretrain_critic --pool sice_sequences/train --experts photos_by_people/natural \\
        photos_by_people/fivek_unpaired/expert --eval-pool photos_by_people/fivek_dev ...   # human taste

With ``--experts`` the reals M2 are the photos of those folders (any scene, unpaired: photos
whose look people chose) instead of the pool's expert photos; the pool gives the raw photos M3
and the fakes, and its mis-exposed experts are drawn from M2.

``--objective exposure-error`` learns a no-reference judge of exposure from the ``--experts``
photos alone, instead of D: each photo is degraded by the embedded pool's model of exposure
errors and re-exposed as an episode would, and the critic regresses minus the RMSE of the result
to the photo it came from (:func:`exposure_error_batch`). No raw photo and no pairing of raw and
expert photos is used; the photo is its own reference. Used as the reward (``exposure-train
--reward critic --critic PATH``) it keeps the taste of the photos it learned from, dark scenes
included (docs/results/human_taste, round 7)::

    python -m train.pretrain_critic --objective exposure-error --experts photos_by_people/natural \\
        photos_by_people/fivek_unpaired/expert --eval-pool photos_by_people/fivek_dev --max-ev 5 \\
        --steps 3000 --learning-rate 3e-4 --training-data "..." --out runs/critics/exposure_error/critic.pt
"""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from tqdm import tqdm

from exposure_env.data import make_pool
from exposure_env.data.degrade import degrade, random_degradation
from exposure_env.data.experts import ExpertPool
from exposure_env.data.pool import ImagePool
from exposure_env.atomic import atomic_write
from exposure_env.ops.exposure import auto_exposure_ev, expose
from exposure_env.ops.fusion import fuse_exposures
from exposure_env.metrics import psnr
from exposure_env.ops.layout import hwc_to_tensor
from exposure_env.ops.resize import thumbnail
from exposure_env.rewards.critic_trainer import CriticTrainer
from exposure_env.rewards.functions import (PACKAGED_CRITIC, PACKAGED_CRITIC_PROVENANCE, DiscriminatorScore,
                                            negative_rmse)
from exposure_env.rewards.networks import Discriminator
from train.policies import WIDE_BRACKET

IMAGE_SIZE = 64
NUM_SEGMENTS = 4
EMBEDDED_DATA = "EmbeddedPool: crops of scikit-image's bundled photos (their licences), degraded synthetically"


#: what the fakes M1 are made of (``--fakes``): see :func:`fake_batch`
FAKE_KINDS = ("pool", "experts")
#: what the critic learns (``--objective``): ``wgan``, the paper's D (real against fake, WGAN-GP); or
#: ``exposure-error``, a no-reference judge of exposure regressed on M2 alone (:func:`exposure_error_batch`)
OBJECTIVES = ("wgan", "exposure-error")
#: the exposure-error critic's score is ``-ERROR_SCALE * RMSE`` (sRGB in [0, 1]), a few units wide like a WGAN D
ERROR_SCALE = 10.0


def fake_batch(pool: ImagePool, n: int, rng: np.random.Generator, max_ev: float,
               experts: ImagePool | None = None, kind: str = "pool",
               expert_evs: tuple[float, float] | None = None) -> np.ndarray:
    """``(n, S, S, 3)`` non-expert photos (M1) for one critic update.

    ``kind="pool"``: a third each of the pool's raw photos, random-policy results of them (T EVs
    within ±``max_ev``, fused) and mis-exposed experts (re-exposed by 0.5–2 stops). A mis-exposed
    expert is drawn from ``experts`` (M2) when given; else it is the sample's own target when the
    pool is paired, or an expert of the pool.

    ``kind="experts"``: every fake is an expert photo of ``experts`` made worse by exposure alone,
    half re-exposed by one global EV of ``±s`` stops, half a random policy's result (T EVs
    ``s·u``, ``u ~ U(−1, 1)``, fused), with ``s ~ U(*expert_evs)`` (default ``(0.5, max_ev)``).
    Reals and fakes then show the same scenes, so the critic can only tell them apart by
    exposure, not by what the photos show; the shifts are symmetric, so it learns no bias
    towards brighter or darker photos.

    Either way no pairing reaches the critic's reals.

    Raises:
        ValueError: ``kind`` is not one of :data:`FAKE_KINDS`, or ``"experts"`` without ``experts``.
    """
    if kind not in FAKE_KINDS:
        raise ValueError(f"fake_batch: kind must be one of {FAKE_KINDS}, got {kind!r}")
    if kind == "experts" and experts is None:
        raise ValueError("fake_batch: kind='experts' needs an expert pool")
    fakes = []
    for i in range(n):
        if kind == "experts":
            expert = thumbnail(experts.expert(rng), IMAGE_SIZE)
            scale = rng.uniform(*(expert_evs or (0.5, max_ev)))
            if i % 2 == 0:
                fakes.append(expose(expert, float(rng.choice([-1.0, 1.0]) * scale)))
            else:
                fakes.append(fuse_exposures(expert, scale * rng.uniform(-1.0, 1.0, size=NUM_SEGMENTS)))
            continue
        sample = pool.sample(rng)
        raw = thumbnail(sample.raw, IMAGE_SIZE)
        if i % 3 == 0:
            fakes.append(raw)
        elif i % 3 == 1:
            fakes.append(fuse_exposures(raw, rng.uniform(-max_ev, max_ev, size=NUM_SEGMENTS)))
        else:
            if experts is not None:
                expert = experts.expert(rng)
            else:
                expert = sample.target if sample.target is not None else pool.expert(rng)
            ev = rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 2.0)
            fakes.append(expose(thumbnail(expert, IMAGE_SIZE), ev))
    return np.stack(fakes)


def exposure_error_batch(experts: ImagePool, n: int, rng: np.random.Generator,
                         max_ev: float) -> tuple[np.ndarray, np.ndarray]:
    """``(n, S, S, 3)`` images and ``(n,)`` scores for the exposure-error critic, made from M2 alone.

    Each image is an expert photo x0 (a photo people made), or what an episode could make of a
    synthetic raw photo of it: x0 degraded by the embedded pool's model of exposure errors
    (:func:`exposure_env.data.degrade.degrade`), as it is or fused from T exposures (with the raw
    photo's own frame half the time, as ``--fuse-input``). The T EVs are drawn three ways, so the
    critic sees results near the right exposure as well as far from it: around the EV that undoes
    the degradation's global error (within ±s, s ~ U(0, 2)), around the raw photo's auto-exposure
    (within ±s, s ~ U(0, 3)), or uniform within ±``max_ev``. The score is
    ``-ERROR_SCALE * RMSE(image, x0)``: 0 for the photo as people made it. No raw photo of another
    source and no pairing of M1 with M2 is used; the pairs are made from M2 by the degradation.

    Returns:
        ``images`` float32 sRGB and ``scores`` float32, higher is better.
    """
    images, cleans = [], []
    for i in range(n):
        clean = thumbnail(experts.expert(rng), IMAGE_SIZE)
        params = random_degradation(rng)
        raw = degrade(clean, params)
        kind = i % 8
        if kind == 0:
            image = clean
        elif kind == 1:
            image = raw
        else:
            if kind < 4:
                centre, spread = -params.global_ev, rng.uniform(0.0, 2.0)
            elif kind < 6:
                centre, spread = auto_exposure_ev(raw), rng.uniform(0.0, 3.0)
            else:
                centre, spread = 0.0, max_ev
            evs = np.clip(centre + spread * rng.uniform(-1.0, 1.0, size=NUM_SEGMENTS), -max_ev, max_ev)
            image = fuse_exposures(raw, evs, fuse_input=bool(rng.integers(2)))
        images.append(image)
        cleans.append(clean)
    images = np.stack(images).astype(np.float32)
    return images, (ERROR_SCALE * negative_rmse(images, np.stack(cleans))).astype(np.float32)


def train_exposure_error_critic(critic: Discriminator, experts: ImagePool, steps: int, batch_size: int,
                                learning_rate: float, rng: np.random.Generator, max_ev: float) -> dict[str, float]:
    """Regress ``critic`` on :func:`exposure_error_batch` (Huber loss, Adam) for ``steps`` updates, in place.

    Returns:
        The last update's ``loss`` and ``rmse`` (of the score, in score units).
    """
    optimizer = torch.optim.Adam(critic.parameters(), lr=learning_rate)
    critic.train()
    progress = tqdm(range(steps), desc="critic", unit="update")
    for _ in progress:
        images, scores = exposure_error_batch(experts, batch_size, rng, max_ev)
        predicted = critic(hwc_to_tensor(images, "cpu"))
        loss = torch.nn.functional.smooth_l1_loss(predicted, torch.from_numpy(scores))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        rmse = float(torch.sqrt(torch.mean((predicted.detach() - torch.from_numpy(scores)) ** 2)))
        progress.set_postfix(loss=f"{float(loss.detach()):.4f}", rmse=f"{rmse:.3f}")
    critic.eval()
    return {"loss": float(loss.detach()), "rmse": rmse}


#: stops between the global EVs tried for a critic's favourite (:func:`favourite_ev`)
FAVOURITE_EV_STEP = 0.25


def favourite_ev(score: Callable[[np.ndarray], np.ndarray], raws: np.ndarray, targets: np.ndarray,
                 max_ev: float) -> dict[str, float]:
    """The global EV a critic scores highest for each raw photo, judged by PSNR to its target.

    Args:
        score: the critic's batch score, ``(N, S, S, 3)`` -> ``(N,)``, higher is better.
        raws, targets: ``(N, S, S, 3)`` float32 sRGB thumbnails, paired.
        max_ev: the grid spans ±``max_ev`` stops in steps of :data:`FAVOURITE_EV_STEP`.

    Returns:
        Means over photos: ``favourite_ev_psnr`` (dB at the critic's favourite EV),
        ``oracle_ev_psnr`` (dB at the best EV), ``raw_psnr`` (dB of the raw photo, 0 EV),
        ``favourite_ev_bias`` (favourite − best, stops) and ``favourite_ev_error`` (its absolute value).
    """
    evs = np.arange(-max_ev, max_ev + FAVOURITE_EV_STEP / 2, FAVOURITE_EV_STEP)
    chosen, best, bias, as_shot = [], [], [], []
    for raw, target in zip(raws, targets):
        exposed = np.stack([expose(raw, float(ev)) for ev in evs]).astype(np.float32)
        psnrs = np.array([psnr(image, target) for image in exposed])
        favourite = int(np.argmax(score(exposed)))
        chosen.append(psnrs[favourite])
        best.append(psnrs.max())
        as_shot.append(psnr(raw, target))
        bias.append(evs[favourite] - evs[int(np.argmax(psnrs))])
    return {"favourite_ev_psnr": float(np.mean(chosen)), "oracle_ev_psnr": float(np.mean(best)),
            "raw_psnr": float(np.mean(as_shot)),
            "favourite_ev_bias": float(np.mean(bias)), "favourite_ev_error": float(np.mean(np.abs(bias)))}


def preference_shares(score: Callable[[np.ndarray], np.ndarray], pool: ImagePool, max_ev: float,
                      policy: Any = None) -> dict[str, float]:
    """How a critic ranks each target of a paired ``pool`` against what fixed methods make of its raw photo.

    Every photo of ``pool`` at 64×64: the target against the raw photo, the ±2 EV bracket
    (:data:`~train.policies.WIDE_BRACKET`, fused) and global auto-exposure (clipped to ±``max_ev``);
    with ``policy`` also against that policy's result P_T (:func:`exposure_env.retouch.retouch`'s
    fused thumbnail, EVs within ±``max_ev``, in the MDP it was trained in: its ``fuse_input`` and ``shoulder``).

    Args:
        score: the critic's batch score, ``(N, 64, 64, 3)`` float32 sRGB -> ``(N,)``, higher is
            better (e.g. ``DiscriminatorScore(critic).batch``).
        pool: a paired pool.
        max_ev: EV range of auto-exposure.

    Also the critic's favourite global EV: for each photo, the EV on a grid of
    :data:`FAVOURITE_EV_STEP` stops within ±``max_ev`` whose exposed raw photo the critic scores
    highest. Its PSNR to the target is what a learner that maximised this critic with one global
    EV would reach at best; its distance to the EV of the best PSNR (the oracle) says how finely,
    and with what bias (brighter > 0), the critic judges exposure.

    Returns:
        ``pairs_ranked_right`` (share of targets scored above their raw photo), ``beats_bracket``,
        ``beats_auto_exposure`` (and ``beats_policy``), the mean scores and gap, the mean PSNRs
        ``favourite_ev_psnr`` and ``oracle_ev_psnr``, the mean ``favourite_ev_bias`` and
        ``favourite_ev_error`` (absolute) in stops, and ``num_photos``.

    Raises:
        ValueError: ``pool`` is not paired.
    """
    if not pool.paired:
        raise ValueError(f"preference shares need a paired pool (raw + expert by name), got {type(pool).__name__}")
    samples = [pool[i] for i in range(len(pool))]
    raws = np.stack([thumbnail(sample.raw, IMAGE_SIZE) for sample in samples])
    targets = np.stack([thumbnail(sample.target, IMAGE_SIZE) for sample in samples])
    brackets = np.stack([fuse_exposures(raw, WIDE_BRACKET) for raw in raws])
    autos = np.stack([expose(raw, float(np.clip(auto_exposure_ev(raw), -max_ev, max_ev))) for raw in raws])
    target_scores, raw_scores = score(targets), score(raws)
    gap = target_scores - raw_scores
    shares = {
        "mean_expert_score": float(target_scores.mean()),
        "mean_raw_score": float(raw_scores.mean()),
        "mean_gap": float(gap.mean()),
        "gap_over_raw_std": float(gap.mean() / (raw_scores.std() + 1e-8)),
        "pairs_ranked_right": float((gap > 0).mean()),
        "beats_bracket": float((target_scores > score(brackets)).mean()),
        "beats_auto_exposure": float((target_scores > score(autos)).mean()),
        "num_photos": len(pool),
        **favourite_ev(score, raws, targets, max_ev),
    }
    if policy is not None:
        from exposure_env.retouch import retouch
        from train.evaluate import trained_settings

        trained = trained_settings(policy)  # the P_T of the MDP it was trained in (fuse_input, shoulder)
        results = np.stack([retouch(raw, policy, size=IMAGE_SIZE, num_segments=NUM_SEGMENTS, max_ev=max_ev,
                                    **trained).fused_thumbnail for raw in raws])
        shares["beats_policy"] = float((target_scores > score(results)).mean())
    return shares


def data_record(args: argparse.Namespace, experts: ExpertPool | None) -> dict[str, Any]:
    """The provenance's ``data``: the photos a critic learned from, their terms and the held-out pool."""
    if args.objective == "exposure-error":
        return {"held_out_pool": args.eval_pool, "image_size": IMAGE_SIZE, "objective": args.objective,
                "training_data": args.training_data,
                "photos": f"the {len(experts)} photos of {', '.join(map(str, args.experts))} (unpaired); each is "
                          "degraded by exposure_env.data.degrade, kept as it is or fused from "
                          f"T={NUM_SEGMENTS} exposures, and scored -{ERROR_SCALE:g} * RMSE to the photo itself"}
    return {"pool": args.pool, "held_out_pool": args.eval_pool, "image_size": IMAGE_SIZE,
            "training_data": args.training_data or EMBEDDED_DATA, "objective": args.objective,
            "fakes": f"raw photos, random-policy results (T={NUM_SEGMENTS}, |e|<={args.max_ev:g} EV), "
                     "experts re-exposed by 0.5-2 EV" if args.fakes == "pool"
            else "the expert photos re-exposed by one global EV of +-s stops, or by a random policy "
                 f"(T={NUM_SEGMENTS} EVs within +-s) and fused, s ~ U{tuple(args.fake_evs or (0.5, args.max_ev))}",
            "reals": "expert photos of the training pool, drawn independently of the fakes" if experts is None
            else f"the {len(experts)} photos of {', '.join(map(str, args.experts))} (unpaired; "
                 "also the mis-exposed fakes)"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pool", default="embedded",
                        help="training photos: embedded[:split] or a folder with raw/ and expert/ (default: embedded)")
    parser.add_argument("--experts", nargs="+", type=Path, default=None, metavar="DIR",
                        help="folders of expert photos M2 (read recursively, unpaired) in place of the pool's experts")
    parser.add_argument("--objective", choices=OBJECTIVES, default="wgan",
                        help="wgan: the paper's D, real against fake (default); exposure-error: a no-reference "
                             "judge of exposure regressed on the --experts photos alone, each degraded by the "
                             "embedded pool's exposure errors and re-exposed, scored by -RMSE to itself")
    parser.add_argument("--fakes", choices=FAKE_KINDS, default="pool",
                        help="pool: the pool's raw photos, their random-policy results and mis-exposed experts, a "
                             "third each (default); experts: the --experts photos made worse by exposure alone, so "
                             "reals and fakes show the same scenes")
    parser.add_argument("--fake-evs", type=float, nargs=2, default=None, metavar=("LOW", "HIGH"),
                        help="with --fakes experts: the stops s ~ U(LOW, HIGH) of each fake's exposure error "
                             "(default: 0.5 and --max-ev)")
    parser.add_argument("--eval-pool", default="embedded:test",
                        help="paired held-out photos for the preference shares (default: embedded:test)")
    parser.add_argument("--max-ev", type=float, default=3.0,
                        help="EV range of the random-policy fakes and of auto-exposure (default: 3)")
    parser.add_argument("--training-data", default=None,
                        help="what the training photos are and their terms, for the provenance (required with a folder)")
    parser.add_argument("--widths", type=int, nargs="+", default=[32, 64, 128, 256],
                        help="channels of the critic's stride-2 convolutions (default: 32 64 128 256)")
    parser.add_argument("--steps", type=int, default=1500, help="critic updates (default: 1500)")
    parser.add_argument("--batch-size", type=int, default=64, help="photos of each kind per update (default: 64)")
    parser.add_argument("--learning-rate", type=float, default=1e-4, help="Adam learning rate (default: 1e-4)")
    parser.add_argument("--seed", type=int, default=0, help="seed of data sampling and weights (default: 0)")
    parser.add_argument("--out", type=Path, default=PACKAGED_CRITIC, help=f"weights file (default: {PACKAGED_CRITIC})")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error(f"--steps must be >= 1, got {args.steps}")
    if min(args.widths) < 1:
        parser.error(f"--widths must be >= 1, got {args.widths}")
    if not 0.0 < args.max_ev <= 10.0:
        parser.error(f"--max-ev must be in (0, 10], got {args.max_ev}")
    embedded = args.pool.startswith("embedded")
    if not embedded and not args.training_data:
        parser.error("--training-data is required with a folder --pool: name the photos and their terms")
    if args.objective == "exposure-error" and not args.training_data:
        parser.error("--training-data is required with --objective exposure-error: name the --experts photos and "
                     "their terms")
    try:
        # the exposure-error critic reads no training pool: only the held-out one is built for it
        train_pool = None if args.objective == "exposure-error" else make_pool(args.pool, seed=args.seed)
        eval_pool = make_pool(args.eval_pool, seed=args.seed)
    except ValueError as error:
        parser.error(str(error))
    if not eval_pool.paired:
        parser.error(f"--eval-pool {args.eval_pool}: needs raw/ and expert/ photos paired by name")
    if args.fake_evs is not None and not 0.0 <= args.fake_evs[0] < args.fake_evs[1] <= args.max_ev:
        parser.error(f"--fake-evs must be 0 <= LOW < HIGH <= --max-ev, got {args.fake_evs}")
    if args.fakes == "experts" and args.experts is None:
        parser.error("--fakes experts needs --experts DIR...: the photos to make the fakes from")
    if args.objective == "exposure-error" and args.experts is None:
        parser.error("--objective exposure-error needs --experts DIR...: the photos it learns exposure from")
    if args.objective == "exposure-error" and (args.pool != "embedded" or args.fakes != "pool" or args.fake_evs):
        parser.error("--pool, --fakes and --fake-evs are for --objective wgan: the exposure-error critic makes "
                     "everything it sees from the --experts photos")
    try:
        experts = None if args.experts is None else ExpertPool(args.experts, IMAGE_SIZE)
    except ValueError as error:
        parser.error(f"--experts: {error}")

    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    start = time.perf_counter()
    if args.objective == "exposure-error":
        critic = Discriminator(widths=tuple(args.widths))
        last_losses = train_exposure_error_critic(critic, experts, args.steps, args.batch_size, args.learning_rate,
                                                  rng, args.max_ev)
        gp_weight = None
    else:
        trainer = CriticTrainer(train_pool if experts is None else experts, Discriminator(widths=tuple(args.widths)),
                                learning_rate=args.learning_rate, batch_size=args.batch_size, image_size=IMAGE_SIZE,
                                seed=args.seed)
        progress = tqdm(range(args.steps), desc="critic", unit="update")
        for _ in progress:
            trainer.add_results(fake_batch(train_pool, args.batch_size, rng, args.max_ev, experts, args.fakes,
                                           args.fake_evs and tuple(args.fake_evs)))
            losses = trainer.update(1)
            progress.set_postfix(wasserstein=f"{losses['wasserstein']:.3f}", gp=f"{losses['gradient_penalty']:.3f}")
        critic, last_losses, gp_weight = trainer.critic, trainer.last_losses, trainer.gp_weight
    seconds = time.perf_counter() - start

    shares = preference_shares(DiscriminatorScore(critic).batch, eval_pool, args.max_ev)
    provenance = {
        "command": shlex.join(["python", "-m", "train.pretrain_critic", *(sys.argv[1:] if argv is None else argv)]),
        "data": data_record(args, experts),
        "max_ev": args.max_ev,
        "steps": args.steps,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "gp_weight": gp_weight,
        "seed": args.seed,
        "widths": list(critic.widths),
        "held_out": shares,
        "last_train_losses": last_losses,
        "train_seconds": round(seconds, 1),
        "torch": torch.__version__,
        "python": platform.python_version(),
    }
    state = {key: value.detach().cpu() for key, value in critic.state_dict().items()}
    atomic_write(args.out, lambda path: torch.save(state, path))
    provenance_path = args.out.with_name(PACKAGED_CRITIC_PROVENANCE.name)
    atomic_write(provenance_path, lambda path: Path(path).write_text(json.dumps(provenance, indent=2) + "\n"))
    print(json.dumps(shares, indent=2))


if __name__ == "__main__":
    main()
