#!/usr/bin/env bash
# Every number and picture in docs/results/clean_render (issue 30). Development data only (../shared/data, never
# shipped). Times: 2 CPU cores shared by 4-5 jobs (load 8-10 during these runs).
set -euo pipefail

# The shipped policy's decisions on the 291 frames of sice dev (an env episode each, cached in evs.json), rendered
# at 512 px by each render variant on every third frame (97 frames), the defects measured against the fusions of
# the real sequences; crops_*.jpg: input | today | noise-aware gain | target, 1:1 (about 20 min)
OMP_NUM_THREADS=1 python -m train.experiments.clean_render --sice ../shared/data/sice_sequences/dev --stride 3 \
    --out docs/results/clean_render \
    --variants today "saturation weight 0 (changes P_T)" "noise-aware gain (new default)"

# The highlight shoulder (then opt-in, exposure-retouch --shoulder; that flag is gone, the knee is now an env setting)
# beside the noise-aware gain and today's render, on the same 97 frames and the same cached decisions;
# shoulder/crops_highlights.jpg: input | noise-aware gain | shoulder at knee 0.5 | target, 1:1, of the frames where
# the noise-aware gain clips most of the target's detail
# (about 5 min on a quiet machine)
OMP_NUM_THREADS=1 python -m train.experiments.clean_render --sice ../shared/data/sice_sequences/dev --stride 3 \
    --decisions docs/results/clean_render --out docs/results/clean_render/shoulder \
    --variants "noise-aware gain (new default)" today "noise-aware gain + highlight shoulder, knee 0.8" \
    "noise-aware gain + highlight shoulder, knee 0.5 (opt-in)"

# 12 MP speed and peak memory, side by side in one run: retouch (noise-aware gain), MergeMertens alone, and retouch
# with denoise=False (bench.txt; 40 s on a quiet machine)
OMP_NUM_THREADS=1 python bench/retouch.py --no-denoise --repeats 3 > docs/results/clean_render/bench.txt

# What the render makes of the best decisions: the oracle's best T EVs (they know the target; train.evaluate.oracle_evs)
# on every frame, rendered by today's render and the default one on the same 97 frames (oracle/; 4 min on one core)
OMP_NUM_THREADS=1 python -m train.experiments.clean_render --sice ../shared/data/sice_sequences/dev --stride 3 \
    --decider oracle --out docs/results/clean_render/oracle --variants today "noise-aware gain (new default)"

# The fusion look since round 9 of issue 28 (trained in an env with the highlight shoulder at 0.1; since round 10 with
# smaller actor steps): its decisions (made in that env), rendered as exposure-retouch writes them (the shoulder at
# 0.1) and clipped, on the same 97 frames (fusion_look/; about 15 min on one core). The decisions are cached in
# fusion_look/evs.json and evs_fivek.json, each row with the SHA-256 of the policy that made it (a cache of another
# policy is refused): delete both when the look changes (done for round 10's look)
rm -f docs/results/clean_render/fusion_look/evs.json docs/results/clean_render/fusion_look/evs_fivek.json
OMP_NUM_THREADS=1 python -m train.experiments.clean_render --sice ../shared/data/sice_sequences/dev --stride 3 \
    --out docs/results/clean_render/fusion_look \
    --variants "noise-aware gain + highlight shoulder, knee 0.1 (the fusion look's since round 9)" \
    "noise-aware gain (new default)"
