"""Does the critic prefer what people prefer? Preference shares of critics on paired photos.

For each critic and each paired pool: the share of photos whose target (the expert photo) the
critic scores above the raw photo, above the ±2 EV bracket fusion and above global auto-exposure
and above the shipped policy's result (:func:`train.pretrain_critic.preference_shares`; 64×64,
EVs within ±--max-ev). A critic that is a good GAN reward ranks the target first; one that
ranks the bracket above the target pulls an agent toward the bracket. The critic's favourite
global EV (:func:`train.pretrain_critic.favourite_ev`) bounds what maximising it can reach with
one EV, and shows its bias (brighter > 0). On
``photos_by_people/fivek_dev`` the target is a professional's retouch: the shares say whether
the critic agrees with people.

Writes results.md into --out (default reports/critic_preference).

    python -m train.experiments.critic_preference --critics embedded real \\
        --pools embedded:test ../shared/data/sice_sequences/dev
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from agents.packaged import load_packaged_policy
from exposure_env.data import make_pool
from train.common import write_report
from exposure_env.rewards.functions import DiscriminatorScore, load_critic, read_provenance
from train.pretrain_critic import preference_shares

COLUMNS = (("pairs_ranked_right", "target > raw"), ("beats_bracket", "target > ±2 EV bracket"),
           ("beats_auto_exposure", "target > auto-exposure"), ("beats_policy", "target > shipped policy"),
           ("mean_gap", "mean score gap target − raw"), ("favourite_ev_psnr", "PSNR at its favourite global EV"),
           ("favourite_ev_bias", "favourite − best EV (stops)"), ("favourite_ev_error", "\\|favourite − best\\| EV"))

SIGNED = ("mean_gap", "favourite_ev_bias")


def describe(critic: str) -> str:
    """A critic's name for the table: as given (a shipped name or a file) and its training pool, its photos (an
    exposure-error critic, which has no pool), or its members."""
    provenance = read_provenance(critic)
    if "members" in provenance:
        return f"{critic} (ensemble of {' + '.join(member['critic'] for member in provenance['members'])})"
    data = provenance["data"]
    if data.get("objective") == "exposure-error":
        photos = data["photos"].partition("; each is ")[0]  # the photos, before how they were degraded and scored
        return f"{critic} (exposure-error critic of {photos})"
    reals = data.get("reals", "expert photos of the training pool")  # older provenances do not say
    experts = "" if reals.startswith("expert photos of the training pool") else f"; M2: {reals}"
    return f"{critic} (trained on {data['pool']}{experts})"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--critics", nargs="+", default=["embedded"], metavar="embedded|real|ensemble|people|PATH",
                        help="shipped critics by name, or critic.pt files from python -m train.pretrain_critic or "
                             "train.ensemble_critic (default: embedded)")
    parser.add_argument("--pools", nargs="+", default=["embedded:test"],
                        help="paired pools: embedded:test or folders with raw/ and expert/ (default: embedded:test)")
    parser.add_argument("--max-ev", type=float, default=5.0, help="EV range of auto-exposure (default: 5)")
    parser.add_argument("--out", type=Path, default=Path("reports/critic_preference"), help="report folder")
    args = parser.parse_args(argv)
    try:
        critics = {critic: load_critic(critic) for critic in args.critics}
        pools = {name: make_pool(name) for name in args.pools}
        policy = load_packaged_policy()
    except (FileNotFoundError, ValueError) as error:
        parser.error(str(error))
    unpaired = [name for name, pool in pools.items() if not pool.paired]
    if unpaired:
        parser.error(f"--pools: not paired (raw/ and expert/ by name): {', '.join(unpaired)}")

    command = shlex.join(["python", "-m", "train.experiments.critic_preference",
                          *(sys.argv[1:] if argv is None else argv)])
    lines = [f"Command: `{command}`", "", f"Share of photos whose target the critic scores above what a fixed method makes of the raw photo "
             f"(64×64, T = 4, auto-exposure within ±{args.max_ev:g} EV). Higher is better.", "",
             "| critic | photos | n | " + " | ".join(label for _, label in COLUMNS) + " |",
             "|---|---|---|" + "---|" * len(COLUMNS)]
    bounds = {}
    for critic_name, critic in critics.items():
        for name, pool in pools.items():
            shares = preference_shares(DiscriminatorScore(critic).batch, pool, args.max_ev, policy)
            bounds[name] = shares["raw_psnr"], shares["oracle_ev_psnr"]
            cells = [f"{shares[key]:+.2f}" if key in SIGNED else f"{shares[key]:.2f}" for key, _ in COLUMNS]
            lines.append(f"| {describe(critic_name)} | {name} | {shares['num_photos']} | " + " | ".join(cells) + " |")
    lines += ["", "The same photos at 64 px, for the favourite-EV column: "
              + "; ".join(f"{name}: the raw photo {raw:.2f} dB, the best global EV (oracle) {best:.2f} dB"
                          for name, (raw, best) in bounds.items()) + "."]
    report = "\n".join(lines) + "\n"
    write_report(args.out, report)


if __name__ == "__main__":
    main()
