"""Human taste: the expert pool M2 from folders, lightness agreement, the render as exposure-retouch writes it,
and the two-yardstick report."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PIL import Image

from exposure_env.data.experts import ExpertPool
from exposure_env.metrics import lightness, lightness_correlation, paired_metrics
from exposure_env.retouch import apply_exposures, retouch
from sequences import write_sequences
from train import evaluate
from train.experiments import human_taste
from train.pretrain_critic import fake_batch


def write_photo(path, value: float, size: int = 40) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((size, size + 8, 3), round(value * 255), np.uint8)).save(path)


def test_expert_pool_reads_nested_folders_skips_unreadable_files_and_draws_among_all(tmp_path):
    write_photo(tmp_path / "natural" / "kodak" / "a.png", 0.2)
    write_photo(tmp_path / "natural" / "bsds" / "b.png", 0.4)
    write_photo(tmp_path / "fivek" / "c.jpg", 0.8)
    (tmp_path / "fivek" / "broken.png").write_bytes(b"not a png")
    pool = ExpertPool([tmp_path / "natural", tmp_path / "fivek"], size=16)
    assert len(pool) == 3 and list(pool.bad_files) == [str(tmp_path / "fivek" / "broken.png")]
    assert pool[0].raw.shape == (16, 16, 3) and pool[0].target is None and not pool.paired and pool.has_experts
    rng = np.random.default_rng(0)
    means = {round(float(pool.expert(rng).mean()), 1) for _ in range(60)}
    assert means == {0.2, 0.4, 0.8}  # every folder's photos are drawn
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="empty: no image files"):
        ExpertPool([tmp_path / "natural", tmp_path / "empty"])


def test_the_mis_exposed_fakes_come_from_the_expert_pool_when_one_is_given(tmp_path):
    write_sequences(tmp_path / "sequences", sequences=1, size=48)
    write_photo(tmp_path / "people" / "grey.png", 0.5)
    from exposure_env.data import make_pool

    pool, experts = make_pool(str(tmp_path / "sequences")), ExpertPool([tmp_path / "people"], size=64)
    fakes = fake_batch(pool, 6, np.random.default_rng(0), 5.0, experts)
    mis_exposed = fakes[2::3]  # every third fake is an expert re-exposed by 0.5-2 EV
    assert all(np.ptp(fake) < 0.01 and abs(float(fake.mean()) - 0.5) > 0.05 for fake in mis_exposed)
    without = fake_batch(pool, 6, np.random.default_rng(0), 5.0)[2::3]  # else the sequence's own fusion, re-exposed
    assert all(np.ptp(fake) > 0.05 for fake in without)


def test_expert_fakes_show_only_the_expert_scenes_made_worse_by_exposure(tmp_path):
    write_sequences(tmp_path / "sequences", sequences=1, size=48)
    write_photo(tmp_path / "people" / "grey.png", 0.5)
    from exposure_env.data import make_pool

    pool, experts = make_pool(str(tmp_path / "sequences")), ExpertPool([tmp_path / "people"], size=64)
    fakes = fake_batch(pool, 8, np.random.default_rng(0), 5.0, experts, kind="experts")
    # every fake is the flat grey expert, re-exposed (one EV) or fused from re-exposures: flat, and not mid-grey
    assert all(np.ptp(fake) < 0.02 for fake in fakes)
    assert all(abs(float(fake.mean()) - 0.5) > 0.02 for fake in fakes)
    with pytest.raises(ValueError, match="needs an expert pool"):
        fake_batch(pool, 2, np.random.default_rng(0), 5.0, kind="experts")


def test_lightness_agreement_measures_how_far_the_scene_key_moved():
    dark = np.full((16, 16, 3), 0.1, np.float32)
    lifted = np.full((16, 16, 3), 0.5, np.float32)
    metrics = paired_metrics(lifted, dark)
    assert metrics["lightness_error"] == pytest.approx(lightness(lifted) - lightness(dark))
    assert metrics["target_lightness"] == pytest.approx(lightness(dark)) and metrics["lightness_error"] > 40
    assert lightness_correlation([10, 20, 30], [15, 25, 36]) > 0.99
    assert lightness_correlation([50, 51, 49], [10, 40, 70]) < 0  # every scene lifted to mid-grey
    assert np.isnan(lightness_correlation([10, 20], [30, 30]))


def test_apply_exposures_is_exactly_what_retouch_renders_for_the_same_evs():
    rng = np.random.default_rng(1)
    photo = (rng.uniform(0, 1, (30, 50, 3)) ** 2 * 255).astype(np.uint8)
    chosen = retouch(photo, lambda observation, info, env: np.array([0.4], np.float32), max_ev=5.0)
    assert np.array_equal(apply_exposures(photo, chosen.evs), chosen.image)
    assert chosen.evs == pytest.approx((2.0, 2.0, 2.0, 2.0))
    with pytest.raises(ValueError, match="evs is empty"):
        apply_exposures(photo, [])


def test_evaluation_renders_the_full_photo_then_shrinks_as_exposure_retouch_writes_it(tmp_path):
    write_sequences(tmp_path / "sequences", sequences=1, size=96)
    from exposure_env.data import make_pool

    pool = make_pool(str(tmp_path / "sequences"))
    render = evaluate.fuse_evs([1.0, 1.0, 1.0, 1.0], (1.0, 1.0, 1.0))
    judged, target = evaluate.judged_pair(pool, 0, render, 48)
    full = apply_exposures((pool[0].raw * 255).round().astype(np.uint8), [1.0] * 4).astype(np.float32) / 255
    assert judged.shape == target.shape == (48, 48, 3)
    np.testing.assert_allclose(judged, evaluate.shrink(full, 48), atol=1e-6)
    np.testing.assert_allclose(target, evaluate.shrink(pool[0].target, 48), atol=1e-6)


def test_exposure_eval_reports_each_pool_in_its_own_section(tmp_path):
    write_sequences(tmp_path / "sice", sequences=1, size=48)
    write_sequences(tmp_path / "people", sequences=1, evs=(0.0, 1.0), size=40)
    out = tmp_path / "report"
    evaluate.main(["--pool", str(tmp_path / "sice"), str(tmp_path / "people"), "--render-side", "32", "40",
                   "--photos", "2", "--size", "32", "--num-segments", "2", "--grid-rows", "1", "--out", str(out)])
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert {row["pool"] for row in rows} == {f"{tmp_path / 'sice'} (32 px)", f"{tmp_path / 'people'} (40 px)"}
    assert all(0 <= float(row["lightness_error"]) < 100 for row in rows)
    report = (out / "results.md").read_text()
    assert report.count("## ") == 2 and "|ΔL*|" in report
    assert (out / "grid_sice.png").is_file() and (out / "grid_people.png").is_file()


def test_human_taste_judges_the_shipped_policy_and_fixed_rows_on_both_yardsticks(tmp_path):
    for split in ("train", "dev"):
        write_sequences(tmp_path / "sice" / split, sequences=1, size=48)
    write_sequences(tmp_path / "fivek", sequences=2, evs=(0.0,), size=40)
    write_sequences(tmp_path / "real", sequences=3, evs=(-3.0,), size=40)
    out = tmp_path / "report"
    text = human_taste.main(["--critics", "--sice", str(tmp_path / "sice"), "--fivek", str(tmp_path / "fivek"),
                             "--real-dev", str(tmp_path / "real" / "raw"), "--out", str(out)])
    assert text.count("\n## ") == 3
    fivek = {row["method"]: row for row in csv.DictReader((out / "results_fivek_dev.csv").open())}
    assert {"the shipped policy", human_taste.SHIPPED_PEOPLE, "bracket -1..+1 EV", "bracket -2..+2 EV", "CLAHE on L",
            "oracle: best T EVs"} <= set(fivek)
    # the photos are their own targets here: identity is perfect and keeps the key exactly
    assert float(fivek["identity"]["lightness_error"]) < 0.5 and float(fivek["identity"]["psnr"]) > 40
    real = {row["method"]: row for row in csv.DictReader((out / "results_real_dev.csv").open())}
    assert float(real["identity"]["dark_lightness"]) <= float(real["identity"]["lightness"])
    assert float(real["global auto-exposure"]["dark_lightness"]) > float(real["identity"]["dark_lightness"]) + 10
    grid = Image.open(out / "fivek_grid_1.jpg")
    # raw | bracket | auto-exposure | the two shipped looks | expert
    assert grid.format == "JPEG" and grid.width > 6 * 40 and not (out / "fivek_grid_2.jpg").exists()


def test_human_taste_tables_give_each_recipe_its_mean_over_seeds():
    rows = [{"method": "human, none prior_seed0", "psnr": 20.0}, {"method": "human, none prior_seed1", "psnr": 22.0},
            {"method": "identity", "psnr": float("nan")}]
    text = human_taste.table(rows, (("psnr", "PSNR", 2),), ["human, none prior"])
    assert "| **human, none prior** | 2 | 21.00 ± 1.00 |" in text and "| identity | – | – |" in text
    assert human_taste.spread(3, 10) == [0, 4, 9] and human_taste.spread(20, 4) == [0, 1, 2, 3]


def test_the_darkest_third_is_chosen_by_the_raw_photos_lightness():
    from exposure_env.data.pool import Sample

    pool = [Sample(np.full((4, 4, 3), value, np.float32), None, str(value)) for value in (0.5, 0.1, 0.9, 0.05, 0.7, 0.3)]
    assert human_taste.darkest_third(pool) == [3, 1]


def test_the_actor_reads_where_a_segment_lies():
    import torch

    from agents.policies import Actor, segment_place

    original = torch.full((2, 3, 8, 8), 0.5)
    seg = torch.zeros_like(original)
    seg[0, :, :4, :] = 0.5  # the top half
    seg[1, :, 4:, :] = 0.5  # the bottom half: the same brightness statistics, another place
    state = torch.cat([seg, original, original], dim=1)
    place = segment_place(state)
    assert place[0, 0] < 0.3 < 0.7 < place[1, 0]  # rows: top, bottom
    assert torch.allclose(place[:, 1], torch.tensor(0.5)) and torch.allclose(place[0, 2:], place[1, 2:])
    torch.manual_seed(0)
    with torch.no_grad():
        blind = Actor(place=False)(state)
        seeing = Actor(place=True)(state)
    assert float(blind[0]) == float(blind[1])  # the same brightness statistics: the same action
    assert float(seeing[0]) != float(seeing[1])


def test_an_ev_window_keeps_every_exposure_within_its_stops_of_auto_exposure():
    import torch

    from agents.policies import Actor
    from exposure_env.ops.exposure import auto_exposure_ev_torch

    torch.manual_seed(0)
    state = torch.rand(3, 9, 16, 16) * torch.tensor([0.05, 0.3, 1.0]).view(3, 1, 1, 1)  # dark, dim, bright photos
    prior = auto_exposure_ev_torch(state[:, 3:6])
    for push in (-50.0, 50.0):  # an MLP driven to either end of its tanh
        windowed, whole = Actor(max_ev=5.0, ev_window=1.5), Actor(max_ev=5.0)
        with torch.no_grad():
            for actor in (windowed, whole):
                actor.mlp[-1].bias.fill_(push)
            evs, unbounded = windowed(state).squeeze(1) * 5.0, whole(state).squeeze(1) * 5.0
        sign = 1.0 if push > 0 else -1.0
        assert torch.allclose(evs, torch.clamp(prior + 1.5 * sign, -5.0, 5.0), atol=1e-4)
        assert torch.allclose(unbounded, torch.clamp(prior + 5.0 * sign, -5.0, 5.0), atol=1e-4)  # the whole range
    with pytest.raises(ValueError, match="ev_window"):
        Actor(ev_prior="none", ev_window=1.0)


def test_fuse_input_puts_the_photo_itself_in_every_fusion_the_env_the_agent_and_the_render_make(tmp_path):
    """ExposureMDP.fuse_input: the env's P_T, the batched env's, the agent's differentiable P_T and the
    full-resolution render all fuse S0's own 0-EV frame beside the T exposures; a saved model carries it."""
    import gymnasium as gym
    import torch

    from agents import DeepExposure
    from agents.transition import unroll
    from exposure_env.ops.exposure import expose
    from exposure_env.ops.fusion import fuse_exposures, mertens_fusion
    from exposure_env.vector import ExposureRetouchVectorEnv, SB3VecEnv

    settings = {"size": 16, "num_segments": 2, "max_ev": 4.0, "reward": "reference"}
    actions = (np.array([0.5], np.float32), np.array([-0.25], np.float32))  # +2 and -1 EV
    fused = {}
    for fuse_input in (False, True):
        env = gym.make("ExposureRetouch-v0", fuse_input=fuse_input, **settings)
        observation, _ = env.reset(options={"index": 0})
        for action in actions:
            _, _, _, _, info = env.step(action)
        fused[fuse_input] = info["fused"]
    original = observation["original"].astype(np.float32) / 255
    frames = [expose(original, 2.0), expose(original, -1.0), expose(original, 0.0)]
    np.testing.assert_array_equal(fused[True], mertens_fusion(np.stack(frames)))
    np.testing.assert_array_equal(fused[False], mertens_fusion(np.stack(frames[:2])))
    assert np.abs(fused[True] - fused[False]).max() > 0.05  # the input's frame changes P_T

    batched = ExposureRetouchVectorEnv(2, fuse_input=True, **settings)  # bitwise the single env's, as always
    batched.reset(options={"index": [0, 0]})
    for action in actions:
        *_, infos = batched.step(np.stack([action, action]))
    np.testing.assert_array_equal(infos["fused"][0], fused[True])

    agent = DeepExposure("MultiInputPolicy", SB3VecEnv(batched), n_images=2, device="cpu", p_steps=0)
    state = torch.from_numpy(original).permute(2, 0, 1)[None]
    masks = torch.ones(1, 2, 16, 16)
    agent_fused, _, taken = unroll(agent.policy.actor, state, masks, 4.0, (1.0, 1.0, 1.0), agent.fuse_input)
    expected = fuse_exposures(original, (taken[0] * 4.0).tolist(), fuse_input=True)
    np.testing.assert_allclose(agent_fused[0].permute(1, 2, 0).detach().numpy(), expected, atol=1e-4)
    agent.save(tmp_path / "model.zip")
    loaded = DeepExposure.load(tmp_path / "model.zip", device="cpu")
    assert loaded.fuse_input and loaded.retouch_settings() == {"size": 16, "num_segments": 2, "max_ev": 4.0,
                                                              "fuse_input": True}

    photo = (np.random.default_rng(0).random((24, 30, 3)) * 120).astype(np.uint8)
    chosen = retouch(photo, lambda observation, info, env: np.array([0.5], np.float32), **loaded.retouch_settings())
    assert np.array_equal(chosen.image, apply_exposures(photo, [*chosen.evs, 0.0]))
    assert not np.array_equal(chosen.image, apply_exposures(photo, chosen.evs))
    plain_env = gym.make("ExposureRetouch-v0", **settings)  # judged in an env without it, as human_taste does
    judged = evaluate.model_method(loaded)(plain_env, 0)
    evs = evaluate.roll_out(plain_env, evaluate.model_policy(loaded), 0)["evs"]
    np.testing.assert_array_equal(judged.result, fuse_exposures(judged.original, evs, fuse_input=True))
    np.testing.assert_array_equal(judged.render(photo / np.float32(255)) * 255,
                                  apply_exposures(photo, [*evs, 0.0]).astype(np.float32))
