"""Critics for any photo pool: ``train.pretrain_critic --pool``, ``load_critic``, ``exposure-train --critic``,
the preference shares and their report, and the real-sequence experiment with a second critic.

(The critic's learning itself is tested in ``test_critic.py``.)"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from exposure_env.data import FolderPool
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


def test_pretrain_critic_on_a_folder_pool_records_its_data_and_held_out_shares(sequences, tmp_path):
    out = tmp_path / "critic" / "critic.pt"
    pretrain_critic.main(["--pool", str(sequences / "train"), "--eval-pool", str(sequences / "dev"), "--max-ev", "5",
                          "--training-data", "synthetic sequences", "--steps", "2", "--batch-size", "3",
                          "--widths", "8", "8", "8", "8", "--out", str(out)])
    provenance = json.loads(out.with_name(PACKAGED_CRITIC_PROVENANCE.name).read_text())
    assert provenance["data"]["training_data"] == "synthetic sequences" and provenance["max_ev"] == 5.0
    assert provenance["command"].startswith("python -m train.pretrain_critic --pool")
    assert provenance["held_out"]["num_photos"] == 4  # every dev frame
    critic = load_critic(out)
    assert critic.widths == (8, 8, 8, 8) and not critic.training


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_preference_shares_count_each_comparison(tmp_path, sign):
    (tmp_path / "raw").mkdir()
    (tmp_path / "expert").mkdir()
    for name in ("a", "b"):  # black raw frames stay black whatever the exposure; the targets are mid-grey
        Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(tmp_path / "raw" / f"{name}.png")
        Image.fromarray(np.full((32, 32, 3), 128, np.uint8)).save(tmp_path / "expert" / f"{name}.png")
    shares = pretrain_critic.preference_shares(lambda images: sign * images.mean(axis=(1, 2, 3)),
                                               FolderPool(tmp_path / "raw", tmp_path / "expert"), max_ev=5.0)
    expected = 1.0 if sign > 0 else 0.0  # a brightness critic always prefers the target, a darkness one never
    assert shares["pairs_ranked_right"] == shares["beats_bracket"] == shares["beats_auto_exposure"] == expected
    assert shares["num_photos"] == 2


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


def test_real_sequences_runs_each_critic_rung_once_per_critic(tmp_path, monkeypatch):
    write_sequences(tmp_path / "data" / "train")
    write_sequences(tmp_path / "data" / "dev")
    save_random_critic(tmp_path / "mine" / "critic.pt")
    calls = []
    monkeypatch.setattr(real_sequences.train, "main", lambda argv: calls.append(argv) or 1)  # record, train nothing
    args = real_sequences.parse_args(["--data", str(tmp_path / "data"), "--rungs", "critic", "reference",
                                      "--critics", "embedded", f"mine={tmp_path / 'mine' / 'critic.pt'}"])
    names = real_sequences.run_names(args.rungs, args.critic_files)
    assert names == {"critic-embedded": ("critic", "embedded"), "reference": ("reference", None),
                     "critic-mine": ("critic", str(tmp_path / "mine" / "critic.pt"))}
    with pytest.raises(SystemExit, match="critic-mine, seed 0"):
        real_sequences.train_run("critic-mine", "critic", names["critic-mine"][1], 0, args, tmp_path / "trial")
    argv = calls[0]
    assert argv[argv.index("--critic") + 1] == str(tmp_path / "mine" / "critic.pt")
    assert argv[argv.index("--out") + 1] == str(tmp_path / "trial")  # the trial's folder: its Tune checkpoint
    rows = {"critic-mine_seed0": {"method": "critic-mine_seed0", **dict.fromkeys(
        ("psnr", "ssim", "delta_e", "score", "highlights", "shadows"), 1.0)}}
    assert "| DeepExposure II, critic reward (mine critic) | 1 |" in real_sequences.results_table(rows, names)


def test_real_sequences_refuses_a_missing_critic(tmp_path, capsys):
    write_sequences(tmp_path / "train")
    write_sequences(tmp_path / "dev")
    with pytest.raises(SystemExit):
        real_sequences.main(["--data", str(tmp_path), "--critics", "mine=/no/such/critic.pt"])
    assert "--critics 'mine=/no/such/critic.pt'" in capsys.readouterr().err
