#!/usr/bin/env bash
# Every run behind docs/results/human_taste (and the shipped policy): the critics, the training runs, one evaluation.
# Development data only (../shared/data, never shipped). Times: 2 CPU cores shared by 2-4 jobs.
set -euo pipefail
D=../shared/data; S=$D/sice_sequences; P=$D/photos_by_people
TERMS="research, non-commercial use only"

# Critics whose experts M2 are photos people made (pretrain_critic --experts), alone and mixed with the fusions
# (about 30 min each, 600 WGAN-GP updates); the 'human + real' critic is the human critic and the shipped real one
# summed, each weighed to the same spread (15 s)
OMP_NUM_THREADS=1 python -m train.pretrain_critic --pool $S/train --experts $P/natural $P/fivek_unpaired/expert \
    --eval-pool $P/fivek_dev --max-ev 5 --steps 600 --batch-size 48 --out runs/critics/human/critic.pt \
    --training-data "sice_sequences/train raw frames (SICE via Zero-DCE++, CC BY-NC 4.0) as M3; photos_by_people/natural (BSDS500, Urban100, Sun-Hays 80, McMaster, Kodak24) and photos_by_people/fivek_unpaired/expert (MIT-Adobe FiveK, research only) as M2: $TERMS"
OMP_NUM_THREADS=1 python -m train.pretrain_critic --pool $S/train --experts $P/natural $P/fivek_unpaired/expert \
    $S/train/expert --eval-pool $P/fivek_dev --max-ev 5 --steps 600 --batch-size 48 --out runs/critics/mixed/critic.pt \
    --training-data "sice_sequences/train raw frames (SICE via Zero-DCE++, CC BY-NC 4.0) as M3; as M2 the fusions of sice_sequences/train (expert/), photos_by_people/natural (BSDS500, Urban100, Sun-Hays 80, McMaster, Kodak24) and photos_by_people/fivek_unpaired/expert (MIT-Adobe FiveK): $TERMS"
python -m train.ensemble_critic --critics runs/critics/human/critic.pt real --pool $S/train --eval-pool $P/fivek_dev \
    --max-ev 5 --training-data "human critic (natural + fivek_unpaired experts as M2) + real critic (sice fusions as M2)" \
    --out runs/critics/human_real/critic.pt

# Preference shares of every critic on both yardsticks (4 min)
OMP_NUM_THREADS=1 python -m train.experiments.critic_preference --critics embedded real ensemble \
    runs/critics/human/critic.pt runs/critics/mixed/critic.pt runs/critics/human_real/critic.pt \
    --pools $P/fivek_dev $S/dev embedded:test --out docs/results/critic_preference

# DeepExposure II on the raw frames of sice_sequences/train, a fixed critic as the reward (GAN: retrained between
# roll-outs), 8192 env steps; 5-8 min each, two to four at a time; --eval-pool only draws the curves
train() {  # reward critic prior seed name
    OMP_NUM_THREADS=1 exposure-train --algo deepexposure-discriminator --pool $S/train --eval-pool $S/dev \
        --reward "$1" --critic "$2" --ev-prior "$3" --max-ev 5 --steps 8192 --seed "$4" --n-images 64 \
        --eval-photos 32 --out "runs/taste/$5_seed$4"
}
for seed in 0 1 2; do train critic real none $seed real-none; done            # the shipped recipe (seed 0 ships)
for seed in 0 1 2 3; do train critic ensemble none $seed ensemble-none; done
train critic runs/critics/human/critic.pt none 0 human-none
train critic runs/critics/mixed/critic.pt none 0 mixed-none
train critic runs/critics/human_real/critic.pt none 0 human_real-none
train gan ensemble none 0 gan-ensemble-none

# One evaluation of everything on sice dev (256 px), fivek dev (512 px) and real_dev, every decision rendered as
# exposure-retouch renders the file; its packaged row (labelled 'shipped before') is the policy that still ships
# (ensemble critic, auto-exposure prior, seed 0): no recipe replaced it
M=runs/taste
OMP_NUM_THREADS=1 python -m train.experiments.human_taste --critics \
    --packaged-label "policy shipped before: ensemble critic, auto-exposure prior" \
    --models "real critic, 0 EV prior_seed0=$M/real-none_seed0/model.zip" \
             "real critic, 0 EV prior_seed1=$M/real-none_seed1/model.zip" \
             "real critic, 0 EV prior_seed2=$M/real-none_seed2/model.zip" \
             "ensemble critic, 0 EV prior_seed0=$M/ensemble-none_seed0/model.zip" \
             "ensemble critic, 0 EV prior_seed1=$M/ensemble-none_seed1/model.zip" \
             "ensemble critic, 0 EV prior_seed2=$M/ensemble-none_seed2/model.zip" \
             "ensemble critic, 0 EV prior_seed3=$M/ensemble-none_seed3/model.zip" \
             "human critic, 0 EV prior=$M/human-none_seed0/model.zip" \
             "mixed critic, 0 EV prior=$M/mixed-none_seed0/model.zip" \
             "human + real critics, 0 EV prior=$M/human_real-none_seed0/model.zip" \
             "GAN reward from the ensemble critic, 0 EV prior=$M/gan-ensemble-none_seed0/model.zip" \
    --out docs/results/human_taste

# ------------------------------------------------------------------------------------------------------------------
# Round 2 (this issue's item 3): critics whose fakes are the people's photos made worse by exposure alone, critic
# ensembles, a raw pool with people's photos, one segment, the segment's place, the ±3 EV range, the shipped recipe's
# seeds 1-2. Critics: 15-17 min each at 600 updates (2 cores shared); ensembles 15 s.
PEOPLE="photos_by_people/natural (BSDS500, Urban100, Sun-Hays 80, McMaster, Kodak24), photos_by_people/fivek_unpaired/expert (MIT-Adobe FiveK)"
OMP_NUM_THREADS=1 python -m train.pretrain_critic --pool $S/train --experts $P/natural $P/fivek_unpaired/expert \
    --fakes experts --eval-pool $P/fivek_dev --max-ev 5 --steps 600 --batch-size 48 --out runs/critics/people/critic.pt \
    --training-data "as M2: $PEOPLE; the fakes M1 are those photos made worse by exposure alone: $TERMS"
OMP_NUM_THREADS=1 python -m train.pretrain_critic --pool $S/train --experts $P/natural $P/fivek_unpaired/expert \
    $S/train/expert --fakes experts --eval-pool $P/fivek_dev --max-ev 5 --steps 600 --batch-size 48 \
    --out runs/critics/people_sice/critic.pt \
    --training-data "as M2: $PEOPLE and the fusions of sice_sequences/train (SICE via Zero-DCE++, CC BY-NC 4.0); the fakes M1 are those photos made worse by exposure alone: $TERMS"
OMP_NUM_THREADS=1 python -m train.pretrain_critic --pool $S/train --experts $P/natural $P/fivek_unpaired/expert \
    $S/train/expert --fakes experts --fake-evs 0.25 2 --eval-pool $P/fivek_dev --max-ev 5 --steps 600 --batch-size 48 \
    --out runs/critics/people_sice_fine/critic.pt \
    --training-data "as M2: $PEOPLE and the fusions of sice_sequences/train (SICE via Zero-DCE++, CC BY-NC 4.0); the fakes M1 are those photos made worse by exposure alone: $TERMS"
python -m train.ensemble_critic --critics embedded real runs/critics/people_sice/critic.pt --pool $S/train \
    --eval-pool $P/fivek_dev --max-ev 5 --out runs/critics/ens3ps/critic.pt \
    --training-data "embedded + real + people_sice critics (their provenances)"

# Every critic's preference shares and its favourite global EV on both yardsticks (8 min)
OMP_NUM_THREADS=1 python -m train.experiments.critic_preference --critics embedded real ensemble \
    runs/critics/human/critic.pt runs/critics/mixed/critic.pt runs/critics/human_real/critic.pt \
    runs/critics/people/critic.pt runs/critics/people_sice/critic.pt runs/critics/people_sice_fine/critic.pt \
    runs/critics/ens3ps/critic.pt --pools $P/fivek_dev $S/dev --out docs/results/critic_preference

# A raw pool M3 of sice_sequences/train's raw frames and the people's photos (links in one folder)
mkdir -p runs/pools/sice_natural/raw
for f in $S/train/raw/*; do ln -sf "$(realpath "$f")" "runs/pools/sice_natural/raw/sice_$(basename "$f")"; done
for d in $P/natural/*; do for f in "$d"/*; do ln -sf "$(realpath "$f")" "runs/pools/sice_natural/raw/$(basename "$d")_$(basename "$f")"; done; done
for f in $P/fivek_unpaired/raw/*; do ln -sf "$(realpath "$f")" "runs/pools/sice_natural/raw/fivekraw_$(basename "$f")"; done

train2() {  # critic prior max-ev seed name [pool] [extra exposure-train arguments...]
    OMP_NUM_THREADS=1 exposure-train --algo deepexposure-discriminator --pool "${6:-$S/train}" --eval-pool $S/dev \
        --reward critic --critic "$1" --ev-prior "$2" --max-ev "$3" --steps 8192 --seed "$4" --n-images 64 \
        --eval-photos 32 --out "runs/taste/$5_seed$4" "${@:7}"
}
train2 ensemble auto-exposure 5 1 ensemble-auto; train2 ensemble auto-exposure 5 2 ensemble-auto  # the shipped recipe
train2 real auto-exposure 5 0 real-auto
train2 real auto-exposure 3 0 real-auto-ev3
train2 runs/critics/people_sice/critic.pt auto-exposure 5 0 people_sice-auto
train2 runs/critics/people_sice/critic.pt none 5 0 people_sice-none
train2 runs/critics/ens3ps/critic.pt auto-exposure 5 0 ens3ps-auto
train2 runs/critics/ens3ps/critic.pt auto-exposure 5 0 ens3ps-auto-natpool runs/pools/sice_natural
train2 ensemble auto-exposure 5 0 ensemble-auto-natpool runs/pools/sice_natural
train2 runs/critics/mixed/critic.pt auto-exposure 5 0 mixed-auto-natpool runs/pools/sice_natural
train2 ensemble auto-exposure 5 0 ensemble-auto-T1 "$S/train" --num-segments 1
train2 ensemble auto-exposure 5 0 ensemble-auto-place "$S/train" --segment-place
# the paper's GAN reward beside the shipped recipe: the critic retrained from the ensemble between roll-outs (14 min)
OMP_NUM_THREADS=1 exposure-train --algo deepexposure-discriminator --pool $S/train --eval-pool $S/dev --reward gan \
    --critic ensemble --ev-prior auto-exposure --max-ev 5 --steps 8192 --seed 0 --n-images 64 --eval-photos 32 \
    --out runs/taste/gan-ensemble-auto_seed0

# Round 2's evaluation, on the code with the clean render (noise-aware gain): every run above, the shipped policy and
# every fixed row on sice dev (291, 256 px), fivek dev (16, 512 px) and real_dev (about 30 min on 2 cores)
M=runs/taste
OMP_NUM_THREADS=1 python -m train.experiments.human_taste --critics \
    --models "shipped recipe, seeds 1-2_seed1=$M/ensemble-auto_seed1/model.zip" \
             "shipped recipe, seeds 1-2_seed2=$M/ensemble-auto_seed2/model.zip" \
             "shipped recipe with the GAN reward (critic retrained from the ensemble)=$M/gan-ensemble-auto_seed0/model.zip" \
             "shipped recipe, one segment (T 1)=$M/ensemble-auto-T1_seed0/model.zip" \
             "shipped recipe, the actor reads the segment's place=$M/ensemble-auto-place_seed0/model.zip" \
             "shipped recipe, raw pool sice + people's photos=$M/ensemble-auto-natpool_seed0/model.zip" \
             "real critic, auto-exposure prior=$M/real-auto_seed0/model.zip" \
             "real critic, auto-exposure prior, EVs within ±3=$M/real-auto-ev3_seed0/model.zip" \
             "mixed critic, raw pool sice + people's photos=$M/mixed-auto-natpool_seed0/model.zip" \
             "people + fusions critic (exposure-only fakes), auto-exposure prior=$M/people_sice-auto_seed0/model.zip" \
             "people + fusions critic (exposure-only fakes), 0 EV prior=$M/people_sice-none_seed0/model.zip" \
             "embedded + real + people critics=$M/ens3ps-auto_seed0/model.zip" \
             "embedded + real + people critics, raw pool sice + people's photos=$M/ens3ps-auto-natpool_seed0/model.zip" \
    --out docs/results/human_taste/round2
# ------------------------------------------------------------------------------------------------------------------
# Round 3: the shipped recipe trained four times longer (32768 env steps; 3 seeds), with the segment's place, and with
# the paper's GAN reward (7 min each with the fixed critic, 26 min with the GAN reward, on one core of 2)
train3() {  # seed name reward [extra exposure-train arguments...]
    OMP_NUM_THREADS=1 exposure-train --algo deepexposure-discriminator --pool $S/train --eval-pool $S/dev \
        --reward "$3" --critic ensemble --ev-prior auto-exposure --max-ev 5 --steps 32768 --seed "$1" --n-images 64 \
        --eval-photos 32 --evaluations 8 --out "runs/taste3/$2_seed$1" "${@:4}"
}
for seed in 0 1 2; do train3 $seed ensemble-auto-32k critic; done
train3 0 ensemble-auto-place-32k critic --segment-place
train3 0 gan-ensemble-auto-32k gan
# Round 3's evaluation: the runs above beside the shipped policy and every fixed row (about 20 min on one core)
M=runs/taste3
OMP_NUM_THREADS=1 python -m train.experiments.human_taste --critics \
    --models "shipped recipe, 32768 steps_seed0=$M/ensemble-auto-32k_seed0/model.zip" \
             "shipped recipe, 32768 steps_seed1=$M/ensemble-auto-32k_seed1/model.zip" \
             "shipped recipe, 32768 steps_seed2=$M/ensemble-auto-32k_seed2/model.zip" \
             "shipped recipe, 32768 steps, the segment's place=$M/ensemble-auto-place-32k_seed0/model.zip" \
             "shipped recipe, 32768 steps, the GAN reward=$M/gan-ensemble-auto-32k_seed0/model.zip" \
    --out docs/results/human_taste/round3
# Diagnostic: the shipped policy's decisions edited by hand (an extra 0 EV frame, caps on the darkest segment's EV),
# rendered as exposure-retouch renders them (3 min)
OMP_NUM_THREADS=1 python docs/results/human_taste/round3/decision_edits.py > docs/results/human_taste/round3/decision_edits.md

# Round 4: the segment's place over 3 seeds; an EV window around auto-exposure (--ev-window); the critic's exposure
# bias removed on people's photos (train.ensemble_critic --calibrate); the place recipe trained twice as long.
# 7 min per 32768-step run on one core of 2 (10 min two at a time)
for seed in 1 2; do train3 $seed ensemble-auto-place-32k critic --segment-place; done
train4() {  # name [extra exposure-train arguments...]: seed 0, the shipped recipe at 32768 steps, into runs/taste4
    OMP_NUM_THREADS=1 exposure-train --algo deepexposure-discriminator --pool $S/train --eval-pool $S/dev \
        --reward critic --ev-prior auto-exposure --max-ev 5 --steps 32768 --seed 0 --n-images 64 \
        --eval-photos 32 --evaluations 8 --out "runs/taste4/$1" "${@:2}"
}
train4 place-window2-32k_seed0 --critic ensemble --segment-place --ev-window 2
# the shipped ensemble's members and spreads, its exposure bias measured on the 740 photos people made and removed
# (+0.61 stops before, +0.00 after; 3 min)
python -m train.ensemble_critic --critics embedded real --pool $S/train --eval-pool $S/dev --max-ev 5 \
    --training-data "members: the shipped ensemble's (embedded and real critics); calibrated on photos_by_people/natural and fivek_unpaired/expert (research, non-commercial use only)" \
    --calibrate $P/natural $P/fivek_unpaired/expert --out runs/critics4/calibrated/critic.pt
train4 cal-32k_seed0 --critic runs/critics4/calibrated/critic.pt
train4 cal-place-32k_seed0 --critic runs/critics4/calibrated/critic.pt --segment-place
# the place recipe's seed 0 continued from its 32768-step checkpoint to 65536 steps (a copy of its round-3 folder)
cp -r runs/taste3/ensemble-auto-place-32k_seed0 runs/taste4/place-65k_seed0
OMP_NUM_THREADS=1 exposure-train --resume --out runs/taste4/place-65k_seed0 --steps 65536 --eval-pool $S/dev
# Round 4's evaluation: every run above beside the shipped policy and every fixed row (about 20 min on one core)
M=runs/taste3; N=runs/taste4
OMP_NUM_THREADS=1 python -m train.experiments.human_taste --critics \
    --models "shipped recipe, 32768 steps_seed0=$M/ensemble-auto-32k_seed0/model.zip" \
             "shipped recipe, 32768 steps_seed1=$M/ensemble-auto-32k_seed1/model.zip" \
             "shipped recipe, 32768 steps_seed2=$M/ensemble-auto-32k_seed2/model.zip" \
             "the segment's place, 32768 steps_seed0=$M/ensemble-auto-place-32k_seed0/model.zip" \
             "the segment's place, 32768 steps_seed1=$M/ensemble-auto-place-32k_seed1/model.zip" \
             "the segment's place, 32768 steps_seed2=$M/ensemble-auto-place-32k_seed2/model.zip" \
             "the segment's place, 65536 steps_seed0=$N/place-65k_seed0/model.zip" \
             "the segment's place, EV window ±2 around auto-exposure_seed0=$N/place-window2-32k_seed0/model.zip" \
             "calibrated critic, 32768 steps_seed0=$N/cal-32k_seed0/model.zip" \
             "calibrated critic, the segment's place_seed0=$N/cal-place-32k_seed0/model.zip" \
    --out docs/results/human_taste/round4

# ------------------------------------------------------------------------------------------------------------------
# Round 5: the photo itself fused beside the T exposures (--fuse-input), with and without the segment's place and
# with round 4's calibrated critic; the paper's GAN reward retrained against the photos people made (--experts).
# 7 min per run on one core of 2 with the fixed critic, 22 min with the GAN reward
train5() {  # seed name [extra exposure-train arguments...]: 32768 steps, into runs/taste5
    OMP_NUM_THREADS=1 exposure-train --algo deepexposure-discriminator --pool $S/train --eval-pool $S/dev \
        --ev-prior auto-exposure --max-ev 5 --steps 32768 --seed "$1" --n-images 64 \
        --eval-photos 32 --evaluations 8 --out "runs/taste5/$2_seed$1" "${@:3}"
}
for seed in 0 1 2; do train5 $seed place-input-32k --reward critic --critic ensemble --segment-place --fuse-input; done
train5 0 input-32k --reward critic --critic ensemble --fuse-input
train5 0 cal-place-input-32k --reward critic --critic runs/critics4/calibrated/critic.pt --segment-place --fuse-input
train5 0 gan-people-place-32k --reward gan --critic ensemble --segment-place --experts $P/natural $P/fivek_unpaired/expert
# round 3's hand edits (the input fused, caps, windows) on the place recipe's decisions, no retraining (2 min);
# what each model decides on fivek
python docs/results/human_taste/round3/decision_edits.py runs/taste3/ensemble-auto-place-32k_seed0/model.zip \
    > docs/results/human_taste/round5/decision_edits.md
M=runs/taste3; N=runs/taste5
python docs/results/human_taste/round5/evs.py "the segment's place=$M/ensemble-auto-place-32k_seed0/model.zip" \
    "the segment's place + the input fused=$N/place-input-32k_seed0/model.zip" \
    "the shipped recipe + the input fused=$N/input-32k_seed0/model.zip" \
    "calibrated critic, place + the input fused=$N/cal-place-input-32k_seed0/model.zip" \
    "the segment's place, GAN reward on people's photos=$N/gan-people-place-32k_seed0/model.zip" \
    > docs/results/human_taste/round5/evs.md
# Round 5's evaluation (about 20 min on one core) and its picture (raw | place | place + input | expert)
OMP_NUM_THREADS=1 python -m train.experiments.human_taste --critics \
    --models "the segment's place + the input fused, 32768 steps_seed0=$N/place-input-32k_seed0/model.zip" \
             "the segment's place + the input fused, 32768 steps_seed1=$N/place-input-32k_seed1/model.zip" \
             "the segment's place + the input fused, 32768 steps_seed2=$N/place-input-32k_seed2/model.zip" \
             "shipped recipe + the input fused, 32768 steps_seed0=$N/input-32k_seed0/model.zip" \
             "calibrated critic, place + the input fused_seed0=$N/cal-place-input-32k_seed0/model.zip" \
             "the segment's place, GAN reward on people's photos_seed0=$N/gan-people-place-32k_seed0/model.zip" \
    --out docs/results/human_taste/round5
python docs/results/human_taste/round5/compare.py $M/ensemble-auto-place-32k_seed0/model.zip \
    $N/place-input-32k_seed0/model.zip

# Round 6: which part limits, the reward or the learner, and a reward with people's taste. The reference reward
# (-RMSE of P_T to a paired target, exposure-train --reward reference) is the perfect reward for its targets: on the
# sice frames it is the fusion's taste without a critic's errors; on photos people made, each paired with a synthetic
# raw photo (round6/people_pairs.py: the embedded pool's model of exposure errors), it is people's taste.
# 8-12 min per run on one core of 2. The pools are made under runs/ (development data, never committed).
python docs/results/human_taste/round6/people_pairs.py --out runs/taste6/people_pool $P/natural $P/fivek_unpaired/expert
python docs/results/human_taste/round6/people_pairs.py --out runs/taste6/pool --sice $S/train \
    $P/natural $P/fivek_unpaired/expert
python docs/results/human_taste/round6/people_pairs.py --out runs/taste6/people_wide --global-ev -5 3 \
    $P/natural $P/fivek_unpaired/expert
python docs/results/human_taste/round6/people_pairs.py --out runs/taste6/pool_wide --sice $S/train --global-ev -5 3 \
    $P/natural $P/fivek_unpaired/expert
python docs/results/human_taste/round6/people_pairs.py --out runs/taste6/pool_x3 --sice $S/train --copies 3 \
    $P/natural $P/fivek_unpaired/expert
python docs/results/human_taste/round6/people_pairs.py --out runs/taste6/kodak_pool --copies 30 $P/natural/kodak24
train6() {  # seed name pool [extra exposure-train arguments...]: 32768 steps, the place + the input fused, into
            # ${ROUND_DIR:-runs/taste6}
    OMP_NUM_THREADS=1 exposure-train --algo deepexposure-discriminator --pool "$3" --eval-pool $S/dev \
        --ev-prior auto-exposure --max-ev 5 --steps 32768 --seed "$1" --n-images 64 --eval-photos 32 --evaluations 8 \
        --segment-place --fuse-input --out "${ROUND_DIR:-runs/taste6}/$2_seed$1" "${@:4}"
}
train6 0 ref-place-input-32k $S/train --reward reference
train6 0 people-ref-place-input-32k runs/taste6/pool --reward reference
for seed in 0 1 2; do train6 $seed peopleonly-ref-place-input-32k runs/taste6/people_pool --reward reference; done
train6 0 ref-people_wide-place-input-32k runs/taste6/people_wide --reward reference
train6 0 ref-pool_wide-place-input-32k runs/taste6/pool_wide --reward reference
train6 0 ref-pool_x3-place-input-32k runs/taste6/pool_x3 --reward reference
train6 0 kodak-ref-place-input-32k runs/taste6/kodak_pool --reward reference
train6 0 embedded-ref-place-input-32k embedded --reward reference  # the shipped embedded pool: scikit-image's photos
train6 0 place-input-32k $S/train --reward critic --critic ensemble  # round 5's seed 0, again on this machine
# Round 6's evaluation (about 25 min on one core)
N=runs/taste6
OMP_NUM_THREADS=1 python -m train.experiments.human_taste --critics \
    --models "people's photos with synthetic exposure errors, reference reward_seed0=$N/peopleonly-ref-place-input-32k_seed0/model.zip" \
             "people's photos with synthetic exposure errors, reference reward_seed1=$N/peopleonly-ref-place-input-32k_seed1/model.zip" \
             "people's photos with synthetic exposure errors, reference reward_seed2=$N/peopleonly-ref-place-input-32k_seed2/model.zip" \
             "the same, errors of -5..+3 EV_seed0=$N/ref-people_wide-place-input-32k_seed0/model.zip" \
             "sice fusions, reference reward_seed0=$N/ref-place-input-32k_seed0/model.zip" \
             "sice fusions + people's photos, reference reward_seed0=$N/people-ref-place-input-32k_seed0/model.zip" \
             "sice fusions + people's photos (errors of -5..+3 EV), reference reward_seed0=$N/ref-pool_wide-place-input-32k_seed0/model.zip" \
             "round 5's place + the input fused (ensemble critic), again_seed0=$N/place-input-32k_seed0/model.zip" \
    --out docs/results/human_taste/round6
# the Kodak-only row, the 3-errors-per-photo mix and the embedded pool, judged alike (about 12 min each on one core)
OMP_NUM_THREADS=1 python -m train.experiments.human_taste --critics \
    --models "Kodak's 24 photos with synthetic exposure errors (30 each), reference reward_seed0=$N/kodak-ref-place-input-32k_seed0/model.zip" \
    --out docs/results/human_taste/round6/kodak
OMP_NUM_THREADS=1 python -m train.experiments.human_taste --critics \
    --models "sice fusions + people's photos, 3 synthetic errors each, reference reward_seed0=$N/ref-pool_x3-place-input-32k_seed0/model.zip" \
    --out docs/results/human_taste/round6/mix_x3
OMP_NUM_THREADS=1 python -m train.experiments.human_taste --critics \
    --models "the embedded synthetic scenes (scikit-image's photos, degraded), reference reward_seed0=$N/embedded-ref-place-input-32k_seed0/model.zip" \
    --out docs/results/human_taste/round6/embedded
# how well the reference-reward policy fits its own training frames: the first 100 of sice_sequences/train (3 min)
OMP_NUM_THREADS=1 exposure-eval --model $N/ref-place-input-32k_seed0/model.zip packaged --pool $S/train --photos 100 \
    --render-side 256 --grid-rows 1 --out docs/results/human_taste/round6/train_fit
# 1:1 crops of the fivek photos furthest from the expert: raw | shipped | people's taste (seed 0) | expert (1 min)
python docs/results/human_taste/round6/crops.py $N/peopleonly-ref-place-input-32k_seed0/model.zip \
    docs/results/human_taste/round6/crops_worst.jpg

# Round 7: an unpaired critic with people's taste, and the learner's update count. The exposure-error critic
# (pretrain_critic --objective exposure-error) learns from the photos people made alone: each photo is degraded by
# the embedded pool's exposure errors and re-exposed as an episode would, and the critic regresses minus the RMSE
# of the result to the photo itself. No raw photo and no pairing is used; used as a fixed reward it needs no target.
# 3000 updates: 12 min alone on one core, 24 min beside two trainings.
OMP_NUM_THREADS=1 python -m train.pretrain_critic --objective exposure-error --experts $P/natural $P/fivek_unpaired/expert \
    --eval-pool $P/fivek_dev --max-ev 5 --steps 3000 --learning-rate 3e-4 --seed 0 --out runs/taste7/errcritic/critic.pt \
    --training-data "photos_by_people/natural and fivek_unpaired/expert (research, non-commercial; see their README)"
OMP_NUM_THREADS=1 python -m train.pretrain_critic --objective exposure-error --experts $P/natural/kodak24 \
    --eval-pool $P/fivek_dev --max-ev 5 --steps 3000 --learning-rate 3e-4 --seed 0 \
    --out runs/taste7/errcritic_kodak/critic.pt \
    --training-data "photos_by_people/natural/kodak24: Kodak Lossless True Color Image Suite, released by Eastman Kodak for unrestricted usage"
train7() { ROUND_DIR=runs/taste7 train6 "$@"; }  # round 6's recipe, into runs/taste7
for seed in 0 1 2; do train7 $seed err-sice $S/train --reward critic --critic runs/taste7/errcritic/critic.pt; done
# the raw pool: round 6's people's photos with synthetic errors (only their raw photos reach the agent; no target does)
for seed in 0 1 2; do train7 $seed err-people runs/taste6/people_pool --reward critic --critic runs/taste7/errcritic/critic.pt; done
train7 0 errkodak-sice $S/train --reward critic --critic runs/taste7/errcritic_kodak/critic.pt
# four times the actor's updates per roll-out (DeepExposure's gradient_steps 4 -> 16; 30-45 min each)
train7 0 ref-gs16 $S/train --reward reference --hyperparams gradient_steps:16
train7 0 critic-gs16 $S/train --reward critic --critic ensemble --hyperparams gradient_steps:16
# Round 7's evaluation (about 25 min on one core)
N=runs/taste7
OMP_NUM_THREADS=1 python -m train.experiments.human_taste --critics \
    --models "people's-taste critic (exposure-error, unpaired), sice raw frames_seed0=$N/err-sice_seed0/model.zip" \
             "people's-taste critic (exposure-error, unpaired), sice raw frames_seed1=$N/err-sice_seed1/model.zip" \
             "people's-taste critic (exposure-error, unpaired), sice raw frames_seed2=$N/err-sice_seed2/model.zip" \
             "people's-taste critic, people's photos with synthetic errors as the raw photos_seed0=$N/err-people_seed0/model.zip" \
             "sice fusions, reference reward, 4x the actor's updates_seed0=$N/ref-gs16_seed0/model.zip" \
             "ensemble critic, 4x the actor's updates_seed0=$N/critic-gs16_seed0/model.zip" \
    --out docs/results/human_taste/round7
# the three seeds of the people's-photos raw pool, and the Kodak row, judged alike (12-20 min each on one core)
OMP_NUM_THREADS=1 python -m train.experiments.human_taste --critics \
    --models "exposure-error critic, people's photos with synthetic errors as the raw photos_seed0=$N/err-people_seed0/model.zip" \
             "exposure-error critic, people's photos with synthetic errors as the raw photos_seed1=$N/err-people_seed1/model.zip" \
             "exposure-error critic, people's photos with synthetic errors as the raw photos_seed2=$N/err-people_seed2/model.zip" \
    --out docs/results/human_taste/round7/people_raws
OMP_NUM_THREADS=1 python -m train.experiments.human_taste --critics \
    --models "Kodak's 24 alone, exposure-error critic, sice raw frames_seed0=$N/errkodak-sice_seed0/model.zip" \
    --out docs/results/human_taste/round7/kodak
# 1:1 crops of the fivek photos furthest from the expert: raw | shipped | exposure-error critic, people's raw pool
# (seed 0) | expert (1 min)
python docs/results/human_taste/round6/crops.py $N/err-people_seed0/model.zip docs/results/human_taste/round7/crops_worst.jpg

# The looks that ship (issue 28): round 7's people's-photos recipe, seed 0, becomes the opt-in people look
# (exposure-retouch --look people) beside the default fusion look, and its critic the packaged `people` critic.
# The critic's provenance was copied with it, its data paths written as ../shared/data and its terms added ("terms").
mkdir -p exposure_env/rewards/weights/people && cp runs/taste7/errcritic/critic.pt exposure_env/rewards/weights/people/
LOOK_COMMAND='OMP_NUM_THREADS=1 exposure-train --algo deepexposure-discriminator --pool runs/taste6/people_pool --eval-pool ../shared/data/sice_sequences/dev --ev-prior auto-exposure --max-ev 5 --steps 32768 --seed 0 --n-images 64 --eval-photos 32 --evaluations 8 --segment-place --fuse-input --out runs/taste7/err-people_seed0 --reward critic --critic runs/taste7/errcritic/critic.pt  (the critic ships as exposure_env/rewards/weights/people, so --critic people is the same reward; runs/taste6/people_pool: python docs/results/human_taste/round6/people_pairs.py --out runs/taste6/people_pool ../shared/data/photos_by_people/natural ../shared/data/photos_by_people/fivek_unpaired/expert; the Round 6 and Round 7 blocks of docs/results/human_taste/commands.sh, '"'"'train7 0 err-people'"'"')'
LOOK_DATA='photos_by_people/natural (BSDS500, Urban100, Sun-Hays 80, McMaster, Kodak 24) and fivek_unpaired/expert: 740 photos people made. The reward is the shipped people critic (exposure_env/rewards/weights/people: a no-reference exposure-error critic learned from those photos alone), kept fixed; the raw photos are the same 740 photos with synthetic exposure errors (exposure_env.data.degrade, the embedded pool'"'"'s model of errors), so on its training scenes the critic may know the answer. No paired target reached the agent, and no fivek_dev photo was used. Chosen by the fivek dev figures of docs/results/human_taste (round 7: the best fivek row of its 59 runs, on each of 3 seeds); seed 0 ships. Terms of the training data: research, non-commercial use only (BSDS500: non-commercial research and educational purposes; FiveK: research only; Urban100, Sun-Hays 80, McMaster: none stated, research use only); these weights inherit them.'
python -m train.package_policy --look people --model runs/taste7/err-people_seed0/model.zip --command "$LOOK_COMMAND" \
    --training-data "$LOOK_DATA" --results docs/results/human_taste/round7/people_raws/results.md
# Both shipped looks beside every fixed row, both oracles and real_dev (about 15 min on one core)
OMP_NUM_THREADS=1 python -m train.experiments.human_taste --critics --out docs/results/human_taste/looks
# 1:1 crops of real_dev's darkest frames: raw | the default look | the people look (10 s)
python docs/results/human_taste/looks/dark_crops.py docs/results/human_taste/looks/real_dev_dark_crops.jpg
# Both looks' renders at 12 MP (the people look's with the photo fused in, the fusion look's with its shoulder, since
# round 9) beside OpenCV's fusion alone (1 min, quiet machine)
python bench/retouch.py --fuse-input --shoulder 0.1 > docs/results/human_taste/looks/bench.txt

# Round 8: one exposure-error critic for both tastes. Its experts are people's 740 photos and the Mertens fusions of
# sice_sequences/train (14 min alone on one core); two trainings with it as the reward, then their evaluation
# (about 15 min on one core; the two shipped looks are rows of every human_taste table).
OMP_NUM_THREADS=1 python -m train.pretrain_critic --objective exposure-error --experts $P/natural $P/fivek_unpaired/expert \
    $S/train/expert --eval-pool $P/fivek_dev --max-ev 5 --steps 3000 --learning-rate 3e-4 --seed 0 \
    --out runs/taste8/errcritic_mix/critic.pt \
    --training-data "photos_by_people/natural and fivek_unpaired/expert (research, non-commercial) and the Mertens fusions of sice_sequences/train (CC BY-NC 4.0)"
train8() { ROUND_DIR=runs/taste8 train6 "$@"; }  # round 6's recipe, into runs/taste8
train8 0 mix-sice $S/train --reward critic --critic runs/taste8/errcritic_mix/critic.pt
train8 0 mix-pool runs/taste6/pool --reward critic --critic runs/taste8/errcritic_mix/critic.pt  # sice + people's raws
N=runs/taste8
OMP_NUM_THREADS=1 python -m train.experiments.human_taste --critics \
    --models "exposure-error critic of people's photos + the sice fusions, sice raw frames_seed0=$N/mix-sice_seed0/model.zip" \
             "exposure-error critic of people's photos + the sice fusions, sice raw frames + people's photos with synthetic errors_seed0=$N/mix-pool_seed0/model.zip" \
    --out docs/results/human_taste/round8
# Round 8, second question: is the fusion look's sice gap one of generalisation (124 sequences)? Each training frame
# and its fusion, plus three mirrored and/or cropped copies of the pair (20 s), trained with the perfect reward and
# with the shipped ensemble critic (10 min each, two at once), then their evaluation (about 15 min on one core)
python docs/results/human_taste/round8/sice_augment.py $S/train --out runs/taste8/sice_aug --copies 4
train8 0 aug-ref runs/taste8/sice_aug --reward reference
train8 0 aug-critic runs/taste8/sice_aug --reward critic --critic ensemble
OMP_NUM_THREADS=1 python -m train.experiments.human_taste --critics \
    --models "sice fusions' pairs x4 (mirrors and crops), reference reward_seed0=$N/aug-ref_seed0/model.zip" \
             "sice frames x4 (mirrors and crops), ensemble critic_seed0=$N/aug-critic_seed0/model.zip" \
    --out docs/results/human_taste/round8/augmented

# Round 9: the highlight shoulder in the env (ExposureMDP.shoulder: every exposure of the episode and of its render
# rolls the highlights off above a knee instead of clipping). The shipped fusion recipe (8192 steps, ensemble
# critic; 2 min each on one core), clipped and with the shoulder.
train9() {  # seed name [extra exposure-train arguments...]: the fusion look's recipe, into runs/taste9
    OMP_NUM_THREADS=1 exposure-train --algo deepexposure-discriminator --pool $S/train --eval-pool $S/dev \
        --reward critic --max-ev 5 --steps 8192 --seed "$1" --n-images 64 --eval-photos 32 --critic ensemble \
        --out "runs/taste9/$2_seed$1" "${@:3}"
}
for seed in 0 1 2; do train9 $seed clip; done
# The knee for the render alone, chosen on 200 frames of sice_sequences/train (the clipped seed 0's decisions), then
# the clipped seeds rendered with it on sice dev (about 10 min on one core)
K=docs/results/human_taste/round9/knee_sweep.py
python $K --models runs/taste9/clip_seed0/model.zip --knees clip 0.5 0.3 0.2 0.1 0.05 --pool $S/train --photos 200 \
    > docs/results/human_taste/round9/knees_render_train.md
python $K --models runs/taste9/clip_seed{0,1,2}/model.zip --knees clip 0.1 --pool $S/dev \
    > docs/results/human_taste/round9/knees_render_dev.md
# The shoulder in the env: three knees (seed 0), the chosen knee on 200 training frames, then 3 seeds of it
for knee in 0.05 0.1 0.2; do train9 0 k$knee --shoulder $knee; done
python $K --models runs/taste9/k{0.05,0.1,0.2}_seed0/model.zip --pool $S/train --photos 200 \
    > docs/results/human_taste/round9/knees_env_train.md
for seed in 1 2; do train9 $seed k0.1 --shoulder 0.1; done
# The fusion look becomes the knee-0.1 recipe's seed 0
LOOK_COMMAND='exposure-train --algo deepexposure-discriminator --pool ../shared/data/sice_sequences/train --eval-pool ../shared/data/sice_sequences/dev --reward critic --max-ev 5 --steps 8192 --seed 0 --n-images 64 --eval-photos 32 --critic ensemble --out runs/taste9/k0.1_seed0 --shoulder 0.1  (the Round 9 block of docs/results/human_taste/commands.sh, '"'"'train9 0 k0.1 --shoulder 0.1'"'"')'
LOOK_DATA='sice_sequences/train: 867 real frames of 124 bracketed sequences (SICE part 1 via Zero-DCE++, Li-Chongyi/Zero-DCE_extension@09f202b) as raw photos; the reward is the shipped ensemble critic (exposure_env/rewards/weights/ensemble: the embedded critic, trained on the embedded scikit-image crops, plus the real critic, trained with the fusions of sice_sequences/train as expert photos, each weighed to the same spread), kept fixed: no paired target and no dev frame was used in training. The env rolls highlights off above a knee of 0.1 (shoulder=0.1) instead of clipping them, chosen on 200 frames of sice_sequences/train (docs/results/human_taste/round9). Chosen over the clipped recipe (the fusion look before round 9) by the sice dev figures of docs/results/human_taste (round 9, 3 seeds each); seed 0 ships. Terms of the training data: academic research, non-commercial use only (CC BY-NC 4.0); these weights inherit them.'
python -m train.package_policy --model runs/taste9/k0.1_seed0/model.zip --command "$LOOK_COMMAND" \
    --training-data "$LOOK_DATA" --results runs/taste9/k0.1_seed0/results.md
# Round 9's evaluation: every run above beside both shipped looks, every fixed row and both oracles (about 20 min
# on one core); then the last three commands of the looks block above again (looks/, real_dev_dark_crops.jpg,
# bench.txt); 1:1 crops of the shoulder's worst frames and of its highlights (1 min)
T=runs/taste9
OMP_NUM_THREADS=1 python -m train.experiments.human_taste --critics \
    --models "the fusion recipe, clipped_seed0=$T/clip_seed0/model.zip" "the fusion recipe, clipped_seed1=$T/clip_seed1/model.zip" \
             "the fusion recipe, clipped_seed2=$T/clip_seed2/model.zip" \
             "the fusion recipe, shoulder 0.1_seed0=$T/k0.1_seed0/model.zip" "the fusion recipe, shoulder 0.1_seed1=$T/k0.1_seed1/model.zip" \
             "the fusion recipe, shoulder 0.1_seed2=$T/k0.1_seed2/model.zip" \
             "the fusion recipe, shoulder 0.05_seed0=$T/k0.05_seed0/model.zip" "the fusion recipe, shoulder 0.2_seed0=$T/k0.2_seed0/model.zip" \
    --out docs/results/human_taste/round9
python docs/results/human_taste/round9/crops.py runs/taste9/clip_seed0/model.zip docs/results/human_taste/round9

# Round 9, floating point: why the clipped recipe reads 21.06 here against 21.39-21.40 when it shipped. The round-2
# code (31254ff) trains seed 1 in a worktree of its own; then the fusion recipe's seeds, clipped and with the
# shoulder, on torch's and MKL's AVX2 kernels instead of the AVX-512 ones this CPU picks; every run judged on all of
# sice dev in the MDP it was trained in (2 min per run on one core; the judging 11 min)
W=/tmp/wt_31254ff
git worktree add "$W" 31254ff
(cd "$W" && PYTHONPATH="$W" OMP_NUM_THREADS=1 python -m train.train --algo deepexposure-discriminator \
    --pool "$OLDPWD/$S/train" --eval-pool "$OLDPWD/$S/dev" --reward critic --critic ensemble --ev-prior auto-exposure \
    --max-ev 5 --steps 8192 --seed 1 --n-images 64 --eval-photos 32 --out "$OLDPWD/runs/taste9/code31254ff-clip_seed1")
git worktree remove "$W"
for seed in 0 1 2; do
    ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2 train9 $seed avx2-clip
    ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2 train9 $seed avx2-k0.1 --shoulder 0.1
done
python $K --models $T/clip_seed{0,1,2}/model.zip $T/avx2-clip_seed{0,1,2}/model.zip $T/code31254ff-clip_seed1/model.zip \
    $T/k0.1_seed{0,1,2}/model.zip $T/avx2-k0.1_seed{0,1,2}/model.zip --pool $S/dev \
    > docs/results/human_taste/round9/kernels_dev.md

# Round 9, the recipe's length, learning-rate schedule and photos per roll-out with the shoulder (seed 0), chosen on
# the same 200 frames of sice_sequences/train as the knee (1-5 min per run on one core; the judging 6 min)
train9 0 k0.1-4k --shoulder 0.1 --steps 4096
train9 0 k0.1-6k --shoulder 0.1 --steps 6144
train9 0 k0.1-16k --shoulder 0.1 --steps 16384
train9 0 k0.1-linear --shoulder 0.1 --lr-schedule linear
train9 0 k0.1-n32 --shoulder 0.1 --n-images 32
train9 0 k0.1-n128 --shoulder 0.1 --n-images 128
python $K --models $T/k0.1-4k_seed0/model.zip $T/k0.1-6k_seed0/model.zip $T/k0.1_seed0/model.zip \
    $T/k0.1-16k_seed0/model.zip $T/k0.1-linear_seed0/model.zip $T/k0.1-n32_seed0/model.zip \
    $T/k0.1-n128_seed0/model.zip --pool $S/train --photos 200 > docs/results/human_taste/round9/steps_train.md

# Round 10: the recipe's length between 8192 and 16384, the actor's weights averaged over its g-steps (the same
# training, only the saved actor differs: round10/average_actor.py), and smaller actor steps (a quarter of the rate, 4x
# the updates: about 7 min a run on one core instead of 2.7). The lengths and the averages judged first on the same
# 200 train frames; every variant on sice dev (291 frames, 256 px) and fivek dev (16 photos, 512 px) beside round 9's
# recipe's 3 seeds (the smaller steps were chosen there, on sice dev)
U=runs/taste10
fusion10() {  # seed name [extra exposure-train arguments...]: round 9's shipped recipe (--shoulder 0.1) into runs/taste10
    OMP_NUM_THREADS=1 exposure-train --algo deepexposure-discriminator --pool $S/train --eval-pool $S/dev \
        --reward critic --max-ev 5 --steps 8192 --seed "$1" --n-images 64 --eval-photos 32 --critic ensemble \
        --shoulder 0.1 --out "$U/$2_seed$1" "${@:3}"
}
averaged10() {  # seed name ema:DECAY|swa:FRACTION: the same recipe, its saved actor the average of its g-steps
    OMP_NUM_THREADS=1 python docs/results/human_taste/round10/average_actor.py --average "$3" \
        --algo deepexposure-discriminator --pool $S/train --eval-pool $S/dev \
        --reward critic --max-ev 5 --steps 8192 --seed "$1" --n-images 64 --eval-photos 32 --critic ensemble \
        --shoulder 0.1 --out "$U/$2_seed$1"
}
smaller10() {  # seed: the same recipe with a quarter of the actor's learning rate and 4x its updates per roll-out
    fusion10 "$1" gs16-lr2.5e-4 --hyperparams learning_rate:2.5e-4 gradient_steps:16
}
fusion10 0 k0.1-10240 --steps 10240
fusion10 0 k0.1-12288 --steps 12288
for seed in 0 1 2; do averaged10 $seed ema0.9 ema:0.9; done
averaged10 0 swa0.5 swa:0.5
for seed in 0 1 2; do smaller10 $seed; done
python $K --models $T/k0.1_seed{0,1,2}/model.zip $U/k0.1-10240_seed0/model.zip $U/k0.1-12288_seed0/model.zip \
    $U/ema0.9_seed{0,1,2}/model.zip $U/swa0.5_seed0/model.zip --pool $S/train --photos 200 \
    > docs/results/human_taste/round10/train.md
python $K --models $U/gs16-lr2.5e-4_seed{0,1,2}/model.zip --pool $S/train --photos 200 \
    > docs/results/human_taste/round10/smaller_steps_train.md
python $K --models $U/ema0.9_seed{0,1,2}/model.zip $U/swa0.5_seed0/model.zip $U/gs16-lr2.5e-4_seed{0,1,2}/model.zip \
    --pool $S/dev > docs/results/human_taste/round10/sice_dev.md
python $K --models $T/k0.1_seed{0,1,2}/model.zip $U/ema0.9_seed{0,1,2}/model.zip $U/swa0.5_seed0/model.zip \
    $U/gs16-lr2.5e-4_seed{0,1,2}/model.zip --pool $P/fivek_dev --side 512 > docs/results/human_taste/round10/fivek_dev.md
# The smaller steps' 3 seeds beside the shipped looks (the fusion look still round 9's here), every fixed row, both
# oracles and real_dev (about 15 min on one core)
L="the fusion recipe, shoulder 0.1, a quarter of the actor's learning rate and 4x its updates"
OMP_NUM_THREADS=1 python -m train.experiments.human_taste --critics \
    --models "${L}_seed0=$U/gs16-lr2.5e-4_seed0/model.zip" "${L}_seed1=$U/gs16-lr2.5e-4_seed1/model.zip" \
             "${L}_seed2=$U/gs16-lr2.5e-4_seed2/model.zip" \
    --out docs/results/human_taste/round10
# The fusion look becomes the smaller steps' seed 0; then what shows it is made again (bench.txt is not: it renders
# fixed exposures, no policy)
LOOK_COMMAND='exposure-train --algo deepexposure-discriminator --pool ../shared/data/sice_sequences/train --eval-pool ../shared/data/sice_sequences/dev --reward critic --max-ev 5 --steps 8192 --seed 0 --n-images 64 --eval-photos 32 --critic ensemble --shoulder 0.1 --out runs/taste10/gs16-lr2.5e-4_seed0 --hyperparams learning_rate:2.5e-4 gradient_steps:16  (the Round 10 block of docs/results/human_taste/commands.sh, '"'"'smaller10 0'"'"')'
LOOK_DATA='sice_sequences/train: 867 real frames of 124 bracketed sequences (SICE part 1 via Zero-DCE++, Li-Chongyi/Zero-DCE_extension@09f202b) as raw photos; the reward is the shipped ensemble critic (exposure_env/rewards/weights/ensemble: the embedded critic, trained on the embedded scikit-image crops, plus the real critic, trained with the fusions of sice_sequences/train as expert photos, each weighed to the same spread), kept fixed: no paired target and no dev frame was used in training. The env rolls highlights off above a knee of 0.1 (shoulder=0.1) instead of clipping them, chosen on 200 frames of sice_sequences/train (docs/results/human_taste/round9). The actor learns at a quarter of the default rate (2.5e-4) with 4 times the updates per roll-out (16): chosen over the recipe of round 9 by the sice dev figures of docs/results/human_taste (round 10: every one of 3 seeds at 22.02-22.04 dB, where round 9 spread 21.88-22.11; on 200 training frames the two tie); seed 0 ships. Terms of the training data: academic research, non-commercial use only (CC BY-NC 4.0); these weights inherit them.'
python -m train.package_policy --model $U/gs16-lr2.5e-4_seed0/model.zip --command "$LOOK_COMMAND" \
    --training-data "$LOOK_DATA" --results $U/gs16-lr2.5e-4_seed0/results.md
OMP_NUM_THREADS=1 python -m train.experiments.human_taste --critics --out docs/results/human_taste/looks
python docs/results/human_taste/looks/dark_crops.py docs/results/human_taste/looks/real_dev_dark_crops.jpg
python docs/scripts/readme_picture.py
# ... and the fusion_look block of docs/results/clean_render/commands.sh (its cached decisions deleted first)
# The example outputs in the README and docs/retouching.md (the Python example's EVs: run it as printed there); the
# CLI's in the README and docs/retouching.md: the first real_dev frame as photo.jpg
mkdir -p /tmp/example && cp $D/real_dev/sice/zdcepp_train_1003.jpg /tmp/example/photo.jpg && (cd /tmp/example && exposure-retouch photo.jpg)
# Round 10, floating point: the smaller steps' 3 seeds trained again on torch's and MKL's AVX2 kernels instead of the
# AVX-512 ones this CPU picks (as round 9 did for its recipes), judged on all of sice dev (about 7 min per run on one
# core; the judging 3 min)
for seed in 0 1 2; do ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2 fusion10 $seed avx2-gs16-lr2.5e-4 \
    --hyperparams learning_rate:2.5e-4 gradient_steps:16; done
python $K --models $U/avx2-gs16-lr2.5e-4_seed{0,1,2}/model.zip --pool $S/dev > docs/results/human_taste/round10/kernels_dev.md
