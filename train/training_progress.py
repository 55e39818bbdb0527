"""The training phase's progress, as a Stable-Baselines3 callback: a bar in a terminal, plain lines in a log."""

from __future__ import annotations

from typing import Any

from stable_baselines3.common.callbacks import BaseCallback

from train.console import progress


class TrainingProgress(BaseCallback):
    """Report the env steps trained on stderr through :func:`~train.console.progress`.

    Stands in for SB3's ``progress_bar=True``, whose rich bar says nothing in a log file.

    Args:
        total: the env steps this ``learn`` call trains (a resumed run: those left).
        desc: what is trained, the start of each line.
        plain: :class:`~train.console.PlainProgress`'s ``every``, ``seconds`` and ``clock``.
    """

    def __init__(self, total: int, desc: str = "training", **plain: Any):
        super().__init__()
        self.total, self.desc, self.plain = total, desc, plain
        self.bar: Any = None
        self.start = 0

    def _on_training_start(self) -> None:
        self.start = self.num_timesteps
        self.bar = progress(total=self.total, desc=self.desc, unit="step", **self.plain)

    def _on_step(self) -> bool:
        self.bar.update(self.num_timesteps - self.start - self.bar.n)
        return True

    def _on_training_end(self) -> None:
        self.bar.close()
