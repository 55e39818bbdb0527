"""The experiments' trials on Ray Tune: one trial per learner, reward, seed and hyperparameters.

Every experiment runner (the learning ladder and its ablations, the agent comparison, the
reward-shaping kit, the real-sequence runs and the sweep) hands its trials to :func:`run_grid`
or :func:`fit`. Each trial is a Tune trial with its resources declared (``--cpus-per-trial``,
``--gpus-per-trial``); it reports its held-out evaluation points through ``tune.report`` (so a
scheduler such as ASHA can stop it early) and ends with a Tune checkpoint that holds its files
(the trained model) and ``run.json``, the run's record with its learning curve. The reports are
built from those results.

Without ``--address`` the trials run on a Ray started on this machine, with no set-up; with
``--address auto`` or ``HOST:PORT`` they run on a cluster started with ``ray start --head``.
An interrupted experiment (Ctrl-C, a killed process, a failed trial), run again with the same
``--out`` and arguments, resumes with ``Tuner.restore``: finished trials are kept and only the
others run. A trial is the unit of resumption: one cut off half-way starts again from its seed,
which gives the same result.

Ray is an optional extra: ``pip install -c constraints.txt -e ".[ray]"``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any, Callable

from exposure_env.atomic import atomic_write

#: arguments that say where and how the trials run, not what they compute: a change of these
#: still resumes the same experiment
PLACEMENT_ARGUMENTS = ("address", "cpus_per_trial", "gpus_per_trial", "concurrent")


def add_tune_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments that place the trials: ``--address``, ``--cpus-per-trial``, ``--gpus-per-trial``, ``--concurrent``."""
    parser.add_argument("--address", default=None,
                        help="Ray cluster to run the trials on: 'auto' or HOST:PORT of a `ray start --head` "
                             "(default: a Ray started on this machine, no set-up)")
    parser.add_argument("--cpus-per-trial", type=float, default=1.0,
                        help="CPUs each trial declares; torch uses that many threads (default: 1)")
    parser.add_argument("--gpus-per-trial", type=float, default=0.0,
                        help="GPUs each trial declares, a fraction shares one (default: 0; needed with "
                             "--device cuda)")
    parser.add_argument("--concurrent", type=int, default=None,
                        help="trials at once (default: as many as the CPUs allow, so on 2 cores 2 trials share "
                             "them and each one's wall time is that of half the machine)")


def check_tune_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.Namespace:
    """Reject bad placement arguments with a one-line error; returns ``args``."""
    if args.cpus_per_trial <= 0:
        parser.error(f"--cpus-per-trial must be > 0, got {args.cpus_per_trial}")
    if args.gpus_per_trial < 0:
        parser.error(f"--gpus-per-trial must be >= 0, got {args.gpus_per_trial}")
    if args.concurrent is not None and args.concurrent < 1:
        parser.error(f"--concurrent must be >= 1, got {args.concurrent}")
    if str(getattr(args, "device", "cpu")).startswith("cuda") and args.gpus_per_trial == 0:
        parser.error("--device cuda needs --gpus-per-trial > 0: a trial sees only the GPUs it declares")
    return args


def start_ray(address: str | None) -> None:
    """Connect to the Ray cluster at ``address``, or start a new one on this machine (once per process).

    Without an address Ray is started with ``address="local"``: a plain ``ray.init()`` would join
    the last cluster a ``ray start`` left on this machine, and wait on it if it is gone;
    ``--address auto`` is the way to join a running one.

    Raises:
        ImportError: Ray is not installed (it is the ``ray`` extra).
    """
    try:
        import ray
    except ImportError as error:
        raise ImportError('the experiments run on Ray Tune: pip install -c constraints.txt -e ".[ray]"') from error
    if not ray.is_initialized():
        ray.init(address=address or "local", include_dashboard=False, configure_logging=False)


def absolute_paths(args: argparse.Namespace) -> argparse.Namespace:
    """Make every path among ``args`` absolute, in place (trials run in folders of their own); returns ``args``."""
    for key, value in vars(args).items():
        if isinstance(value, Path):
            setattr(args, key, value.resolve())
    return args


def run_trial(config: dict[str, Any], run: Callable[..., dict], cpus: float, shared: dict[str, Any]) -> None:
    """One Tune trial: ``run(**config["trial"], **shared, workdir=..., report=...)``, then its checkpoint.

    ``run`` writes its files (the trained model) into ``workdir`` and returns the run's record;
    the record becomes ``run.json`` beside them, and the folder the trial's Tune checkpoint. Its
    numbers (not the curve) are the trial's last reported metrics.
    """
    import torch
    from ray import tune

    torch.set_num_threads(max(1, int(cpus)))
    finished = tune.get_checkpoint()  # a trial that ended before the experiment's state was last saved
    if finished is not None:
        with finished.as_directory() as folder:
            tune.report(scalars(json.loads(Path(folder, "run.json").read_text())), checkpoint=finished)
        return
    with tempfile.TemporaryDirectory() as workdir:
        record = run(**config["trial"], **shared, workdir=Path(workdir), report=tune.report)
        Path(workdir, "run.json").write_text(json.dumps(record))
        tune.report(scalars(record), checkpoint=tune.Checkpoint.from_directory(workdir))


def scalars(record: dict[str, Any]) -> dict[str, float | int | str]:
    """The numbers and names of ``record`` (what Tune logs; the curve and other lists stay out)."""
    return {key: value for key, value in record.items() if isinstance(value, (int, float, str))}


def trainable(run: Callable[..., dict], args: argparse.Namespace, **shared: Any) -> Any:
    """``run`` as a Tune trainable with the resources of ``args``; ``args`` and ``shared`` reach every trial.

    Args:
        run: ``run(**config["trial"], args=args, **shared, workdir: Path, report: Callable[[dict], None])
            -> record``, a module-level function (trials run in other processes), whose record is JSON.
        args: the runner's arguments (with ``--cpus-per-trial``, ``--gpus-per-trial``); its paths
            become absolute.
        shared: large or common inputs (pre-trained critics): put once in Ray's object store.
    """
    from ray import tune

    start_ray(args.address)  # before with_parameters, which puts ``shared`` in the store of the Ray it finds
    shared = {"args": absolute_paths(args), **shared}
    function = tune.with_parameters(run_trial, run=run, cpus=args.cpus_per_trial, shared=shared)
    return tune.with_resources(function, {"cpu": args.cpus_per_trial, "gpu": args.gpus_per_trial})


def same_trials(recorded: str, arguments: str, evaluation_only: tuple[str, ...] = ()) -> bool:
    """Whether two ``tune/<name>.json`` records (JSON texts) ask for the same trials.

    They do when they are equal but for the names in ``evaluation_only`` and for ``out``: an
    experiment whose folder was moved is still the one found there.
    """
    def trial_arguments(text: str) -> dict[str, str]:
        return {key: value for key, value in json.loads(text).items() if key not in ("out", *evaluation_only)}

    return trial_arguments(recorded) == trial_arguments(arguments)


def fit(name: str, function: Any, args: argparse.Namespace, param_space: dict[str, Any], trials: int,
        tune_config: Any | None = None, evaluation_only: tuple[str, ...] = ()) -> Any:
    """Run (or resume) the Tune experiment ``name`` in ``args.out / "tune"``; returns its ``ResultGrid``.

    The paths among ``args`` become absolute first.

    An experiment of that name found there is resumed with ``Tuner.restore`` (finished trials
    kept, failed ones run again) when it was started with the same arguments, which
    ``tune/<name>.json`` records (:func:`same_trials`: arguments of ``evaluation_only`` may differ,
    or be new, since the trials never read them, and the folder may have moved).

    Args:
        name: the experiment's name.
        function: the trainable (:func:`trainable`).
        args: the runner's arguments.
        param_space: Tune's ``param_space``: ``{"trial": {...}}``, grid or samplers.
        trials: how many trials the experiment has when it is complete.
        tune_config: search algorithm, scheduler and samples (default: the grid, ``--concurrent``).
        evaluation_only: names of ``args`` that only the runner's evaluation after the trials reads.

    Raises:
        SystemExit: the folder holds an experiment of other arguments, the experiment was
            interrupted (Ctrl-C) before every trial ended, or trials failed; the message says that
            running the same command again resumes.
    """
    from ray import tune

    absolute_paths(args)
    start_ray(args.address)
    storage = (args.out / "tune").resolve()
    recorded = storage / f"{name}.json"
    arguments = json.dumps({key: str(value) for key, value in sorted(vars(args).items())
                            if key not in PLACEMENT_ARGUMENTS}, indent=1)
    restoring = tune.Tuner.can_restore(storage / name)
    if restoring and (not recorded.is_file() or not same_trials(recorded.read_text(), arguments, evaluation_only)):
        raise SystemExit(f"{storage / name}: holds an experiment started with other arguments; "
                         "give another --out or delete that folder")
    storage.mkdir(parents=True, exist_ok=True)
    atomic_write(recorded, lambda path: Path(path).write_text(arguments))  # whole, or the old record stays
    if restoring:
        tuner = tune.Tuner.restore(str(storage / name), function, resume_errored=True)
    else:
        tuner = tune.Tuner(function, param_space=param_space,
                           tune_config=tune_config or tune.TuneConfig(max_concurrent_trials=args.concurrent),
                           run_config=tune.RunConfig(name=name, storage_path=str(storage), verbose=1))
    grid = tuner.fit()
    if grid.num_terminated + grid.num_errors < trials:
        raise SystemExit(f"{name}: interrupted with {grid.num_terminated} of {trials} trials finished; run the same "
                         "command again to resume")
    if grid.errors:
        raise SystemExit(f"{name}: {len(grid.errors)} of {len(grid)} trials failed (first: "
                         f"{str(grid.errors[0]).strip().splitlines()[-1]}); run the same command again to resume")
    return grid


def record_of(result: Any) -> dict[str, Any]:
    """A finished grid trial's record (``run.json`` of its checkpoint) with ``checkpoint``, the folder of its files."""
    folder = Path(result.checkpoint.path)
    return {**json.loads((folder / "run.json").read_text()), "checkpoint": str(folder)}


def run_grid(name: str, run: Callable[..., dict], trials: list[dict[str, Any]], args: argparse.Namespace,
             evaluation_only: tuple[str, ...] = (), **shared: Any) -> list[dict[str, Any]]:
    """Each of ``trials`` (the keyword arguments of one ``run``) as a Tune trial; their records in that order.

    Args:
        name: the experiment's name (its folder in ``args.out / "tune"``).
        run: see :func:`trainable`.
        trials: one dict of JSON-able keyword arguments per trial.
        args: the runner's arguments (``out``, ``address``, resources, ``concurrent``); they reach
            ``run`` too.
        evaluation_only: see :func:`fit`.
        shared: see :func:`trainable`.
    """
    from ray import tune

    grid = fit(name, trainable(run, args, **shared), args, {"trial": tune.grid_search(trials)}, len(trials),
               evaluation_only=evaluation_only)
    records: list[dict[str, Any] | None] = [None] * len(trials)
    for result in grid:
        records[trials.index(result.config["trial"])] = record_of(result)
    return records
