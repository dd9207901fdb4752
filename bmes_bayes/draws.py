"""Monte-Carlo over the parameters, shared by every analysis that draws.

Parameter sets from the priors, exact posteriors under each (for one or many evidence sets, on the same draws), and the
summaries of those draws that every result reports the same way (:func:`equal_tailed`, :func:`p_top`).

This layer sits above the model and below the analyses (``sensitivity``, ``teaching``, ``atlas``), so each of them
draws, counts impossible draws and summarises in one way.
"""

from __future__ import annotations

import os
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from . import _checks, limits
from ._io import stop_if_interrupted
from ._seed import as_generator
from .compile import DrawnTables
from .exceptions import BmesError, BmesWarning, ImpossibleEvidenceError
from .parameters import Draws, Streams, sample_draws
from .spec import OddsRatioPrior, RowPrior

if TYPE_CHECKING:  # pragma: no cover
    from .model import BmesModel

__all__ = ["CHUNK", "ParameterSets", "posterior_draws", "posterior_draws_for", "relevant_parameters",
           "parameter_columns", "sample_count", "possible_draws", "equal_tailed", "p_top", "ordered_map", "threads"]

T = TypeVar("T")
R = TypeVar("R")

CHUNK = 500  # parameter sets drawn at a time: fixed, so results never depend on how work is split
BATCH = 4 * CHUNK  # parameter sets per engine batch: the per-query costs spread over more sets, memory bounded


def threads() -> int:
    """Threads that evaluate batches of parameter sets.

    :data:`bmes_bayes.limits.THREADS`, at most one per CPU this process may use.
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(int(limits.THREADS), cpus))


def ordered_map(fn: Callable[[T], R], items: Iterable[T], *, workers: int | None = None) -> Iterator[R]:
    """``fn(item)`` for each item, in order, computed in up to ``workers`` threads (default :func:`threads`).

    The engine's work is numpy and BLAS, which release the GIL, so batches overlap on several CPUs. Items are taken
    from ``items`` in this thread, in order (so random streams are consumed as in a serial run), and at most
    ``workers + 1`` are in flight (memory stays bounded). Each result depends on its item alone, so the results are
    those of a serial run, bit for bit. With one worker nothing runs in another thread.
    """
    workers = threads() if workers is None else workers
    if workers <= 1:
        for item in items:
            yield fn(item)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(workers, thread_name_prefix="bmes-bayes") as pool:
        pending: deque = deque()
        try:
            for item in items:
                pending.append(pool.submit(fn, item))
                if len(pending) > workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:  # stopped early (an error, Ctrl-C): what has not started is not run
            for future in pending:
                future.cancel()


def progress_bar(total: int, enabled: bool | None, desc: str):
    """A tqdm bar when asked, or automatically for long runs (None); a no-op otherwise."""
    if enabled is False or (enabled is None and total < 20_000):
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is optional: quiet without it
        return None
    return tqdm(total=total, desc=desc, unit="draws", leave=False)


KEEP_PARAMETERS_UP_TO = limits.KEEP_PARAMETERS_UP_TO   # parameter draws kept with the result (see bmes_bayes.limits)


def parameter_columns(spec) -> tuple[tuple[str, ...], list[tuple[int, int | None]]]:
    """Labels of the scalar parameters that draws vary, and where each lives.

    ``(parameter index, state index or None)``. A two-state row stated for one state gives that state; a full row each
    state it allows; an odds ratio itself. Fixed parameters are left out (they never vary).
    """
    labels: list[str] = []
    where: list[tuple[int, int | None]] = []
    for i, p in enumerate(spec.parameters):
        if p.fixed:
            continue
        if isinstance(p, OddsRatioPrior):
            labels.append(p.id)
            where.append((i, None))
            continue
        ks = [p.focus] if p.focus is not None else [int(k) for k in p.support]
        for k in ks:
            labels.append(f"{p.id}: {p.states[k]}")
            where.append((i, k))
    return tuple(labels), where


@dataclass(frozen=True, eq=False)
class ParameterSets:
    """The parameter sets of a Monte-Carlo run, kept as drawn: each batch's :class:`~bmes_bayes.parameters.Draws`.

    The ``(S, P)`` matrix in the columns of :func:`parameter_columns` is written out only when asked
    (:meth:`matrix`): it is large (10,000 sets of the shipped model are 62 MB), a run that nobody asks it of would spend
    a sixth of its time writing it, and the draws it is made of are kept anyway.
    """

    parts: tuple[tuple[Draws, int], ...]          # each batch's draws and how many of its first sets belong to the run
    keep: np.ndarray | None = None                # the sets kept (a boolean mask over all of them); None: all

    @property
    def n_samples(self) -> int:
        """Parameter sets kept."""
        return int(self.keep.sum()) if self.keep is not None else sum(n for _, n in self.parts)

    def take(self, mask: np.ndarray) -> "ParameterSets":
        """Only the sets where ``mask`` (over the sets kept so far) is True."""
        keep = np.ones(sum(n for _, n in self.parts), dtype=bool) if self.keep is None else self.keep.copy()
        keep[np.flatnonzero(keep)[~np.asarray(mask, dtype=bool)]] = False
        return ParameterSets(self.parts, keep)

    def matrix(self) -> np.ndarray:
        """The ``(S, P)`` matrix (read-only): one row per set kept, one column per :func:`parameter_columns` label.

        Written one parameter at a time into its transpose (each column one contiguous run per batch), then viewed
        as ``(S, P)``.
        """
        total = sum(n for _, n in self.parts)
        where = parameter_columns(self.parts[0][0].spec)[1]
        out = np.empty((len(where), total))
        groups: dict[int, list[tuple[int, int | None]]] = {}
        for col, (i, k) in enumerate(where):
            groups.setdefault(i, []).append((col, k))
        start = 0
        for draws, n in self.parts:
            for i, cols in groups.items():
                values = draws.values[i][:n]
                for col, k in cols:
                    out[col, start : start + n] = values if k is None else values[:, k]
            start += n
        mat = out.T if self.keep is None else out.T[self.keep]
        mat.flags.writeable = False
        return mat


def posterior_draws(model: "BmesModel", evidence: Mapping[str, object] | None, *, target: str, n_samples: int,
                    seed: None | int | np.random.Generator, progress: bool | None = None,
                    keep_parameters: bool = False) -> "tuple[np.ndarray, ParameterSets | None]":
    """Exact posteriors of ``target`` under ``n_samples`` parameter sets drawn from the priors.

    ``(S, K)``, and the parameter sets themselves (:class:`ParameterSets`, whose ``matrix()`` is ``(S, P)`` in the
    columns of :func:`parameter_columns`; None unless ``keep_parameters``): one return shape whatever the flag. A
    parameter set under which the evidence is impossible (a drawn CPT entry of exactly zero, where the point model
    may have a positive one) gives a row of NaN: "impossible under this draw", which the callers count and leave out,
    as distinct from "impossible under the model", which :meth:`BmesModel.posterior` raises. One evidence set of
    :func:`posterior_draws_for`.
    """
    out, params = posterior_draws_for(model, [evidence], target=target, n_samples=n_samples, seed=seed,
                                      progress=progress, keep_parameters=keep_parameters)
    return out[0], params


def posterior_draws_for(model: "BmesModel", evidences: Sequence[Mapping[str, object] | None], *, target: str,
                        n_samples: int, seed: None | int | np.random.Generator, progress: bool | None = None,
                        keep_parameters: bool = False, workers: int | None = None
                        ) -> "tuple[list[np.ndarray], ParameterSets | None]":
    """:func:`posterior_draws` for several evidence sets under the same parameter sets, drawn once.

    Each chunk of parameter sets is drawn and compiled once and queried for every evidence set (common random
    numbers: a difference between two sets is a difference of evidence, not of sampling), so set ``i``'s draws equal
    ``posterior_draws(model, evidences[i], ...)``'s bit for bit. Used by the work-up (its stages), the scenario atlas
    (its grid) and a report. Returns one ``(S, K)`` array per evidence set and the parameter sets (or None).

    Only the parameters that can move the answer for at least one of the evidence sets are drawn
    (:func:`relevant_parameters`); the others keep their point value (their columns of the parameter sets too).
    Each parameter has its own random stream (:class:`~bmes_bayes.parameters.Streams`), so a parameter's draws
    depend on the seed alone, not on which others are drawn: adding a stage or a grid cell changes no draw.
    Batches are evaluated in ``workers`` threads (default :func:`threads`; the atlas on Dask passes 1, its workers
    being the parallelism); the results do not depend on it.
    """
    target = model.target_name(target)
    n_samples = sample_count(model, n_samples, target, stages=max(1, len(evidences)),
                             keep_parameters=keep_parameters)
    resolved = [model.resolve(ev) for ev in evidences]
    streams = Streams(as_generator(seed))
    only = frozenset(i for ev in resolved for i in relevant_parameters(model, ev, target))
    outs = [np.empty((n_samples, model.network[target].card)) for _ in resolved]
    kept: list[tuple[Draws, int]] = []
    bar = progress_bar(n_samples * len(resolved), progress, "sampling priors")

    # batches of whole chunks, up to BATCH sets, and at least one per thread when there are chunks enough
    workers = threads() if workers is None else max(1, workers)
    batch = min(BATCH, max(CHUNK, -(-n_samples // (workers * CHUNK)) * CHUNK))

    def batches() -> Iterator[tuple[int, int, Draws]]:
        for start in range(0, n_samples, batch):
            stop_if_interrupted()
            n = min(batch, n_samples - start)
            # whole chunks: the same draws for any n_samples (each parameter's stream is consumed in order, so
            # drawing several chunks at once gives the values of drawing them one by one)
            yield start, n, sample_draws(model.priors, -(-n // CHUNK) * CHUNK, streams, only)

    def evaluate(batch: tuple[int, int, Draws]) -> tuple[int, int, Draws, list[np.ndarray]]:
        start, n, draws = batch
        source = DrawnTables(model.priors, model.network, draws, precision="single")
        posts = []
        for ev in resolved:
            try:
                posts.append(model.query(ev, target, source).posterior[:n])
            except ImpossibleEvidenceError:  # under some draws only: evaluate the others, NaN for these
                ok = np.flatnonzero(model.possible(ev, source)[:n])
                post = np.full((n, outs[0].shape[1]), np.nan)
                if len(ok):
                    post[ok] = model.query(ev, target, DrawnTables(model.priors, model.network, draws.take(ok),
                                                                   precision="single")).posterior
                posts.append(post)
        return start, n, draws, posts

    for start, n, draws, posts in ordered_map(evaluate, batches(), workers=workers):
        for out, post in zip(outs, posts):
            out[start : start + n] = post
        if bar is not None:
            bar.update(n * len(resolved))
        if keep_parameters:
            kept.append((draws, n))
    if bar is not None:
        bar.close()
    params = ParameterSets(tuple(kept)) if keep_parameters else None
    return outs, params


def sample_count(model: "BmesModel", n_samples: object, target: str, *, stages: int = 1,
                 keep_parameters: bool = False, name: str = "n_samples") -> int:
    """``n_samples`` checked.

    A whole number from 1 to :data:`bmes_bayes.limits.MAX_SAMPLES` whose draws (``stages`` arrays of ``(n_samples, K)``,
    plus the parameter sets when kept) fit in :data:`~bmes_bayes.limits.MEMORY_LIMIT`.

    Raises
    ------
    TooLargeError
        Stating the memory and time the request would need.
    """
    k = model.network[model.target_name(target)].card
    per_set = 8.0 * (stages * k + (len(parameter_columns(model.priors)[0]) if keep_parameters else 0))
    return _checks.sample_budget(n_samples, name, bytes_per_set=per_set, sets_per_value=stages,
                                 hint="Ask for fewer parameter sets.")


def possible_draws(samples: np.ndarray, evidence: Mapping[str, object], *, stacklevel: int = 2) -> np.ndarray:
    """Which rows of ``samples`` come from a parameter set under which the evidence is possible.

    ``samples`` is ``(S, K)``, or ``(stages, S, K)``: a draw must then be possible at every stage. Warns with the count
    of the others, and raises :class:`ImpossibleEvidenceError` when there are none (possible under the point model,
    impossible under every parameter set drawn).
    """
    bad = np.isnan(samples).any(axis=-1)
    possible = ~(bad.any(axis=0) if bad.ndim == 2 else bad)
    n, k = possible.size, int((~possible).sum())
    ev = ", ".join(f"{name}={state}" for name, state in evidence.items())
    if k == n:
        raise ImpossibleEvidenceError(f"impossible evidence under every one of the {n:,} parameter sets drawn from "
                                      f"the priors, though possible under the point model: {ev}")
    if k:
        warnings.warn(f"{k:,} of {n:,} parameter sets drawn from the priors make the evidence impossible (a drawn "
                      f"probability of exactly 0); they are left out: {ev}", BmesWarning, stacklevel=stacklevel)
    return possible


def xarray_module():
    try:
        import xarray as xr
    except ImportError:
        raise BmesError("labelled draws as xarray need the optional extra: pip install 'bmes-bayes[xarray]'") from None
    return xr


def relevant_parameters(model: "BmesModel", ev, target: str) -> list[int]:
    """Indices of the uncertain parameters that can move P(target | evidence) at all.

    A parameter cannot when its node is outside the ancestral set of the target and the evidence (a barren node),
    when its row or odds ratio belongs to a parent state that the evidence excludes, or when the node and all its
    parents are observed (a constant factor). Every other parameter is kept, even if d-separation makes it
    irrelevant too (its indices then come out as zero).
    """
    keep_nodes = set(model.relevant_nodes(ev, target))
    net = model.network
    hard = ev.hard
    out = []
    for i, p in enumerate(model.priors.parameters):
        if p.fixed or p.node not in keep_nodes:
            continue
        var = net[p.node]
        if p.node in hard and all(q in hard for q in var.parents):
            continue
        if isinstance(p, RowPrior):
            if any(q in hard and net[q].states[hard[q]] != s for q, s in p.given):
                continue
        elif p.parent in hard and net[p.parent].states[hard[p.parent]] != p.parent_state:
            continue
        out.append(i)
    return out


def equal_tailed(samples: np.ndarray, level: float, *, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The equal-tailed ``level`` interval of draws along ``axis``.

    The ``(1 - level)/2`` and ``(1 + level)/2`` quantiles (numpy's default linear interpolation). Every interval a
    result reports comes from here.
    """
    lo, hi = np.quantile(samples, [(1 - level) / 2, (1 + level) / 2], axis=axis)
    return lo, hi


def p_top(samples: np.ndarray) -> np.ndarray:
    """Share of draws (rows of ``(S, K)``, or ``(..., S, K)``) in which each state has the highest probability.

    A tie goes to the first state (``argmax``), the rule every analysis uses.
    """
    k = samples.shape[-1]
    top = samples.argmax(axis=-1)
    onehot = top[..., None] == np.arange(k)
    return onehot.mean(axis=-2)
