"""The scenario atlas: a grid of evidence sets x parameter draws, summarised per evidence set.

A teacher or a researcher asks the same question of many patients at once: "across every joint, age group and sex,
with a sudden onset, which diagnosis leads, how sure is the model, and when does a can't-miss alert fire?". The atlas
evaluates each evidence set of a grid under the same ``n_samples`` parameter sets drawn from the priors (common random
numbers: a difference between two cells of the grid is a difference of evidence, not of Monte-Carlo noise) and
returns, per evidence set and state, the exact point posterior, the mean, median and equal-tailed interval over the
draws, how often the state ranks first (``p_top``) and whether its can't-miss alert fires.

The grid is cut into blocks of evidence sets. Each block redraws the same parameter sets from the one ``seed``
(drawing is cheap beside inference), so a block's result depends only on its evidence sets and the seed: the atlas is
bit-identical whether it runs serially, on two local workers or on a cluster, and every row equals
:meth:`~bmes_bayes.BmesModel.sensitivity` for that evidence set and seed.

Running on Dask (optional extra ``pip install 'bmes-bayes[atlas]'``)::

    atlas(model, grid, workers=4)                       # a LocalCluster of 4 single-threaded worker processes
    atlas(model, grid, workers="tcp://scheduler:8786")  # an existing cluster, by the scheduler's address
    atlas(model, grid, workers=client)                  # an existing dask.distributed.Client

On a cluster every worker needs the same version of bmes-bayes installed; the model itself is sent to each worker
once (``Client.scatter``), so custom networks need no shared file system.

In a script (not in Jupyter), ``workers=N`` starts worker processes that import the script again: put the call
under ``if __name__ == "__main__":``, as Dask requires of any local cluster of processes.
"""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import limits
from ._io import check_target, write_output
from .draws import posterior_draws_for
from .exceptions import (
    ArgumentError,
    ArgumentTypeError,
    BmesError,
    EvidenceError,
    ImpossibleEvidenceError,
    TooLargeError,
    shown,
)
from .results import DISCLAIMER, ModelInfo, ResultDisplay
from .sensitivity.uncertainty import Uncertainty

if TYPE_CHECKING:  # pragma: no cover
    import xarray
    from matplotlib.axes import Axes

    from .model import BmesModel

__all__ = ["Atlas", "atlas", "evidence_grid"]

# Bounds (bmes_bayes.limits, read at call time): MAX_ATLAS_SETS evidence sets, MAX_EVALUATIONS sets x draws,
# MEMORY_LIMIT for the kept draws.
SUMMARY_COLUMNS = ["point", "mean", "median", "lower", "upper", "p_top"]   # Uncertainty.to_frame's: equal_tailed, p_top
SHOWN = 50   # evidence sets in the HTML table


def evidence_grid(model: "BmesModel", grid: object, fixed: Mapping[str, object] | None = None
                  ) -> tuple[tuple[str, ...], list[dict[str, object]]]:
    """The evidence sets of a grid, and the names of the variables that vary.

    Parameters
    ----------
    model : BmesModel
        The model whose variables and states the grid must name.
    grid : mapping, sequence of mappings, or pandas.DataFrame
        ``{variable: states}``: every combination (the Cartesian product, in the order given); ``states`` may be
        ``None`` or ``"*"`` for every state of the variable, and may contain ``None`` for "not entered". A sequence
        of evidence mappings, or a DataFrame with one evidence set per row (NaN or None: not entered), is taken as
        it is.
    fixed : mapping, optional
        Evidence added to every set (a variable may not be both fixed and varied).

    Returns
    -------
    variables : tuple of str
        The varied variables, in order (the columns of the atlas that describe each set).
    sets : list of dict
        One evidence mapping per set, ``fixed`` included, in grid order.

    Raises
    ------
    EvidenceError
        An unknown variable or state (naming the valid ones), a variable both fixed and varied, an empty grid or
        one larger than ``MAX_SETS``.
    """
    fixed = dict(fixed or {})
    if isinstance(grid, pd.DataFrame):
        variables = tuple(str(c) for c in grid.columns)
        rows = [{k: v for k, v in zip(variables, values) if not _missing(v)}
                for values in grid.itertuples(index=False, name=None)]
    elif isinstance(grid, Mapping):
        variables = tuple(grid)
        choices = []
        for var in variables:
            states = grid[var]
            if states is None or (isinstance(states, str) and states == "*"):
                states = list(model.states(var))
            elif isinstance(states, str) or not isinstance(states, Sequence):
                raise EvidenceError(f"the grid gives {var!r} {shown(states)}: a list of states, '*' or None for "
                                    f"every state")
            choices.append(list(states))
        total = math.prod(len(c) for c in choices)
        if total > limits.MAX_ATLAS_SETS:
            raise TooLargeError(f"the grid has {total:,} evidence sets; the limit is {limits.MAX_ATLAS_SETS:,} "
                                f"(bmes_bayes.limits.MAX_ATLAS_SETS)")
        rows = [{k: v for k, v in zip(variables, combo) if v is not None} for combo in itertools.product(*choices)]
    elif isinstance(grid, Sequence) and not isinstance(grid, (str, bytes)):
        rows = []
        for i, row in enumerate(grid):
            if not isinstance(row, Mapping):
                raise EvidenceError(f"evidence set {i} of the grid is {shown(row)}, not a mapping")
            rows.append(dict(row))
        variables = tuple(dict.fromkeys(k for row in rows for k in row))
    else:
        raise EvidenceError(f"grid must be a mapping of variables to states, a sequence of evidence mappings or a "
                            f"DataFrame, got {type(grid).__name__}")
    if not rows:
        raise EvidenceError("the grid has no evidence sets")
    if len(rows) > limits.MAX_ATLAS_SETS:
        raise TooLargeError(f"the grid has {len(rows):,} evidence sets; the limit is {limits.MAX_ATLAS_SETS:,} "
                            f"(bmes_bayes.limits.MAX_ATLAS_SETS)")
    both = sorted(set(fixed) & set(variables))
    if both:
        raise EvidenceError(f"{', '.join(both)} both fixed and varied in the grid")
    sets = [{**fixed, **row} for row in rows]
    for ev in dict.fromkeys(map(_key, sets)):  # check each distinct set once, naming every problem
        model.resolve(dict(ev))
    return variables, sets


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def _key(ev: Mapping[str, object]) -> tuple:
    return tuple((k, v if not isinstance(v, Mapping) else tuple(v.items())) for k, v in ev.items())


def _summarise_block(model: "BmesModel", sets: Sequence[Mapping[str, object]], *, target: str, n_samples: int,
                     seed: int, level: float, keep_draws: bool, threads: int | None = None
                     ) -> tuple[list[pd.DataFrame], list[np.ndarray | None]]:
    """One frame per evidence set and, if kept, the draws.

    A frame has a row per state: the summaries, the alert, the draws left out. Every set of the block is evaluated under
    the same parameter sets, drawn once (:func:`~bmes_bayes.sensitivity.posterior_draws_for`), so a set's draws equal
    ``model.sensitivity``'s.
    """
    states = model.network[target].states
    config = model.alert_config if getattr(model.alert_config, "variable", None) == target else None
    points: dict[int, np.ndarray] = {}
    for i, ev in enumerate(sets):
        try:
            points[i] = model.query(model.resolve(ev), target).posterior[0]
        except ImpossibleEvidenceError:   # impossible under the model: flagged, not drawn
            pass
    drawn, _ = posterior_draws_for(model, [sets[i] for i in points], target=target, n_samples=n_samples, seed=seed,
                                   progress=False, workers=threads)
    by_set = dict(zip(points, drawn))
    frames, kept = [], []
    for i, ev in enumerate(sets):
        samples = by_set.get(i)
        possible: Any = None if samples is None else ~np.isnan(samples).any(axis=1)
        if samples is None or not possible.any():
            frame = pd.DataFrame({"state": list(states), **{c: np.nan for c in SUMMARY_COLUMNS},
                                  "alert": False, "impossible": True, "draws_left_out": n_samples})
        else:
            unc = Uncertainty(target=target, states=states, point=points[i], samples=samples[possible], level=level,
                              threshold=0.9, seed=seed, evidence=dict(ev), model=model.info,
                              n_impossible=int((~possible).sum()))
            frame = unc.to_frame().rename(columns={target: "state"})
            alert = dict.fromkeys(states, False)
            if config is not None and config.rules:
                from .teaching import AlertCheck

                for a in AlertCheck.from_uncertainty(config, unc).alerts:
                    alert[a.diagnosis] = True
            frame["alert"] = frame["state"].map(alert).astype(bool)
            frame["impossible"] = False
            frame["draws_left_out"] = unc.n_impossible
        frames.append(frame)
        kept.append(samples if keep_draws else None)
    return frames, kept


@dataclass(frozen=True, eq=False)
class Atlas(ResultDisplay):
    """Summaries of a target's posterior over a grid of evidence sets, each under the same parameter draws.

    Attributes
    ----------
    target, states : the variable and its states.
    variables : tuple of str
        The varied variables (one column each in :meth:`to_frame`).
    fixed : dict
        Evidence common to every set.
    evidence : list of dict
        Each set's full evidence, in grid order (the ``set`` column indexes it).
    frame : pandas.DataFrame
        Long form, one row per evidence set and state (see :meth:`to_frame`).
    n_samples, level, seed : the draws behind the summaries.
    samples : numpy.ndarray or None
        ``(sets, n_samples, K)`` posteriors per draw when kept (``keep_draws=True``); NaN for impossible sets.
    """

    target: str
    states: tuple[str, ...]
    variables: tuple[str, ...]
    fixed: dict[str, object]
    evidence: list[dict[str, object]]
    frame: pd.DataFrame
    n_samples: int
    level: float
    seed: int
    model: ModelInfo
    samples: np.ndarray | None = None

    @property
    def n_sets(self) -> int:
        """The number of evidence sets."""
        return len(self.evidence)

    def to_frame(self) -> pd.DataFrame:
        """One row per evidence set and state, sets in grid order, states by point posterior within a set.

        Columns ``set``, one per varied variable (NA: not entered), ``state, point, mean, median, lower, upper, p_top,
        alert, impossible, draws_left_out`` (parameter sets under which that set's evidence is impossible, left out of
        its summaries).
        """
        return self.frame.copy()

    def summary(self) -> pd.DataFrame:
        """One row per evidence set.

        The varied variables, ``top`` (the point model's leading state), its ``point`` and ``p_top``, its interval, and
        ``alerts`` (the can't-miss states whose alert fires, comma-separated).
        """
        f = self.frame
        possible = f[~f["impossible"]]
        top = possible.loc[possible.groupby("set", sort=False)["point"].idxmax()].set_index("set")
        alerts = f[f["alert"]].groupby("set", sort=False)["state"].agg(", ".join)
        out = f.drop_duplicates("set").set_index("set")[list(self.variables)].copy()
        out["top"] = top["state"]
        for c in ("point", "lower", "upper", "p_top"):
            out[c] = top[c]
        out["alerts"] = alerts.reindex(out.index).fillna("")
        out["impossible"] = f.drop_duplicates("set").set_index("set")["impossible"]
        return out.reset_index()

    def draws(self) -> pd.DataFrame:
        """The kept draws in long form: ``set, draw, state, probability`` (needs ``keep_draws=True``)."""
        if self.samples is None:
            raise BmesError("the draws were not kept: run atlas(..., keep_draws=True)")
        s, n, k = self.samples.shape
        return pd.DataFrame({"set": np.repeat(np.arange(s), n * k), "draw": np.tile(np.repeat(np.arange(n), k), s),
                             "state": np.tile(np.asarray(self.states, dtype=object), s * n),
                             "probability": self.samples.reshape(-1)})

    def to_xarray(self) -> "xarray.Dataset":
        """The kept draws as an ``xarray.Dataset`` (needs ``keep_draws=True`` and the ``xarray`` extra).

        ``posterior`` with dims ``set``, ``draw``, ``state``; each varied variable is a coordinate along ``set`` (empty
        text: not entered); the fixed evidence, seed, level and model are in ``attrs``.
        """
        from .draws import xarray_module as _xarray

        if self.samples is None:
            raise BmesError("the draws were not kept: run atlas(..., keep_draws=True)")
        xr = _xarray()
        coords = {"set": np.arange(self.n_sets), "draw": np.arange(self.n_samples), "state": list(self.states)}
        for var in self.variables:
            coords[var] = ("set", [str(ev[var]) if var in ev else "" for ev in self.evidence])
        return xr.Dataset({"posterior": (("set", "draw", "state"), self.samples)}, coords=coords,
                          attrs={"target": self.target, "fixed": "; ".join(f"{k}={v}" for k, v in self.fixed.items()),
                                 "seed": self.seed, "level": self.level, "model": self.model.short,
                                 "disclaimer": DISCLAIMER})

    def to_parquet(self, path: "str | Path", *, overwrite: bool = False) -> Path:
        """Write :meth:`to_frame` as Parquet (needs pyarrow: the ``atlas`` extra).

        The run (target, draws, level, seed, fixed evidence, model) goes in the file's metadata. Refuses to replace a
        file unless ``overwrite``.
        """
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise BmesError("Parquet needs pyarrow: pip install 'bmes-bayes[atlas]' (or write CSV)") from None
        frame = self.to_frame()
        frame.attrs = {"target": self.target, "n_samples": self.n_samples, "level": self.level, "seed": self.seed,
                       "fixed": {k: str(v) for k, v in self.fixed.items()}, "model": self.model.short}
        check_target(path, overwrite=overwrite)
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        return write_output(path, buffer.getvalue(), overwrite=overwrite)

    def to_csv(self, path: "str | Path", *, overwrite: bool = False) -> Path:
        """Write :meth:`to_frame` as CSV. Refuses to replace a file unless ``overwrite``."""
        check_target(path, overwrite=overwrite)
        return write_output(path, self.to_frame().to_csv(index=False), overwrite=overwrite)

    @property
    def verdict(self) -> str:
        """The leading states across the sets, the unstable rankings and the alerts that fire, in one sentence."""
        s = self.summary()
        ok = s[~s["impossible"]]
        tops = ok["top"].value_counts()
        unstable = int((ok["p_top"] < 0.9).sum())
        alerted = int((ok["alerts"] != "").sum())
        lead = ", ".join(f"{state} in {n}" for state, n in tops.items())
        out = (f"{len(s)} evidence sets x {self.n_samples} parameter sets: leading {lead}; the ranking is unstable "
               f"(top first in < 90% of draws) in {unstable}; a can't-miss alert fires in {alerted}")
        gone = len(s) - len(ok)
        return out + (f"; {gone} impossible under the model." if gone else ".")

    def __repr__(self) -> str:
        return (f"<Atlas of {self.target}: {self.n_sets} evidence sets varying {', '.join(self.variables) or '-'} | "
                f"{self.n_samples} parameter sets | seed {self.seed}>")

    def __str__(self) -> str:
        from .results import frame_text

        fixed = ", ".join(f"{k}={v}" for k, v in self.fixed.items()) or "none"
        return "\n".join([
            f"Atlas of P({self.target} | evidence): {self.n_sets} evidence sets, {self.level:.0%} intervals over "
            f"{self.n_samples} parameter sets (seed {self.seed})",
            frame_text(self.summary()), "", self.verdict, f"fixed evidence: {fixed}", f"model: {self.model.short}",
            DISCLAIMER])

    def _title(self) -> str:
        return (f"Atlas of P({self.target} | evidence): {self.n_sets} evidence sets, {self.level:.0%} intervals over "
                f"{self.n_samples} parameter sets")

    def _display_frame(self) -> pd.DataFrame:
        return self.summary().head(SHOWN)

    def _notes(self) -> list[str]:
        fixed = ", ".join(f"{k}={v}" for k, v in self.fixed.items()) or "none"
        return [self.verdict, f"Fixed evidence: {fixed}"]

    def plot(self, ax: "Axes | None" = None, *, n: int = 40) -> "Axes":
        """A heat map of the point posterior, one row per evidence set (the first ``n``) and one column per state.

        A dot marks a fired can't-miss alert. Returns the Axes.
        """
        from .plotting import atlas_plot

        return atlas_plot(self.frame, self.variables, self.states, n=n, ax=ax,
                          title=f"P({self.target} | evidence) across {self.n_sets} evidence sets")


def _workers(workers: object):
    """``(client, cluster)`` for ``workers`` (an int >= 2, an address, a Client), or ``(None, None)`` for serial."""
    if workers is None or (isinstance(workers, int) and not isinstance(workers, bool) and workers in (0, 1)):
        return None, None
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise BmesError("running the atlas on Dask needs the optional extra: pip install 'bmes-bayes[atlas]'") from None
    if isinstance(workers, Client):
        return workers, None
    if isinstance(workers, int) and not isinstance(workers, bool) and workers > 1:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        return Client(cluster), cluster
    if isinstance(workers, str) and workers:
        try:
            return Client(workers, timeout="20s"), None
        except (OSError, ValueError, TimeoutError) as exc:  # unreachable, refused, or not an address at all
            raise ArgumentError(f"cannot reach a Dask scheduler at {workers!r}: {exc}") from None
    raise ArgumentTypeError(f"workers must be None, a number of local workers, a scheduler address or a dask "
                            f"Client, got {shown(workers)}")


def atlas(model: "BmesModel", grid: object, *, fixed: Mapping[str, object] | None = None,
          target: str = "diagnosis", n_samples: int = 500, seed: int | None = 0, level: float = 0.9,
          workers: object = None, block_size: int = 8, keep_draws: bool = False) -> Atlas:
    """Summaries of P(target | evidence) over a grid of evidence sets x the same parameter draws.

    Parameters
    ----------
    model : BmesModel
        The compiled model (:func:`~bmes_bayes.load_model`).
    grid : mapping, sequence of mappings, or pandas.DataFrame
        The evidence sets (see :func:`evidence_grid`): e.g. ``{"joint": "*", "age_group": "*", "sex": "*"}``.
    fixed : mapping, optional
        Evidence common to every set, e.g. ``{"onset": "sudden"}``.
    target : str, default "diagnosis"
        The variable whose posterior is analysed.
    n_samples : int, default 500
        Parameter sets drawn from the priors, the same for every evidence set.
    seed : int or None, default 0
        The one seed of the draws (``None``: a fresh one, recorded in the result). A Generator is not accepted:
        every block must be able to redraw the same parameter sets.
    level : float, default 0.9
        Credible level of the equal-tailed intervals.
    workers : None, int, str or dask.distributed.Client, optional
        ``None`` (or 1): serial, in this process. An int >= 2: a Dask ``LocalCluster`` of that many single-threaded
        worker processes, closed afterwards. A string: the address of a running Dask scheduler. A ``Client``: used
        as it is. Results are bit-identical in every case.
    block_size : int, default 8
        Evidence sets per task.
    keep_draws : bool, default False
        Keep every draw (``Atlas.samples``, ``Atlas.draws()``); memory is 8 bytes x sets x draws x states.

    Returns
    -------
    Atlas
        Per evidence set and state: the point posterior and the summaries of its draws, with the alerts.

    Raises
    ------
    EvidenceError
        Bad grid or evidence (every problem named).
    BmesError
        Bad arguments, a grid too large (``MAX_SETS`` sets or ``MAX_CELLS`` sets x draws), or Dask missing or
        unreachable.

    Examples
    --------
    >>> import bmes_bayes
    >>> from bmes_bayes.atlas import atlas
    >>> m = bmes_bayes.load_model()
    >>> a = atlas(m, {"joint": "*"}, fixed={"onset": "sudden"}, n_samples=50, seed=0)
    >>> a.summary()["joint"].tolist()
    ['hip', 'knee', 'ankle_foot']
    """
    from . import _checks
    from ._seed import as_generator

    n_samples = _checks.count(n_samples, "n_samples", maximum=limits.MAX_SAMPLES)
    block_size = _checks.count(block_size, "block_size")
    level = _checks.level(level)
    keep_draws = _checks.flag(keep_draws, "keep_draws")
    if isinstance(seed, np.random.Generator):
        raise ArgumentError("the atlas needs an int seed (every block redraws the same parameter sets from it)")
    if seed is None:
        seed = int(np.random.default_rng().integers(2**31 - 1))
    as_generator(seed)  # the one check of a seed
    target = model.target_name(target)
    variables, sets = evidence_grid(model, grid, fixed)
    k = model.network[target].card
    from ._checks import estimate

    evaluations = len(sets) * n_samples
    if evaluations > limits.MAX_EVALUATIONS:
        raise TooLargeError(f"{len(sets):,} evidence sets x {n_samples:,} draws is {evaluations:,} exact inferences, "
                            f"more than bmes_bayes.limits.MAX_EVALUATIONS ({limits.MAX_EVALUATIONS:,}): "
                            f"{estimate(8.0 * k * evaluations if keep_draws else 0, evaluations)}; use fewer draws "
                            f"or a smaller grid")
    if keep_draws and 8 * evaluations * k > limits.MEMORY_LIMIT:
        raise TooLargeError(f"keeping the draws would take {8 * evaluations * k / 2**30:.1f} GiB, more than "
                            f"bmes_bayes.limits.MEMORY_LIMIT ({limits.MEMORY_LIMIT / 2**30:.0f} GiB); "
                            f"keep_draws=False keeps only the summaries")
    blocks = [sets[i : i + block_size] for i in range(0, len(sets), block_size)]
    options: dict[str, Any] = dict(target=target, n_samples=int(n_samples), seed=int(seed), level=level,
                                   keep_draws=keep_draws)
    client, cluster = _workers(workers)
    try:
        if client is None:
            results = [_summarise_block(model, block, **options) for block in blocks]
        else:
            shared = client.scatter(model, broadcast=True, hash=False)  # a fresh key: a release of an earlier
            # call's copy (same content, same hashed key) must not take this one with it
            # one thread per block: the Dask workers are the parallelism (threads inside would oversubscribe)
            futures = [client.submit(_summarise_block, shared, block, **options, threads=1, pure=False)
                       for block in blocks]
            results = client.gather(futures)
    finally:
        if cluster is not None:
            client.close()
            cluster.close()
    frames = [f for block_frames, _ in results for f in block_frames]
    for i, (frame, ev) in enumerate(zip(frames, sets)):
        frame.insert(0, "set", i)
        for j, var in enumerate(variables):
            value: Any = ev.get(var)
            column: Any = pd.NA if value is None else (value if isinstance(value, str) else str(value))
            frame.insert(1 + j, var, column)
    frame = pd.concat(frames, ignore_index=True)
    samples = None
    if keep_draws:
        kept = [s for _, block_kept in results for s in block_kept]
        samples = np.stack([s if s is not None else np.full((n_samples, k), np.nan) for s in kept])
        samples.setflags(write=False)
    return Atlas(target=target, states=model.network[target].states, variables=variables, fixed=dict(fixed or {}),
                 evidence=sets, frame=frame, n_samples=int(n_samples), level=level, seed=int(seed), model=model.info,
                 samples=samples)
