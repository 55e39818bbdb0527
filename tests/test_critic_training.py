"""Critics for any photo pool: ``train.pretrain_critic --pool``, ``load_critic``, ``exposure-train --critic``,
the preference-share report, and the real-sequence experiment with a second critic."""

from __future__ import annotations

import json

import pytest
import torch

from exposure_env.rewards.functions import PACKAGED_CRITIC_PROVENANCE, load_critic
from exposure_env.rewards.networks import Discriminator
from tests.sequences import write_sequences
from train import pretrain_critic, train
from train.experiments import critic_preference, real_sequences


def save_random_critic(path, seed: int = 5) -> Discriminator:
    """A critic file as pretrain_critic writes it (weights + provenance), with random weights."""
    torch.manual_seed(seed)
    critic = Discriminator(widths=(8, 16, 16, 16))
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(critic.state_dict(), path)
    provenance = {"widths": [8, 16, 16, 16], "data": {"pool": "random weights"}}
    path.with_name(PACKAGED_CRITIC_PROVENANCE.name).write_text(json.dumps(provenance))
    return critic.eval()


@pytest.fixture(scope="module")
def sequences(tmp_path_factory):
    root = tmp_path_factory.mktemp("sequences")
    write_sequences(root / "train", sequences=4, evs=(-2.5, 2.0))
    write_sequences(root / "dev", sequences=2, evs=(-2.5, 2.0))
    return root


def pretrain(sequences, out, steps: int) -> dict:
    pretrain_critic.main(["--pool", str(sequences / "train"), "--eval-pool", str(sequences / "dev"), "--max-ev", "5",
                          "--training-data", "synthetic sequences", "--steps", str(steps), "--batch-size", "6",
                          "--widths", "8", "16", "16", "16", "--learning-rate", "1e-3", "--out", str(out)])
    return json.loads(out.with_name(PACKAGED_CRITIC_PROVENANCE.name).read_text())


def test_pretrain_critic_on_real_style_sequences_learns_to_rank_targets_first(sequences, tmp_path):
    untrained = pretrain(sequences, tmp_path / "start" / "critic.pt", steps=1)["held_out"]
    provenance = pretrain(sequences, tmp_path / "trained" / "critic.pt", steps=60)
    shares = provenance["held_out"]
    assert provenance["data"]["training_data"] == "synthetic sequences" and provenance["max_ev"] == 5.0
    assert shares["num_photos"] == 4  # every dev frame
    # held-out sequences: the fusion is scored above its raw frames, by a margin an untrained critic lacks
    assert untrained["pairs_ranked_right"] <= 0.5 and abs(untrained["gap_over_raw_std"]) < 0.5
    assert shares["pairs_ranked_right"] >= 0.75 and shares["gap_over_raw_std"] > 1.0
    critic = load_critic(tmp_path / "trained" / "critic.pt")
    assert critic.widths == tuple(provenance["widths"]) and not critic.training


def test_pretrain_critic_folder_pool_needs_its_terms(sequences, capsys):
    with pytest.raises(SystemExit):
        pretrain_critic.main(["--pool", str(sequences / "train"), "--eval-pool", str(sequences / "dev")])
    assert "--training-data is required" in capsys.readouterr().err


def test_load_critic_names_the_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="critic.pt is missing"):
        load_critic(tmp_path / "critic.pt")


def test_exposure_train_scores_with_the_critic_file_given(tmp_path):
    saved = save_random_critic(tmp_path / "mine" / "critic.pt")
    args = train.parse_args(["--reward", "critic", "--critic", str(tmp_path / "mine" / "critic.pt"), "--n-images", "4",
                             "--size", "32", "--out", str(tmp_path / "run")])
    envs, gan_reward, _ = train.build(args)
    scored_with = envs.env.score_fn.critic
    assert gan_reward is None
    for name, value in saved.state_dict().items():
        assert torch.equal(scored_with.state_dict()[name], value)


def test_critic_preference_report_has_a_row_per_critic_and_pool(sequences, tmp_path):
    save_random_critic(tmp_path / "a" / "critic.pt")
    report = tmp_path / "report"
    critic_preference.main(["--critics", str(tmp_path / "a" / "critic.pt"), "--pools", str(sequences / "dev"),
                            "--out", str(report)])
    rows = [line for line in (report / "results.md").read_text().splitlines() if "(trained on random weights)" in line]
    assert len(rows) == 1 and f"| {sequences / 'dev'} | 4 |" in rows[0]


def test_critic_preference_refuses_an_unpaired_pool(tmp_path, capsys):
    write_sequences(tmp_path / "photos")
    (tmp_path / "photos" / "expert" / "s000_0.png").unlink()  # one raw frame without its expert: unpaired
    with pytest.raises(SystemExit):
        critic_preference.main(["--pools", str(tmp_path / "photos")])
    assert "not paired" in capsys.readouterr().err


def test_real_sequences_runs_each_critic_rung_once_per_critic(tmp_path):
    write_sequences(tmp_path / "data" / "train", sequences=2)
    write_sequences(tmp_path / "data" / "dev", sequences=1)
    save_random_critic(tmp_path / "mine" / "critic.pt")
    out = tmp_path / "report"
    table = real_sequences.main(["--data", str(tmp_path / "data"), "--rungs", "critic", "--seeds", "1", "--steps", "16",
                                 "--n-images", "4", "--critics", "embedded", f"mine={tmp_path / 'mine' / 'critic.pt'}",
                                 "--out", str(out)])
    assert (out / "runs" / "critic-embedded_seed0" / "model.zip").is_file()
    assert (out / "runs" / "critic-mine_seed0" / "model.zip").is_file()
    assert "| DeepExposure II, critic reward (embedded critic) | 1 |" in table
    assert "| DeepExposure II, critic reward (mine critic) | 1 |" in table


def test_real_sequences_refuses_a_missing_critic(tmp_path, capsys):
    write_sequences(tmp_path / "train")
    write_sequences(tmp_path / "dev")
    with pytest.raises(SystemExit):
        real_sequences.main(["--data", str(tmp_path), "--critics", "mine=/no/such/critic.pt"])
    assert "--critics 'mine=/no/such/critic.pt'" in capsys.readouterr().err
