"""Round 10: ``exposure-train`` whose saved actor is an average of its weights over the g-steps.

The training itself is unchanged (the roll-outs and updates use the live actor, so a run's trajectory is that of
the same command without averaging); at the end the actor's weights are replaced by their average, taken after each
g-step with torch's ``AveragedModel`` (``torch.optim.swa_utils``), and ``model.zip`` and the report are of the
average. ``--average`` comes first and the rest is ``exposure-train``'s own arguments:

    python docs/results/human_taste/round10/average_actor.py --average ema:0.9 --algo deepexposure-discriminator ...

``ema:DECAY``: an exponential moving average from the first g-step (0.9: about the last 10 of the recipe's 32);
``swa:FRACTION``: the uniform mean of the g-steps from that fraction of ``--steps`` on (Izmailov et al., 2018).
"""

from __future__ import annotations

import sys

from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from agents.deep_exposure import DeepExposure
from train.train import entry_point


def averaging(kind: str, value: float) -> None:
    """Patch :class:`DeepExposure` so each g-step updates the average and ``learn`` ends by loading it."""
    train, learn = DeepExposure.train, DeepExposure.learn

    def averaged_train(self: DeepExposure, rollout) -> None:
        train(self, rollout)
        if kind == "swa" and self.num_timesteps < value * self._average_over:
            return
        if self._average is None:  # set to None by averaged_learn before the first g-step
            self._average = AveragedModel(self.policy.actor, multi_avg_fn=get_ema_multi_avg_fn(value)
                                          if kind == "ema" else None)
        self._average.update_parameters(self.policy.actor)

    def averaged_learn(self: DeepExposure, total_timesteps: int, *args, **kwargs):
        self._average_over, self._average = total_timesteps, None
        model = learn(self, total_timesteps, *args, **kwargs)
        self.policy.actor.load_state_dict(self._average.module.state_dict())
        print(f"average_actor: the actor is the {kind} {value} average of its last "
              f"{int(self._average.n_averaged)} g-steps", flush=True)
        return model

    DeepExposure.train, DeepExposure.learn = averaged_train, averaged_learn


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] != "--average" or sys.argv[2].partition(":")[0] not in ("ema", "swa"):
        sys.exit("average_actor.py: the first argument must be --average ema:DECAY or --average swa:FRACTION")
    kind, _, value = sys.argv[2].partition(":")
    averaging(kind, float(value))
    sys.argv[0:3] = ["exposure-train"]
    entry_point()
