"""Oracle exposures: the global EV is recovered, the T-EV search beats it and a fixed bracket, bad input fails."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from agents.oracle import (
    GLOBAL_ORACLE,
    SET_ORACLE,
    best_exposure_set,
    best_global_ev,
    oracle_results,
)
from exposure_env.data import EmbeddedPool, ImagePool, Sample
from exposure_env.env import ExposureRetouchEnv
from exposure_env.mdp import ExposureMDP
from exposure_env.metrics import psnr
from exposure_env.ops.exposure import expose
from exposure_env.ops.fusion import mertens_fusion

SIZE, T = 32, 4
FIXED_BRACKET = (-1.5, -0.5, 0.5, 1.5)


def smooth_photo(size: int, seed: int) -> np.ndarray:
    """``(size, size, 3)`` float32 smooth random colours in ``[0, 1]``."""
    coarse = np.random.default_rng(seed).random((4, 4, 3), dtype=np.float32)
    return np.clip(cv2.resize(coarse, (size, size), interpolation=cv2.INTER_CUBIC), 0.0, 1.0)


def fused_psnr(original: np.ndarray, target: np.ndarray, evs) -> float:
    """PSNR of the env's P_T for ``evs``: Mertens fusion of ``expose(original, e)``."""
    return psnr(mertens_fusion(np.stack([expose(original, float(ev)) for ev in evs])), target)


@pytest.fixture(scope="module")
def embedded_photos() -> list[tuple[np.ndarray, np.ndarray]]:
    """S0 and target of three held-out photos (two colour, one grey), as the env prepares them."""
    pool = EmbeddedPool("test", n_items=3)
    photos = []
    for index in range(3):
        sample = pool[index]
        photo = ExposureMDP(SIZE, T).prepare(sample.raw, sample.target)
        photos.append((photo.original, photo.target))
    return photos


@pytest.mark.parametrize("seed", [0, 1])
def test_global_oracle_undoes_a_known_exposure(seed):
    target = smooth_photo(SIZE, seed)
    original = expose(target, -1.5)
    ev = best_global_ev(original, target)
    assert ev == pytest.approx(1.5, abs=0.05)
    assert psnr(expose(original, ev), target) > 40.0


def test_global_oracle_stays_in_range_and_hits_the_bound():
    target = smooth_photo(SIZE, 2)
    original = expose(target, -2.5)
    ev = best_global_ev(original, target, max_ev=1.0)
    assert ev == pytest.approx(1.0, abs=1e-3)
    evs = best_exposure_set(original, target, 3, max_ev=1.0)
    assert evs.shape == (3,) and np.all(np.abs(evs) <= 1.0 + 1e-12)


def test_exposure_set_never_worse_than_global_and_beats_fixed_bracket(embedded_photos):
    gains = []
    for original, target in embedded_photos:
        global_ev = best_global_ev(original, target)
        evs = best_exposure_set(original, target, T)
        assert evs.shape == (T,) and np.all(np.diff(evs) >= 0) and np.all(np.abs(evs) <= 3.0)
        set_psnr = fused_psnr(original, target, evs)
        global_psnr = fused_psnr(original, target, [global_ev] * T)
        # fusing T copies of one exposure gives that exposure (to float rounding)
        assert global_psnr == pytest.approx(psnr(expose(original, global_ev), target), abs=1e-3)
        assert set_psnr >= global_psnr
        assert set_psnr >= fused_psnr(original, target, FIXED_BRACKET)
        gains.append(set_psnr - global_psnr)
    # more than one EV pays off on some photo: the search does more than repeat the global EV
    assert max(gains) > 0.1


def test_one_segment_is_the_global_oracle(embedded_photos):
    original, target = embedded_photos[0]
    (ev,) = best_exposure_set(original, target, 1)
    assert psnr(expose(original, ev), target) >= psnr(expose(original, best_global_ev(original, target)), target)


def test_oracle_results_match_the_env_episode():
    pool = EmbeddedPool("test", n_items=2)
    results = oracle_results(pool, 2, size=SIZE, num_segments=T)
    assert set(results) == {GLOBAL_ORACLE, SET_ORACLE}
    env = ExposureRetouchEnv(pool=pool, size=SIZE, num_segments=T, reward="reference")
    for index in range(2):
        for rows in results.values():
            row = rows[index]
            assert row["name"] == pool[index].name
            assert row["evs"].shape == (T,) and row["fused"].shape == row["target"].shape == row["original"].shape
            assert row["seconds"] > 0
            env.reset(options={"index": index})
            for ev in row["evs"]:
                *_, info = env.step(np.array([ev / 3.0], np.float32))
            np.testing.assert_allclose(info["fused"], row["fused"], atol=1e-4)
            np.testing.assert_array_equal(info["target"], row["target"])
        global_row, set_row = results[GLOBAL_ORACLE][index], results[SET_ORACLE][index]
        assert np.ptp(global_row["evs"]) == 0
        assert psnr(set_row["fused"], set_row["target"]) >= psnr(global_row["fused"], global_row["target"])


class _UnpairedPool(ImagePool):
    paired = False

    def __len__(self) -> int:
        return 1

    def __getitem__(self, index: int) -> Sample:
        return Sample(raw=smooth_photo(SIZE, 0), target=None, name="unpaired")


class _MissingTargetPool(_UnpairedPool):
    paired = True


def test_bad_inputs_raise_clear_errors():
    photo = smooth_photo(SIZE, 0)
    with pytest.raises(ValueError, match="target must have the shape"):
        best_global_ev(photo, photo[:16])
    with pytest.raises(ValueError, match="original must be an"):
        best_exposure_set(photo[..., 0], photo[..., 0], T)
    with pytest.raises(ValueError, match="num_segments"):
        best_exposure_set(photo, photo, 0)
    with pytest.raises(ValueError, match="original must be float"):
        best_global_ev((photo * 255).astype(np.uint8), photo)
    for max_ev in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="max_ev"):
            best_global_ev(photo, photo, max_ev=max_ev)
        with pytest.raises(ValueError, match="max_ev"):
            best_exposure_set(photo, photo, T, max_ev=max_ev)
    with pytest.raises(ValueError, match="sweeps"):
        best_exposure_set(photo, photo, T, sweeps=0)
    with pytest.raises(ValueError, match="pool must be paired"):
        oracle_results(_UnpairedPool(), 1)
    with pytest.raises(ValueError, match="has no target"):
        oracle_results(_MissingTargetPool(), 1, size=SIZE)
    with pytest.raises(ValueError, match="num_photos"):
        oracle_results(EmbeddedPool("test", n_items=2), 3)
    with pytest.raises(ValueError, match="num_segments"):
        oracle_results(EmbeddedPool("test", n_items=2), 1, num_segments=0)
