"""Pure image operations, numpy functions and their ``*_torch`` twins (batched BCHW tensors)."""

from exposure_env.ops.color import linear_to_srgb, linear_to_srgb_torch, luma, luma_torch, srgb_to_linear, srgb_to_linear_torch
from exposure_env.ops.exposure import (
    UINT8_CODES,
    auto_exposure_ev,
    auto_exposure_ev_torch,
    expose,
    expose_lut,
    expose_torch,
    exposure_tables,
    exposure_tables_torch,
    local_composite,
    local_composite_torch,
)
from exposure_env.ops.features import critic_features, critic_features_torch
from exposure_env.ops.fusion import (
    fuse_exposures,
    fuse_exposures_torch,
    laplacian_torch,
    mertens_fusion,
    mertens_fusion_torch,
)
from exposure_env.ops.segmentation import SEGMENTATION_METHODS, segment

__all__ = [
    "UINT8_CODES",
    "SEGMENTATION_METHODS",
    "auto_exposure_ev",
    "auto_exposure_ev_torch",
    "critic_features",
    "critic_features_torch",
    "expose",
    "expose_lut",
    "expose_torch",
    "exposure_tables",
    "exposure_tables_torch",
    "fuse_exposures",
    "fuse_exposures_torch",
    "laplacian_torch",
    "linear_to_srgb",
    "linear_to_srgb_torch",
    "local_composite",
    "local_composite_torch",
    "luma",
    "luma_torch",
    "mertens_fusion",
    "mertens_fusion_torch",
    "segment",
    "srgb_to_linear",
    "srgb_to_linear_torch",
]
