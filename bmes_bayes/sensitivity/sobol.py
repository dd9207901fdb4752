"""Global sensitivity.

First-order and total Sobol indices of a posterior over the uncertain clinical parameters on Saltelli's cross-sample,
every design point one row of a batch of the exact engine. The design and the estimators are SALib's (its layout, its
estimators, its bootstrap), computed here without its Python loops and tested bit for bit against SALib.

References
----------
Saltelli et al. (2010), Comput. Phys. Commun. 181:259-270; Herman & Usher (2017), SALib, JOSS 2(9):97.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Literal, cast

import numpy as np
import pandas as pd

from .. import _checks, limits
from .._deprecation import UNSET, renamed, renamed_attribute
from .._io import stop_if_interrupted
from .._seed import as_generator
from ..compile import DrawnTables
from ..draws import CHUNK, ordered_map, progress_bar, relevant_parameters, xarray_module
from ..exceptions import ArgumentError, BmesError, TooLargeError
from ..parameters import Draws, draws_from_uniform, n_uniform_inputs, point_draws
from ..results import DISCLAIMER, ModelInfo, ResultDisplay
from ._perturb import target_index

if TYPE_CHECKING:  # pragma: no cover
    import xarray
    from matplotlib.axes import Axes

    from ..model import BmesModel
    from ..spec import PriorSpec

__all__ = ["Sobol", "sobol", "sobol_indices", "saltelli_rows"]

CONFIDENCE = 0.95   # default confidence level of the bootstrap intervals
SHOWN = 25          # rows of the HTML table
ROWS = 16 * CHUNK   # design points per engine batch (the engine splits a batch further to bound its memory)
BALANCE = 4         # the number of batches is a multiple of this: the threads (2 or 4) get equal shares


@dataclass(frozen=True, eq=False)
class Sobol(ResultDisplay):
    """First-order and total Sobol indices of a target posterior over the uncertain clinical parameters.

    Computed as SALib computes them (Sobol' sequence sampling, Saltelli/Jansen estimators, bootstrap confidence
    intervals; tested bit for bit against SALib) with the priors' exact joint distribution (independent uniforms
    mapped through inverse CDFs); a Dirichlet row is one group of Gamma inputs, so each clinical parameter (or each
    node, with ``groups="node"``) is one factor. When a single factor can move the posterior it is the whole input,
    and its indices are exactly 1 (0 if the posterior does not vary): they are not estimated, and the ``n``
    evaluations only measure the variance.

    References
    ----------
    Saltelli et al. (2010), Comput. Phys. Commun. 181:259-270; Herman & Usher (2017), SALib, JOSS 2(9):97.
    """

    target: str
    target_state: str
    groups: str
    n: int
    n_evaluations: int
    confidence: float
    frame: pd.DataFrame
    variance: float
    n_irrelevant: int
    seed: int | None
    evidence: dict[str, object]
    model: ModelInfo
    outputs: np.ndarray | None = None        # P(target_state | evidence) at every point of the design, in its order
    design_factors: tuple[str, ...] = ()     # the factors in the design's order (first appearance)

    @property
    def level(self) -> float:
        """Deprecated name of :attr:`confidence` (kept for one release, with a ``DeprecationWarning``)."""
        return renamed_attribute(self.confidence, old_name="level", new_name="confidence")

    def draws(self) -> pd.DataFrame:
        """The model evaluations behind the indices, in long form.

        ``draw`` (the row of the Sobol' base sequence), ``matrix`` (``"A"``, ``"B"``, or the factor whose inputs came
        from B: Saltelli's cross-sample), ``state`` and ``probability``. These are points of a quasi-random design over
        the priors' quantiles, not independent draws from the priors: use ``model.uncertainty(...).draws()`` for those.
        """
        if self.outputs is None:
            raise BmesError("this Sobol result holds no evaluations (no parameter could move the answer)")
        blocks = ("A", *self.design_factors, "B") if len(self.design_factors) > 1 else ("A",)
        n = len(self.outputs) // len(blocks)
        return pd.DataFrame({"draw": np.repeat(np.arange(n), len(blocks)),
                             "matrix": np.tile(np.asarray(blocks, dtype=object), n),
                             "state": self.target_state, "probability": self.outputs})

    def to_xarray(self) -> "xarray.Dataset":
        """The design's evaluations as an ``xarray.Dataset``.

        ``probability`` with dims ``draw`` (base row) and ``matrix`` (A, each factor's cross-sample, B), the indices as
        ``S1``/``ST`` (dim ``factor``). Needs the ``xarray`` extra.
        """
        xr = xarray_module()
        d = self.draws()
        outputs = cast(np.ndarray, self.outputs)   # draws() raised if there are none
        blocks = list(dict.fromkeys(d["matrix"]))
        f = self.frame
        return xr.Dataset({"probability": (("draw", "matrix"), outputs.reshape(-1, len(blocks))),
                           "S1": ("factor", f["S1"].to_numpy()), "ST": ("factor", f["ST"].to_numpy())},
                          coords={"draw": np.arange(len(outputs) // len(blocks)), "matrix": blocks,
                                  "factor": f["factor"].tolist()},
                          attrs={"target": self.target, "target_state": self.target_state, "n": self.n,
                                 "seed": -1 if self.seed is None else int(self.seed), "model": self.model.short,
                                 "disclaimer": DISCLAIMER})

    def to_frame(self) -> pd.DataFrame:
        """Columns ``factor, S1, S1_low, S1_high, ST, ST_low, ST_high``; largest total index first."""
        return self.frame.copy()

    @property
    def verdict(self) -> str:
        """Which parameters drive the variance of the posterior, in one sentence."""
        f = self.frame
        if len(f) == 0 or self.variance == 0:
            return f"P({self.target_state} | evidence) does not vary with the uncertain parameters."
        top = f.iloc[0]
        share = float(np.clip(f["S1"], 0, None).sum())
        return (f"{top['factor']} drives most of the uncertainty of P({self.target_state} | evidence) (total index "
                f"{top['ST']:.2f}); first-order effects add up to {share:.2f} of the variance"
                f"{' (interactions matter)' if share < 0.8 else ''}.")

    def __repr__(self) -> str:
        top = f"; top = {self.frame.iloc[0]['factor']} ST {self.frame.iloc[0]['ST']:.2f}" if len(self.frame) else ""
        return (f"<Sobol indices of P({self.target}={self.target_state}): {len(self.frame)} {self.groups} factors, "
                f"{self.n_evaluations} evaluations{top}>")

    def _title(self) -> str:
        return (f"Sobol indices of P({self.target}={self.target_state} | evidence), {self.confidence:.0%} bootstrap "
                f"intervals")

    def _display_frame(self) -> pd.DataFrame:
        return self.frame.head(SHOWN)

    def plot(self, ax: "Axes | None" = None, *, n: int = 15) -> "Axes":
        """Bars of S1 and ST with their intervals, largest ST on top. Returns the Axes."""
        from ..plotting import sobol_plot

        return sobol_plot(self.frame.head(_checks.count(n, "n")), ax=ax,
                          title=f"Sobol indices of P({self.target_state} | evidence)")


def _saltelli_base(problem: dict, n: int, seed) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Matrices A and B of SALib's design, and which inputs each group holds.

    A and B ``(n, D)`` are the two halves of one scrambled Sobol' sequence in ``2 D`` dimensions; the membership is
    ``(G, D)``, the groups in order of first appearance.
    """
    from scipy.stats import qmc

    d = problem["num_vars"]
    if any(tuple(b) != (0.0, 1.0) for b in problem["bounds"]):
        raise ValueError("saltelli_rows expects unit bounds")
    groups = list(problem.get("groups") or problem["names"])
    names = list(dict.fromkeys(groups))
    member = np.array([[g == name for g in groups] for name in names], dtype=bool)      # (G, D)
    base = qmc.Sobol(d=2 * d, scramble=True, seed=seed).random(n)
    return base[:, :d], base[:, d:], member


def saltelli_rows(problem: dict, n: int, *, seed, rows: int):
    """Saltelli's cross-sample of the scrambled Sobol' sequence, generated as arrays, chunk by chunk.

    Exactly as SALib's ``sobol.sample(problem, n, calc_second_order=False, scramble=True, seed=seed)`` lays it out
    (tested element for element): for each base row ``i``, ``A_i``, then ``A_i`` with group ``k``'s columns from ``B_i``
    for every group in order of first appearance, then ``B_i``. SALib builds the whole matrix in a Python loop over
    rows, groups and columns (3 s for 30,000 rows of 400 inputs); this yields blocks of about ``rows`` rows. The
    problem's bounds must be the unit interval (as here: uniforms mapped by inverse CDFs), so no scaling is needed.
    """
    a_all, b_all, member = _saltelli_base(problem, n, seed)
    per_base = len(member) + 2
    step = max(1, rows // per_base)
    for start in range(0, n, step):
        a, b = a_all[start : start + step], b_all[start : start + step]
        block = np.empty((len(a), per_base, a.shape[1]))
        block[:, 0] = a
        block[:, 1:-1] = np.where(member[None], b[:, None, :], a[:, None, :])
        block[:, -1] = b
        yield block.reshape(-1, a.shape[1])


def _saltelli_blocks(spec: PriorSpec, parameters: Sequence[int], problem: dict, n: int, *, seed,
                     rows: int) -> Iterator[Callable[[], Draws]]:
    """Saltelli's cross-sample in blocks of about ``rows`` parameter sets, each as a function that builds it.

    Sobol evaluates the blocks in several threads, and each thread builds its own (the inverse CDFs of a block are
    its own work, not the calling thread's); the blocks are the same whoever builds them and whenever.

    Built, they are :func:`saltelli_rows` mapped by :func:`draws_from_uniform`, the same values in the same order and
    chunks, without mapping every row: a parameter's inverse-CDF transform depends only on its own uniform inputs, so
    row ``A_i`` with group ``k``'s inputs from ``B_i`` has the drawn values of ``B_i`` for the parameters of group
    ``k`` and those of ``A_i`` for all others. Only the rows of A and B go through the inverse CDFs (``2 n``, chunk by
    chunk), instead of all ``n (G + 2)``. ``parameters`` are the indices into ``spec.parameters`` whose uniform
    inputs are the problem's columns, in order (as for :func:`draws_from_uniform`); a group must hold whole
    parameters. Parameters not driven keep their point value (read-only broadcast views).
    """
    a_u, b_u, member = _saltelli_base(problem, n, seed)
    group_of: dict[int, int] = {}         # parameter index -> its group's position in the design
    col = 0
    for i in parameters:
        k = n_uniform_inputs(spec.parameters[i])
        if k:
            g = int(np.argmax(member[:, col]))
            if not member[g, col : col + k].all():
                raise ValueError(f"the uniform inputs of parameter {spec.parameters[i].id} are in several groups")
            group_of[i] = g
        col += k
    per_base = len(member) + 2
    blocks = -(-min(n, -(-n * per_base // rows)) // BALANCE) * BALANCE   # a multiple of BALANCE, about rows each
    step = -(-n // blocks)
    point = [np.broadcast_to(v, (min(step, n) * per_base, *v.shape[1:])) for v in point_draws(spec).values]

    def make(start: int, m: int) -> Draws:
        ab = draws_from_uniform(spec, np.concatenate([a_u[start : start + m], b_u[start : start + m]]),
                                parameters=parameters)
        values = []
        for i, v in enumerate(point):
            if i not in group_of:
                values.append(v[: m * per_base])
                continue
            a, b = ab.values[i][:m], ab.values[i][m:]
            block = np.empty((m, per_base, *a.shape[1:]))
            block[:] = a[:, None]
            block[:, group_of[i] + 1] = b
            block[:, -1] = b
            values.append(block.reshape(m * per_base, *a.shape[1:]))
        return Draws(spec, tuple(values))

    for start in range(0, n, step):
        yield partial(make, start, min(step, n - start))


def _evaluate(blocks: Iterable, fn: Callable[..., np.ndarray], total: int, progress: bool | None,
              desc: str) -> np.ndarray:
    """``fn`` of every block, in order, into one array of ``total`` outputs, with a progress bar."""
    y = np.empty(total)
    bar = progress_bar(total, progress, desc)
    start = 0
    for out in ordered_map(fn, blocks):   # blocks overlap on several CPUs; results in order, as a serial run's
        stop_if_interrupted()
        y[start : start + len(out)] = out
        start += len(out)
        if bar is not None:
            bar.update(len(out))
    if bar is not None:
        bar.close()
    return y


RESAMPLES = 100             # bootstrap resamples of the confidence intervals (as SALib's default)
BOOTSTRAP_BYTES = 8 * 2**20   # one step of the bootstrap: factors x n x RESAMPLES doubles, at most this (or 1 factor)


def _analyze(problem: dict, y: np.ndarray, confidence: float, seed: int | None) -> dict[str, np.ndarray]:
    """First-order and total indices of ``y`` on Saltelli's cross-sample, with bootstrap intervals.

    The estimators of SALib's ``sobol.analyze(problem, y, calc_second_order=False, conf_level=confidence,
    seed=seed)``, the same numbers (tested bit for bit): the output standardised; for each factor ``j``, with ``A``,
    ``B`` and ``AB_j`` the outputs of the rows of ``A``, of ``B`` and of ``A`` with ``j``'s inputs from ``B``, and ``V``
    the variance of ``A`` and ``B`` together, ``S1_j = mean(B (AB_j - A)) / V`` (Saltelli et al. 2010) and ``ST_j =
    mean((A - AB_j)^2) / (2 V)`` (Jansen 1999); each interval is ``z`` times the standard deviation of the estimate
    over ``RESAMPLES`` bootstrap resamples of the base rows (one matrix of row indices for all factors, drawn from
    ``seed``). SALib computes it factor by factor and redraws the resampled ``A``, ``B`` and their variance for each
    (0.35 s of the 2 s of a Sobol run for a hip with sudden onset, after all the evaluations and on one thread); here
    what every factor shares is computed once, and the factors go in steps of ``BOOTSTRAP_BYTES`` in the threads of
    the evaluations (under 0.1 s). One difference: a ``seed`` of 0, which SALib takes for no seed (numpy's global
    generator), is a seed like any other here.

    Returns ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (``conf``: the interval's half-width), one entry per factor in
    order of first appearance (SALib's result keys).
    """
    from scipy.stats import norm

    n_factors = len(dict.fromkeys(problem.get("groups") or problem["names"]))
    step = n_factors + 2
    if y.size % step:
        raise ValueError(f"{y.size} outputs are not a multiple of {step} (factors + 2)")
    n = y.size // step
    y = (y - y.mean()) / y.std()
    rows = y.reshape(n, step)
    a, b = rows[:, 0], rows[:, -1]
    ab = np.ascontiguousarray(rows[:, 1:-1].T)        # (factors, n)
    r = np.random.default_rng(seed).integers(n, size=(n, RESAMPLES))
    z = norm.ppf(0.5 + confidence / 2)
    eps = np.finfo(float).eps

    def ratio(num: np.ndarray, var: np.ndarray) -> np.ndarray:
        return np.divide(num, var, out=np.zeros(np.broadcast_shapes(num.shape, var.shape)), where=var > eps)

    both = np.r_[a, b]
    if np.ptp(both) <= eps:                        # constant outputs: every index is 0 (SALib's rule)
        s1, st = np.zeros(n_factors), np.zeros(n_factors)
    else:
        var = np.var(both, axis=0)
        s1 = ratio(np.mean(b * (ab - a), axis=1), var)
        st = ratio(0.5 * np.mean((a - ab) ** 2, axis=1), var)
    ar, br = a[r], b[r]                            # (n, RESAMPLES)
    both_r = np.r_[ar, br]
    spread = np.ptp(both_r)
    s1_conf, st_conf = np.zeros(n_factors), np.zeros(n_factors)
    if spread > eps:                               # else the intervals are 0 (SALib: no spread, constant or NaN)
        var_r = np.var(both_r, axis=0)
        per_step = max(1, BOOTSTRAP_BYTES // (8 * n * RESAMPLES))

        def intervals(j0: int) -> tuple[np.ndarray, np.ndarray]:
            abr = ab[j0 : j0 + per_step][:, r]          # (factors, n, RESAMPLES)
            return (z * ratio(np.mean(br * (abr - ar), axis=1), var_r).std(axis=1, ddof=1),
                    z * ratio(0.5 * np.mean((ar - abr) ** 2, axis=1), var_r).std(axis=1, ddof=1))

        starts = range(0, n_factors, per_step)
        for j0, (s1c, stc) in zip(starts, ordered_map(intervals, starts)):
            s1_conf[j0 : j0 + per_step], st_conf[j0 : j0 + per_step] = s1c, stc
    return {"S1": s1, "S1_conf": s1_conf, "ST": st, "ST_conf": st_conf}


def sobol_indices(problem: dict, fn, *, n: int, seed: int | None, confidence: float | None = None,
                  progress: bool | None = None, desc: str = "Sobol", level: object = UNSET
                  ) -> tuple[dict, np.ndarray]:
    """SALib's Sobol' analysis of ``fn`` on Saltelli's sample, evaluated chunk by chunk.

    ``fn`` maps ``(N, D)`` uniforms to ``(N,)`` outputs. The sample is :func:`saltelli_rows`: SALib's own sample,
    generated without its Python loop and never held whole.

    Parameters
    ----------
    problem : dict
        SALib's problem (``num_vars``, ``names``, unit ``bounds``, optional ``groups``).
    fn : callable
        ``(N, D)`` uniforms -> ``(N,)`` outputs.
    n : int
        Base sample size (a power of 2).
    seed : int or None
        Seed of the scrambled Sobol' sequence and of SALib's bootstrap.
    confidence : float, default 0.95
        Confidence level of the bootstrap intervals.
    progress : bool or None
        A progress bar (None: only for long runs).
    desc : str
        The progress bar's label.
    level : float, optional
        Deprecated name of ``confidence`` (a ``DeprecationWarning``; removed in the next release).

    Returns
    -------
    tuple of (dict, numpy.ndarray)
        The indices (a dict of arrays with SALib's keys ``S1``, ``S1_conf``, ``ST``, ``ST_conf``, SALib's numbers bit
        for bit, and SALib's ``to_df()``) and the model outputs.
    """
    confidence = renamed(confidence, level, new="confidence", old="level", where="sobol", default=CONFIDENCE)
    groups = problem.get("groups") or problem["names"]
    total = n * (len(set(groups)) + 2)
    y = _evaluate(saltelli_rows(problem, n, seed=seed, rows=4 * CHUNK), fn, total, progress, desc)
    return _Indices(_analyze(problem, y, confidence, seed), list(dict.fromkeys(groups))), y


class _Indices(dict):
    """The indices of :func:`sobol_indices`: SALib's result keys, and its ``to_df()``."""

    def __init__(self, values: dict[str, np.ndarray], factors: list[str]) -> None:
        super().__init__(values)
        self.factors = factors

    def to_df(self) -> list[pd.DataFrame]:
        """``[total, first]``: ``ST``, ``ST_conf`` and ``S1``, ``S1_conf`` by factor, as SALib's ``to_df()``."""
        return [pd.DataFrame({"ST": self["ST"], "ST_conf": self["ST_conf"]}, index=self.factors),
                pd.DataFrame({"S1": self["S1"], "S1_conf": self["S1_conf"]}, index=self.factors)]


def _problem(spec: PriorSpec, indices: Sequence[int], groups: str) -> dict:
    """SALib's problem over the uniform inputs of the parameters ``indices``, in order.

    One factor per parameter, or per node with ``groups="node"``, whatever its number of uniform inputs (a Dirichlet
    row has one per state).
    """
    names, factor_of = [], []
    for i in indices:
        p = spec.parameters[i]
        k = n_uniform_inputs(p)
        names += [f"{p.id}[{j}]" for j in range(k)]
        factor_of += [p.id if groups == "parameter" else p.node] * k
    return {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names), "groups": factor_of}


def _sobol_budget(n: int, factors: int, inputs: int, groups: str) -> None:
    """Refuse, before any work, a Sobol run beyond :mod:`bmes_bayes.limits`.

    ``n`` above ``MAX_SOBOL_N``, ``n (G + 2)`` evaluations above ``MAX_EVALUATIONS``, or more memory than
    ``MEMORY_LIMIT`` for the design's arrays (bounded by SALib's: its sample matrix, ``n (G + 2)`` rows by one column
    per uniform input, with the Sobol' base sequence, and its bootstrap, about 7 arrays of ``n`` by 100 resamples;
    the blocks of the design and the steps of the bootstrap hold less). A single factor needs ``n`` evaluations and
    no cross-sample.
    """
    if factors == 1:
        rows, memory = n, 8.0 * n * (inputs + 1)
    else:
        rows = n * (factors + 2)
        memory = 8.0 * ((rows + 2 * n) * inputs + 700 * n + rows)
    why = []
    if n > limits.MAX_SOBOL_N:
        why.append(f"n is above bmes_bayes.limits.MAX_SOBOL_N = {limits.MAX_SOBOL_N:,}")
    if rows > limits.MAX_EVALUATIONS:
        why.append(f"{rows:,} evaluations (n x ({factors} factors + 2)) are above bmes_bayes.limits.MAX_EVALUATIONS "
                   f"= {limits.MAX_EVALUATIONS:,}")
    if memory > limits.MEMORY_LIMIT:
        why.append(f"the design's arrays for {inputs:,} inputs would exceed bmes_bayes.limits.MEMORY_LIMIT = "
                   f"{_checks.size_text(limits.MEMORY_LIMIT)}")
    if why:
        hint = " groups='node' gives fewer factors;" if groups == "parameter" else ""
        raise TooLargeError(f"sobol(n={n:,}) is too large ({'; '.join(why)}): it would need "
                            f"{_checks.estimate(memory, rows)}. Use a smaller n;{hint} observed findings also "
                            f"leave fewer parameters that matter.")


def sobol(model: "BmesModel", evidence: Mapping[str, object] | None = None, *, target_state: str | None = None,
          target: str = "diagnosis", n: int = 1024, seed: None | int | np.random.Generator = None,
          groups: Literal["parameter", "node"] = "parameter", confidence: float | None = None,
          progress: bool | None = None, level: object = UNSET) -> Sobol:
    """Global sensitivity: first-order and total Sobol indices of a posterior over the uncertain parameters.

    Independent uniforms are mapped through the priors' inverse CDFs (a Dirichlet row is a group of Gamma
    inputs), so the joint distribution is exactly the priors'; Saltelli's design on a scrambled Sobol' sequence
    (``n (G + 2)`` evaluations for G factors, SALib's layout) is evaluated by the batched exact engine, and the
    indices are estimated with bootstrap confidence intervals (SALib's estimators, its numbers bit for bit).
    Parameters that cannot move the posterior (barren nodes, rows the evidence excludes) are left out: their
    indices are exactly 0.

    Parameters
    ----------
    model : BmesModel
    evidence : mapping, optional
    target_state : str, optional
        None (the default) means the point model's most probable state under this evidence, which
        ``Sobol.target_state`` then names.
    target : str, default "diagnosis"
    n : int, default 1024
        Base sample size: a power of 2 from 2 to ``bmes_bayes.limits.MAX_SOBOL_N`` (65,536). The run needs
        ``n (G + 2)`` exact evaluations for G factors (memory is bounded by an ``n (G + 2)`` by inputs sample matrix);
        a run beyond ``limits.MAX_EVALUATIONS`` or ``limits.MEMORY_LIMIT`` is refused before it starts
        (:class:`~bmes_bayes.exceptions.TooLargeError`, stating the memory and time it would need).
    seed : None, int or numpy Generator
    groups : {"parameter", "node"}, default "parameter"
        One factor per clinical parameter, or per node (far fewer evaluations).
    confidence : float, default 0.95
        Confidence level of the bootstrap intervals.
    progress : bool, optional
        Progress bar (default: only for long runs).
    level : float, optional
        Deprecated name of ``confidence`` (a ``DeprecationWarning``; removed in the next release).

    Returns
    -------
    Sobol
        ``.to_frame()`` (factor, S1, S1_low, S1_high, ST, ST_low, ST_high), ``.plot()``, ``.verdict``.

    References
    ----------
    Saltelli et al. (2010), Comput. Phys. Commun. 181:259-270; Herman & Usher (2017), SALib, JOSS 2:97.

    Examples
    --------
    >>> import bmes_bayes
    >>> from bmes_bayes.sensitivity import sobol
    >>> s = sobol(bmes_bayes.load_model(), {"joint": "hip", "age_group": "middle", "sex": "male",
    ...                                    "mri_necrotic_segment": "present"}, n=64, seed=0, groups="node")
    >>> list(s.to_frame().columns)
    ['factor', 'S1', 'S1_low', 'S1_high', 'ST', 'ST_low', 'ST_high']
    """
    n = _checks.count(n, "n", minimum=2)
    if n & (n - 1):
        raise ArgumentError(f"n must be a power of 2 (Sobol' sequences), got {n:,}")
    groups = _checks.choice(groups, "groups", ("parameter", "node"))
    confidence = _checks.level(renamed(confidence, level, new="confidence", old="level", where="sobol", default=CONFIDENCE), "confidence")
    ev = model.resolve(evidence)
    target, ti, point = target_index(model, target, target_state, ev)
    rng = as_generator(seed)
    salib_seed = int(rng.integers(2**31 - 1))
    indices = relevant_parameters(model, ev, target)
    irrelevant = sum(1 for p in model.priors.parameters if not p.fixed) - len(indices)
    problem = _problem(model.priors, indices, groups)
    names, factor_of = problem["names"], problem["groups"]
    states = model.network[target].states
    cols = ["factor", "S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"]
    if not names:
        return Sobol(target, states[ti], groups, n, 0, confidence, pd.DataFrame(columns=cols), 0.0, irrelevant,
                     seed if isinstance(seed, int) else None, ev.as_dict(), model.info)
    factors = list(dict.fromkeys(factor_of))
    _sobol_budget(n, len(factors), len(names), groups)

    def fn(draws: Draws) -> np.ndarray:
        return model.query(ev, target, DrawnTables(model.priors, model.network, draws, precision="single")
                           ).posterior[:, ti]

    if len(factors) == 1:
        # One factor is the whole input X, so Var(E[Y | X]) = Var(Y): S1 = ST = 1 exactly (0 if Y does not vary).
        # The estimators are not used: SALib's need two groups, and without groups it would estimate the index of
        # each of the factor's uniform inputs (a Dirichlet row has one Gamma input per state), not of the factor (issue 13).
        from scipy.stats import qmc

        u = qmc.Sobol(d=len(names), scramble=True, seed=salib_seed).random(n)
        y = np.concatenate([fn(draws_from_uniform(model.priors, u[i : i + ROWS], parameters=indices))
                            for i in range(0, n, ROWS)])
        one = np.array([1.0 if np.var(y) > 0 else 0.0])
        s1 = st = one
        s1c = stc = np.zeros(1)
    else:
        blocks = _saltelli_blocks(model.priors, indices, problem, n, seed=salib_seed, rows=ROWS)
        y = _evaluate(blocks, lambda make: fn(make()), n * (len(factors) + 2), progress, "Sobol indices")
        res = _analyze(problem, y, confidence, salib_seed)
        s1, st = np.atleast_1d(res["S1"]), np.atleast_1d(res["ST"])
        s1c, stc = np.atleast_1d(res["S1_conf"]), np.atleast_1d(res["ST_conf"])
    frame = pd.DataFrame({"factor": factors, "S1": s1, "S1_low": s1 - s1c, "S1_high": s1 + s1c,
                          "ST": st, "ST_low": st - stc, "ST_high": st + stc})
    frame = frame.sort_values("ST", ascending=False, kind="stable").reset_index(drop=True)
    y.setflags(write=False)
    return Sobol(target=target, target_state=states[ti], groups=groups, n=n, n_evaluations=len(y),
                 confidence=confidence, frame=frame, variance=float(np.var(y)),
                 n_irrelevant=irrelevant, seed=seed if isinstance(seed, int) else None, evidence=ev.as_dict(),
                 model=model.info, outputs=y, design_factors=tuple(factors))
