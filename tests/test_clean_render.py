"""The noise-aware gain and the highlight shoulder of the full-resolution render (issue 30), on tiny synthetic photos."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from skimage.color import rgb2lab

from exposure_env.ops.clean import gain_weights
from exposure_env.ops.color import srgb_to_linear
from exposure_env.ops.exposure import SHOULDER_KNEE, expose, expose_torch, highlight_shoulder
from exposure_env.retouch import apply_exposures

#: a dark beige (8-bit codes) and the sensor-like noise on it, in codes
DARK_BEIGE, NOISE = np.array([14.0, 10.0, 6.0], np.float32), 1.0
#: the two segments of the step: a dark blue and a bright sand (8-bit codes), and the EVs fused over them
DARK_SIDE, BRIGHT_SIDE, STEP_EVS = (12, 20, 30), (230, 200, 120), (3.0, 1.0, 0.0, -1.0)
#: Mertens' own ringing on that step, in codes: the render without the cleaning undershoots the dark side's blue
#: by 21.6 codes on the pixel next to the edge (OpenCV 5.0); the cleaning may add at most one code to it
MERTENS_RINGING = 22.0


def noisy_dark_patch(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(np.rint(DARK_BEIGE + rng.normal(0.0, NOISE, (64, 64, 3))), 0, 255).astype(np.uint8)


def hue_degrees(rgb: np.ndarray) -> float:
    """Hue angle of the mean CIELAB colour of ``(..., 3)`` sRGB in ``[0, 1]``."""
    _, a, b = rgb2lab(rgb).reshape(-1, 3).mean(axis=0)
    return float(np.degrees(np.arctan2(b, a)))


def test_lifted_dark_patch_keeps_its_hue_and_gains_less_noise():
    patch = noisy_dark_patch()
    plain = apply_exposures(patch, (4.0,), denoise=False).astype(np.float32) / 255
    clean = apply_exposures(patch, (4.0,), denoise=True).astype(np.float32) / 255
    noiseless_hue = hue_degrees(expose(DARK_BEIGE / 255, 4.0)[None, None])
    assert abs(hue_degrees(clean) - noiseless_hue) < 2.0
    # +4 EV multiplies the patch's noise about threefold unprocessed; the cleaned lift keeps under half of that
    assert np.all(clean.reshape(-1, 3).std(axis=0) < 0.5 * plain.reshape(-1, 3).std(axis=0))
    assert abs(float(clean.mean()) - float(plain.mean())) < 2 / 255  # smoothed, not darkened or lifted further


def test_step_edge_between_two_segments_gets_no_overshoot_from_the_cleaning():
    image = np.zeros((64, 64, 3), np.uint8)
    image[:, :32], image[:, 32:] = DARK_SIDE, BRIGHT_SIDE
    excursions = {}
    for denoise in (False, True):
        out = apply_exposures(image, STEP_EVS, denoise=denoise).astype(np.float32)
        left, right = out[:, :8].reshape(-1, 3).mean(axis=0), out[:, -8:].reshape(-1, 3).mean(axis=0)
        low, high = np.minimum(left, right), np.maximum(left, right)
        excursions[denoise] = max(float((out - high).max()), float((low - out).max()))
    assert excursions[True] <= MERTENS_RINGING
    assert excursions[True] <= excursions[False] + 1.0


def test_pixels_that_are_not_lifted_are_never_touched():
    patch = noisy_dark_patch(1)
    patch[:32] = 200  # a bright half, which +2 EV clips
    assert not gain_weights(patch[..., 0], -1.0).any()
    assert not gain_weights(np.full((4, 4), 250, np.uint8), 2.0).any()  # flat (clipped) top of the curve
    np.testing.assert_array_equal(apply_exposures(patch, (0.0, -1.5), denoise=True),
                                  apply_exposures(patch, (0.0, -1.5), denoise=False))


def test_a_clipped_highlight_keeps_a_gradient_under_the_shoulder():
    ramp = np.linspace(0.5, 1.0, 129)  # sRGB: the bright half of the range, pushed +3 EV past white
    clipped, rolled = expose(ramp, 3.0), expose(ramp, 3.0, shoulder=SHOULDER_KNEE)
    np.testing.assert_allclose(clipped, 1.0, atol=1e-12)  # the hard clip: flat white
    assert np.all(np.diff(rolled) > 0) and rolled[-1] == pytest.approx(1.0)  # strictly increasing, white stays white
    # rendered as exposure-retouch writes an 8-bit file: the clip gives one code, the shoulder a monotone ramp
    image = np.repeat(np.rint(ramp * 255).astype(np.uint8)[None, :, None], 3, axis=2).repeat(4, axis=0)
    flat, kept = (apply_exposures(image, (3.0,), shoulder=knee)[2, :, 1].astype(int) for knee in (None, SHOULDER_KNEE))
    assert np.unique(flat).tolist() == [255]
    assert np.all(np.diff(kept) >= 0) and len(np.unique(kept)) >= 15 and kept[0] < 245


def test_the_shoulder_is_the_plain_exposure_below_its_knee_and_c1_at_it():
    codes = np.linspace(0.0, 1.0, 1001)
    for ev in (-2.0, 0.0, 0.5, 3.0):
        below = srgb_to_linear(codes) * 2.0**ev <= SHOULDER_KNEE
        np.testing.assert_array_equal(expose(codes, ev, shoulder=SHOULDER_KNEE)[below], expose(codes, ev)[below])
        assert np.all(np.diff(expose(codes, ev, shoulder=SHOULDER_KNEE)) >= 0)
    np.testing.assert_array_equal(expose(codes, -1.0, shoulder=SHOULDER_KNEE), expose(codes, -1.0))  # nothing can clip
    step = 1e-6  # slope 1 on both sides of the knee (linear light, gain 8)
    assert (highlight_shoulder(np.array([SHOULDER_KNEE + step]), 8.0)[0] - SHOULDER_KNEE) / step == \
        pytest.approx(1.0, abs=1e-4)
    for bad in (True, "x", 1.5):  # one line naming the argument, whatever the bad value's type
        with pytest.raises(ValueError, match=f"shoulder {bad!r}: the knee must be a linear value in"):
            apply_exposures(np.zeros((4, 4, 3), np.uint8), (1.0,), shoulder=bad)


def test_shoulder_numpy_and_torch_twins_agree():
    rng = np.random.default_rng(0)
    photo = rng.uniform(0.0, 1.0, (3, 8, 8, 3))
    evs = np.array([-1.0, 0.7, 3.0])
    out = expose_torch(torch.from_numpy(photo).permute(0, 3, 1, 2), torch.from_numpy(evs), shoulder=SHOULDER_KNEE)
    for image, twin, ev in zip(photo, out.permute(0, 2, 3, 1).numpy(), evs):
        np.testing.assert_allclose(twin, expose(image, ev, shoulder=SHOULDER_KNEE), atol=1e-12)


def test_clean_render_oracle_decisions_undo_a_known_exposure_and_the_cache_keeps_its_decider(tmp_path):
    """clean_render --decider oracle: the best T EVs of a frame 2 stops under its target are all near +2, a cache
    of one decider's EVs is refused for the other, and the policy's decisions made by another policy are refused."""
    from PIL import Image

    from train.experiments.clean_render import ORACLE, POLICY, decisions

    rng = np.random.default_rng(0)
    for folder in ("raw", "expert"):
        (tmp_path / folder).mkdir()
    for index in range(2):  # smooth scenes (JPEG keeps them) with dark and bright parts
        small = rng.uniform(0.15, 0.85, (4, 4, 3)).astype(np.float32)
        target = np.asarray(Image.fromarray((small * 255).astype(np.uint8)).resize((96, 96), Image.BILINEAR))
        raw = expose(target.astype(np.float32) / 255.0, -2.0)
        Image.fromarray(target).save(tmp_path / "expert" / f"{index}.png")
        Image.fromarray((raw * 255 + 0.5).astype(np.uint8)).save(tmp_path / "raw" / f"{index}.png")
    rows = decisions(tmp_path, tmp_path / "evs.json", ORACLE)
    assert [row["decider"] for row in rows] == [ORACLE, ORACLE]
    assert np.allclose([row["evs"] for row in rows], 2.0, atol=0.5)
    with pytest.raises(SystemExit, match="another decider"):
        decisions(tmp_path, tmp_path / "evs.json", POLICY)
    # the policy's decisions name the policy that made them: another's are refused, unnamed (older) ones kept
    policy_rows = [{**row, "decider": POLICY} for row in rows]
    (tmp_path / "policy.json").write_text(json.dumps([{**row, "policy_sha256": "0" * 64} for row in policy_rows]))
    with pytest.raises(SystemExit, match="another policy"):
        decisions(tmp_path, tmp_path / "policy.json", POLICY)
    (tmp_path / "older.json").write_text(json.dumps(policy_rows))
    assert decisions(tmp_path, tmp_path / "older.json", POLICY) == policy_rows


def test_the_env_shoulder_is_one_definition_from_episode_to_render(tmp_path):
    """``shoulder``, an env setting: the single env's S^g_t, S^l_t and P_T roll highlights off by it, the batched
    env (numpy bitwise, torch closely) and the agent's differentiable unroll agree, a saved agent keeps it, and
    retouch and the evaluation render the model's decisions with it."""
    import gymnasium as gym
    import torch

    from agents import DeepExposure
    from agents.transition import unroll
    from exposure_env.ops.exposure import local_composite
    from exposure_env.ops.fusion import fuse_exposures, mertens_fusion
    from exposure_env.retouch import retouch
    from exposure_env.vector import ExposureRetouchVectorEnv, SB3VecEnv
    from train import evaluate

    knee, settings = 0.25, {"size": 16, "num_segments": 2, "max_ev": 4.0, "reward": "reference"}
    actions = (np.array([0.75], np.float32), np.array([-0.25], np.float32))  # +3 and -1 EV
    fused, local = {}, {}
    for shoulder in (None, knee):
        env = gym.make("ExposureRetouch-v0", shoulder=shoulder, **settings)
        observation, _ = env.reset(options={"index": 0})
        mask = env.unwrapped._masks[0]
        for action in actions:
            observation, _, _, _, info = env.step(action)
            local.setdefault(shoulder, observation["local"])
        fused[shoulder] = info["fused"]
    original = observation["original"].astype(np.float32) / 255
    frames = [expose(original, 3.0, knee), expose(original, -1.0, knee)]
    np.testing.assert_array_equal(fused[knee], mertens_fusion(np.stack(frames)))
    assert np.abs(fused[knee] - fused[None]).max() > 0.05  # the highlights roll off instead of clipping
    np.testing.assert_array_equal(local[knee], np.rint(local_composite(original, 3.0, mask, knee) * 255))

    for backend in ("numpy", "torch"):
        batched = ExposureRetouchVectorEnv(2, shoulder=knee, backend=backend, **settings)
        batched.reset(options={"index": [0, 0]})
        for action in actions:
            *_, infos = batched.step(np.stack([action, action]))
        np.testing.assert_allclose(infos["fused"][0], fused[knee], atol=0 if backend == "numpy" else 2e-3)

    agent = DeepExposure("MultiInputPolicy", SB3VecEnv(batched), n_images=2, device="cpu", p_steps=0)
    state = torch.from_numpy(original).permute(2, 0, 1)[None]
    agent_fused, _, taken = unroll(agent.policy.actor, state, torch.ones(1, 2, 16, 16), 4.0, (1.0, 1.0, 1.0),
                                   agent.fuse_input, agent.shoulder)
    expected = fuse_exposures(original, (taken[0] * 4.0).tolist(), shoulder=knee)
    np.testing.assert_allclose(agent_fused[0].permute(1, 2, 0).detach().numpy(), expected, atol=1e-4)
    agent.save(tmp_path / "model.zip")
    loaded = DeepExposure.load(tmp_path / "model.zip", device="cpu")
    assert loaded.retouch_settings() == {"size": 16, "num_segments": 2, "max_ev": 4.0, "shoulder": knee}

    photo = np.clip(np.random.default_rng(0).random((24, 30, 3)) * 400, 0, 255).astype(np.uint8)  # bright areas
    chosen = retouch(photo, lambda observation, info, env: np.array([0.75], np.float32), **loaded.retouch_settings())
    assert np.array_equal(chosen.image, apply_exposures(photo, chosen.evs, shoulder=knee))
    assert not np.array_equal(chosen.image, apply_exposures(photo, chosen.evs))
    plain_env = gym.make("ExposureRetouch-v0", **settings)  # judged in an env without it, as human_taste does
    judged = evaluate.model_method(loaded)(plain_env, 0)
    assert plain_env.unwrapped.mdp.shoulder is None  # the env is left as it was
    evs = evaluate.roll_out(plain_env, evaluate.model_policy(loaded), 0, {"shoulder": knee})["evs"]
    np.testing.assert_array_equal(judged.result, fuse_exposures(judged.original, evs, shoulder=knee))
    np.testing.assert_array_equal(judged.render(photo / np.float32(255)) * 255,
                                  apply_exposures(photo, evs, shoulder=knee).astype(np.float32))
