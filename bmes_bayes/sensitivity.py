"""How far posteriors move across the plausible range of the priors.

Uncertainty (Monte-Carlo over parameters, exact inference per draw): parameter sets are drawn from the
distributions stated in ``priors/`` (Dirichlet rows, log-normal odds ratios), compiled to CPTs and evaluated by the
same exact batched engine as single queries, in fixed-size chunks so that memory stays bounded and a given seed
gives bit-identical results whatever the chunking of the caller or the order of the evidence.

One-way analysis (:func:`one_way`: each clinical parameter at the ends of its plausible range, a tornado), exact
sensitivity functions of raw CPT entries under proportional, uniform or order-preserving co-variation
(:func:`sensitivity_function`), admissible deviations (:func:`admissible_deviation`: how far a parameter can move
before the top state changes), tuning to a constraint over clinical parameters and raw CPT entries ranked by the
exact Chan-Darwiche distance (:func:`tune`) and Sobol indices computed with SALib (:func:`sobol`) all run on the same
batched exact engine: every parameter set they need is one row of a batch.

References
----------
Van Allen, Singh, Greiner & Hooper (2008), "Quantifying the uncertainty of a belief net response: Bayesian
error-bars for belief net inference", Artificial Intelligence 172(4-5):483-513.
Coupé & van der Gaag (2002), Ann. Math. AI 36:323-356; van der Gaag & Renooij (2001), UAI; Chan & Darwiche (2002),
JAIR 17:265-287; Renooij (2014), IJAR 55:1022-1042; Saltelli et al. (2010), CPC 181:259-270.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from scipy import stats

from . import _checks, limits
from ._seed import as_generator
from .compile import DrawnTables, compile_node
from .exceptions import (ArgumentError, ArgumentTypeError, BmesError, EvidenceError,
                         TooLargeError, listing, shown, unknown_name_message)
from .parameters import Draws, draws_from_uniform, n_uniform_inputs
from .draws import (CHUNK, KEEP_PARAMETERS_UP_TO, parameter_columns, possible_draws, posterior_draws, progress_bar,
                    relevant_parameters, sample_count, xarray_module)
from .results import DISCLAIMER, ModelInfo, ResultDisplay, _evidence_html, _footer_html, _frame_html, draws_frame
from .spec import ODDS_RATIO_LIMITS, OddsRatioPrior, RowPrior, TableCPD

if TYPE_CHECKING:  # pragma: no cover
    import xarray

    from matplotlib.axes import Axes

    from .model import BmesModel

__all__ = [
    "Uncertainty", "uncertainty", "CHUNK", "OneWay", "one_way", "SensitivityFunction", "sensitivity_function",
    "covary", "admissible_range", "AdmissibleDeviation", "admissible_deviation", "Tuning", "tune", "cd_distance",
    "Sobol", "sobol", "sobol_indices", "relevant_parameters",
]

@dataclass(frozen=True, eq=False)
class Uncertainty(ResultDisplay):
    """Posterior of a target across plausible parameter sets: intervals, rank stability and a verdict.

    Attributes
    ----------
    target, states : the variable and its states.
    point : numpy.ndarray
        Posterior under the point (mean/median) parameters.
    samples : numpy.ndarray
        ``(n_samples, K)`` exact posteriors, one row per parameter set drawn from the priors.
    level : float
        Credible level of the equal-tailed intervals.
    threshold : float
        Share of parameter sets in which the top state must stay first to call the ranking stable.
    n_impossible : int
        Parameter sets drawn under which the evidence is impossible (a drawn CPT entry of exactly 0 where the point
        model's is positive): left out of ``samples`` and counted here (the verdict says so). Evidence impossible
        under the point model raises ``ImpossibleEvidenceError`` instead.
    """

    target: str
    states: tuple[str, ...]
    point: np.ndarray
    samples: np.ndarray
    level: float
    threshold: float
    seed: int | None
    evidence: dict[str, object]
    model: ModelInfo
    parameters: np.ndarray | None = None         # (n_samples, P): the parameter sets drawn (see parameter_labels)
    parameter_labels: tuple[str, ...] = ()
    n_impossible: int = 0

    @property
    def n_samples(self) -> int:
        """Parameter sets summarised (those drawn, less the ``n_impossible`` left out)."""
        return int(self.samples.shape[0])

    def draws(self) -> pd.DataFrame:
        """The draws in long form: one row per parameter set and state, columns ``draw, state, probability``."""
        return draws_frame(self.samples, self.states)

    def parameter_draws(self) -> pd.DataFrame:
        """The parameter sets that produced the draws, one row per draw, one column per varying parameter
        (labelled ``"<parameter>: <state>"`` for a probability, the parameter's id for an odds ratio)."""
        if self.parameters is None:
            raise BmesError(f"the parameter draws were not kept (they are kept up to {KEEP_PARAMETERS_UP_TO:,} sets)")
        frame = pd.DataFrame(self.parameters, columns=list(self.parameter_labels))
        frame.index.name = "draw"
        return frame

    def to_xarray(self) -> "xarray.Dataset":
        """An ``xarray.Dataset``: ``posterior`` (dims ``draw``, ``state``) and, when kept, ``parameters`` (dims
        ``draw``, ``parameter``), with the evidence, seed and model in ``attrs``. Needs the ``xarray`` extra."""
        xr = xarray_module()
        data = {"posterior": (("draw", "state"), self.samples)}
        coords = {"draw": np.arange(self.n_samples), "state": list(self.states)}
        if self.parameters is not None:
            data["parameters"] = (("draw", "parameter"), self.parameters)
            coords["parameter"] = list(self.parameter_labels)
        attrs = {"target": self.target, "evidence": "; ".join(f"{k}={v}" for k, v in self.evidence.items()),
                 "seed": -1 if self.seed is None else int(self.seed), "level": self.level,
                 "point": list(map(float, self.point)), "model": self.model.short, "disclaimer": DISCLAIMER}
        return xr.Dataset(data, coords=coords, attrs=attrs)

    def to_datatree(self) -> "xarray.DataTree":
        """An ArviZ-style ``xarray.DataTree``: group ``posterior`` holds P(target = state | evidence) per draw
        (dims ``chain`` of length 1, ``draw``, ``state``) and group ``prior`` the parameter draws that produced it
        (dims ``chain``, ``draw``, ``parameter``), so ArviZ summaries and plots work on it with no glue and it
        round-trips through netCDF or Zarr. Needs the ``xarray`` extra."""
        xr = xarray_module()
        ds = self.to_xarray()
        post = xr.Dataset({self.target: ds["posterior"].expand_dims(chain=[0])}, attrs=ds.attrs)
        groups = {"posterior": post}
        if self.parameters is not None:
            groups["prior"] = xr.Dataset({"parameters": ds["parameters"].expand_dims(chain=[0])}, attrs=ds.attrs)
        return xr.DataTree.from_dict(groups)

    @property
    def p_top(self) -> np.ndarray:
        """Share of parameter sets in which each state has the highest posterior."""
        counts = np.bincount(self.samples.argmax(axis=1), minlength=len(self.states))
        return counts / self.n_samples

    def to_frame(self) -> pd.DataFrame:
        """Columns: the target's name, ``point, mean, median, lower, upper, p_top``; sorted by point."""
        lo, hi = (1 - self.level) / 2, (1 + self.level) / 2
        q = np.quantile(self.samples, [lo, 0.5, hi], axis=0)
        frame = pd.DataFrame({
            self.target: list(self.states), "point": self.point, "mean": self.samples.mean(axis=0),
            "median": q[1], "lower": q[0], "upper": q[2], "p_top": self.p_top,
        })
        return frame.sort_values("point", ascending=False, kind="stable").reset_index(drop=True)

    @property
    def top(self) -> str:
        return self.states[int(np.argmax(self.point))]

    @property
    def stable(self) -> bool:
        """Whether the point model's top state stays first in at least ``threshold`` of the parameter sets."""
        return bool(self.p_top[int(np.argmax(self.point))] >= self.threshold)

    @property
    def verdict(self) -> str:
        """The answer in words, against the explicit threshold."""
        i = int(np.argmax(self.point))
        share = self.p_top[i]
        lo, hi = self.to_frame().set_index(self.target).loc[self.states[i], ["lower", "upper"]]
        head = (f"{self.states[i]} is first with P = {self.point[i]:.2f} ({self.level:.0%} interval {lo:.2f}-{hi:.2f}) "
                f"and stays first in {share:.0%} of {self.n_samples} plausible parameter sets")
        left_out = (f" ({self.n_impossible} more parameter sets drawn make the evidence impossible and are left out)"
                    if self.n_impossible else "")
        if share >= self.threshold:
            return f"{head}: the ranking is stable (threshold {self.threshold:.0%}){left_out}."
        others = [(self.p_top[j], self.states[j]) for j in np.argsort(-self.p_top) if j != i and self.p_top[j] > 0]
        rivals = ", ".join(f"{s} in {p:.0%}" for p, s in others[:3])
        return f"{head}: NOT stable at the {self.threshold:.0%} threshold (first instead: {rivals}){left_out}."

    def __repr__(self) -> str:
        i = int(np.argmax(self.point))
        lo, hi = self.to_frame().set_index(self.target).loc[self.states[i], ["lower", "upper"]]
        return (f"<Uncertainty of {self.target}: {len(self.states)} states | {len(self.evidence)} findings | "
                f"{self.n_samples} parameter sets; top = {self.states[i]} {self.point[i]:.2f} [{lo:.2f}, {hi:.2f}], "
                f"first in {self.p_top[i]:.0%}>")

    def __str__(self) -> str:
        from .results import frame_text

        ev = ", ".join(f"{k}={v}" for k, v in self.evidence.items()) or "none (prior)"
        return "\n".join([
            f"P({self.target} | evidence) with {self.level:.0%} credible intervals over {self.n_samples} parameter sets"
            f" (seed {self.seed})", frame_text(self.to_frame()), "", self.verdict, f"evidence: {ev}",
            f"model: {self.model.short}", DISCLAIMER])

    def _html_body(self) -> str:
        return (f"<div class='bmes-result'><p><b>P({html.escape(self.target)} | evidence), {self.level:.0%} credible "
                f"intervals over {self.n_samples} parameter sets</b></p>{_frame_html(self.to_frame())}"
                f"<p>{html.escape(self.verdict)}</p>{_evidence_html(self.evidence)}"
                f"{_footer_html(self.model)}</div>")

    def plot(self, ax: "Axes | None" = None) -> "Axes":
        """Point posterior with its credible interval for each state. Returns the Axes."""
        from .plotting import interval_plot

        return interval_plot(self.to_frame(), label=self.target, level=self.level, ax=ax,
                             title=f"P({self.target} | evidence): {self.level:.0%} intervals, {self.n_samples} draws")


def uncertainty(model: "BmesModel", evidence: Mapping[str, object] | None = None, *, target: str = "diagnosis",
                n_samples: int = 2000, level: float = 0.9, seed: None | int | np.random.Generator = None,
                threshold: float = 0.9, progress: bool | None = None) -> Uncertainty:
    """See :meth:`bmes_bayes.BmesModel.sensitivity`."""
    level = _checks.level(level)
    threshold = _checks.probability(threshold, "threshold", low_open=True)
    n_samples = sample_count(model, n_samples, target)
    point = model.posterior(evidence, target=target, checks=False)
    target = point.target
    keep = n_samples <= limits.KEEP_PARAMETERS_UP_TO
    out = posterior_draws(model, evidence, target=target, n_samples=n_samples, seed=seed, progress=progress,
                          keep_parameters=keep)
    samples, params = out if keep else (out, None)
    possible = possible_draws(samples, point.evidence, stacklevel=4)
    if not possible.all():
        samples = samples[possible]
        params = params[possible] if params is not None else None
    return Uncertainty(
        target=target, states=point.states, point=point.probabilities, samples=samples, level=level,
        threshold=threshold, seed=seed if isinstance(seed, int) else None, evidence=point.evidence,
        model=model.info, parameters=params,
        parameter_labels=parameter_columns(model.priors)[0] if keep else (),
        n_impossible=int((~possible).sum()),
    )


# ============================================================================================== shared helpers

Covariation = Literal["proportional", "uniform", "order_preserving"]
COVARIATIONS = ("proportional", "uniform", "order_preserving")


def _target_index(model: "BmesModel", target: str, target_state: str | None, ev, *,
                  required: bool = False) -> tuple[str, int, np.ndarray]:
    """The target's variable (``model.target_name``), the index of ``target_state`` and the point posterior.

    Where ``target_state`` is optional (``required=False``) None means the point model's most probable state, as
    the callers' docstrings say; where it is required, None is refused rather than guessed: which state to study
    (or tune) is the question itself, and the current top is seldom the one a user forgot to name.
    """
    target = model.target_name(target)
    states = model.network[target].states
    if target_state is None and required:
        raise ArgumentTypeError(f"target_state is required: one of the states of {target} "
                                        f"({', '.join(states)}), not None")
    ti = None if target_state is None else _checks.state(states, target_state, of=target, name="target_state")
    point = model.query(ev, target).posterior[0]
    return target, int(np.argmax(point)) if ti is None else ti, point


@dataclass(frozen=True)
class _Entry:
    """One clinical parameter as a scalar: a row entry (proportional co-variation of the rest) or an odds ratio."""

    index: int          # into spec.parameters
    entry: int | None   # state index for a row, None for an odds ratio
    label: str
    kind: str           # "probability", "base_rate" or "odds_ratio"
    node: str
    state: str


def _entries(model: "BmesModel", indices: Sequence[int]) -> list[_Entry]:
    out = []
    for i in indices:
        p = model.priors.parameters[i]
        if isinstance(p, OddsRatioPrior):
            out.append(_Entry(i, None, f"OR of {p.node}={p.target} for {p.parent}={p.parent_state}", "odds_ratio",
                              p.node, p.target))
            continue
        given = ", ".join(f"{q}={s}" for q, s in p.given)
        if len(p.states) == 2:
            ks = [p.focus if p.focus is not None else 1]
        else:
            ks = [int(k) for k in p.support]  # a structural zero is no parameter: it never moves
        for k in ks:
            if p.kind == "base_rate":
                label = f"base rate {p.node}={p.states[k]}" + (f" | {given}" if given else "")
            else:
                label = f"P({p.node}={p.states[k]}" + (f" | {given})" if given else ")")
            out.append(_Entry(i, k, label, "base_rate" if p.kind == "base_rate" else "probability", p.node,
                              p.states[k]))
    return out


def _row_with(row: np.ndarray, k: int, x: np.ndarray) -> np.ndarray:
    """Rows ``(len(x), K)``: entry k set to x, the others scaled proportionally (their ratios kept)."""
    x = np.asarray(x, dtype=float)
    rest = 1.0 - row[k]
    scale = (1.0 - x) / rest
    out = row[None, :] * scale[:, None]
    out[:, k] = x
    return out


def _entry_draws(model: "BmesModel", entries: Sequence[_Entry], values: np.ndarray) -> Draws:
    """A Draws with one parameter set per ``(entry, value)`` pair: the point model with that one value changed."""
    point = model.point_parameters
    n = len(entries)
    vals = [np.repeat(v, n, axis=0) for v in point.values]
    for row_i, (e, x) in enumerate(zip(entries, values)):
        if e.entry is None:
            vals[e.index][row_i] = x
        else:
            vals[e.index][row_i] = _row_with(point.values[e.index][0], e.entry, np.array([x]))[0]
    return Draws(model.priors, tuple(vals))


def _plausible_range(model: "BmesModel", e: _Entry, level: float) -> tuple[float, float]:
    """Marginal quantiles (1-level)/2 and (1+level)/2 of the parameter: Beta(a_k, a0 - a_k) or log-normal."""
    p = model.priors.parameters[e.index]
    q = np.array([(1 - level) / 2, (1 + level) / 2])
    if isinstance(p, OddsRatioPrior):
        lo, hi = np.exp(np.log(p.median) + p.log_sd * stats.norm.ppf(q))
    else:
        a = p.alpha
        lo, hi = stats.beta.ppf(q, a[e.entry], a.sum() - a[e.entry])
    return float(lo), float(hi)


def _entry_cdf(model: "BmesModel", e: _Entry, x: float) -> float:
    p = model.priors.parameters[e.index]
    if isinstance(p, OddsRatioPrior):
        if x <= 0:
            return 0.0
        return float(stats.norm.cdf((np.log(x) - np.log(p.median)) / p.log_sd)) if np.isfinite(x) else 1.0
    a = p.alpha
    return float(stats.beta.cdf(x, a[e.entry], a.sum() - a[e.entry]))


def _point_value(model: "BmesModel", e: _Entry) -> float:
    v = model.point_parameters.values[e.index][0]
    return float(v if e.entry is None else v[e.entry])


# ============================================================================================== one-way


@dataclass(frozen=True, eq=False)
class OneWay(ResultDisplay):
    """One-way sensitivity: the target posterior at both ends of each clinical parameter's plausible range.

    Each uncertain parameter that can move the posterior (see :func:`relevant_parameters`; the others have a swing
    of exactly 0 and are left out) is moved alone, the others kept at their point values: a row entry to the
    ``(1 - level)/2`` and ``(1 + level)/2`` quantiles of its Beta marginal (the rest of its row co-varied
    proportionally), an odds ratio to the same quantiles of its log-normal. Sorted by swing (a tornado).

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per parameter (see :meth:`to_frame`).
    """

    target: str
    target_state: str
    point: float
    point_top: str
    level: float
    frame: pd.DataFrame
    evidence: dict[str, object]
    model: ModelInfo

    def to_frame(self) -> pd.DataFrame:
        """Columns ``parameter, kind, node, state, low_value, point_value, high_value, p_low, p_point, p_high,
        swing, top_low, top_high``; largest swing first."""
        return self.frame.copy()

    @property
    def flips(self) -> pd.DataFrame:
        """The parameters at whose range end the top state changes."""
        f = self.frame
        return f[(f["top_low"] != self.point_top) | (f["top_high"] != self.point_top)].reset_index(drop=True)

    @property
    def verdict(self) -> str:
        n = len(self.frame)
        flips = self.flips
        head = (f"P({self.target_state} | evidence) = {self.point:.2f}; moving each of {n} parameters alone across "
                f"its {self.level:.0%} range")
        if len(flips) == 0:
            return f"{head}, {self.point_top} stays first at every range end."
        shown = ", ".join(flips["parameter"].head(3))
        return (f"{head}, {self.point_top} is no longer first at an end of {len(flips)} parameter range(s): "
                f"{shown}" + (f" and {len(flips) - 3} more." if len(flips) > 3 else "."))

    def __repr__(self) -> str:
        top = self.frame.iloc[0] if len(self.frame) else None
        widest = f"; widest = {top['parameter']} ({top['p_low']:.2f}-{top['p_high']:.2f})" if top is not None else ""
        return (f"<OneWay of P({self.target}={self.target_state}) = {self.point:.3f}: {len(self.frame)} parameters at "
                f"their {self.level:.0%} range ends{widest}; {len(self.flips)} flip the top>")

    def _html_body(self) -> str:
        frame = self.frame.head(25)
        return (f"<div class='bmes-result'><p><b>One-way sensitivity of P({html.escape(self.target)}="
                f"{html.escape(self.target_state)} | evidence), {self.level:.0%} ranges (top 25 by swing)</b></p>"
                f"{_frame_html(frame)}<p>{html.escape(self.verdict)}</p>{_evidence_html(self.evidence)}"
                f"{_footer_html(self.model)}</div>")

    def plot(self, ax: "Axes | None" = None, *, n: int = 15) -> "Axes":
        """Tornado: a bar per parameter from the posterior at the low end to the high end, widest on top.

        Returns the Axes."""
        from .plotting import tornado_plot

        return tornado_plot(self.frame.head(_checks.count(n, "n")), point=self.point, ax=ax,
                            title=f"P({self.target_state} | evidence): one-way, {self.level:.0%} ranges")


def one_way(model: "BmesModel", evidence: Mapping[str, object] | None = None, *, target_state: str | None = None,
            target: str = "diagnosis", level: float = 0.95) -> OneWay:
    """See :meth:`bmes_bayes.BmesModel.one_way`."""
    level = _checks.level(level)
    ev = model.resolve(evidence)
    target, ti, point = _target_index(model, target, target_state, ev)
    indices = relevant_parameters(model, ev, target)
    entries = _entries(model, indices)
    ranges = np.array([_plausible_range(model, e, level) for e in entries]).reshape(-1, 2)
    both = [e for e in entries for _ in (0, 1)]
    if entries:
        post = model.query(ev, target, DrawnTables(model.priors, model.network,
                                                   _entry_draws(model, both, ranges.ravel()))).posterior
    else:
        post = np.empty((0, len(point)))
    p = post[:, ti].reshape(-1, 2)
    tops = post.argmax(axis=1).reshape(-1, 2)
    states = model.network[target].states
    frame = pd.DataFrame({
        "parameter": [e.label for e in entries], "kind": [e.kind for e in entries],
        "node": [e.node for e in entries], "state": [e.state for e in entries],
        "low_value": ranges[:, 0], "point_value": [_point_value(model, e) for e in entries],
        "high_value": ranges[:, 1], "p_low": p[:, 0], "p_point": point[ti], "p_high": p[:, 1],
        "swing": np.abs(p[:, 1] - p[:, 0]),
        "top_low": [states[i] for i in tops[:, 0]], "top_high": [states[i] for i in tops[:, 1]],
    })
    frame = frame.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
    return OneWay(target=target, target_state=states[ti], point=float(point[ti]),
                  point_top=states[int(np.argmax(point))], level=level, frame=frame, evidence=ev.as_dict(),
                  model=model.info)


# ============================================================================================== raw CPT entries


def covary(row: np.ndarray, k: int, x: np.ndarray | float, scheme: Covariation = "proportional") -> np.ndarray:
    """CPT rows with entry ``k`` set to each value of ``x`` and the other entries co-varied: ``(len(x), K)``.

    proportional: the others scaled by ``(1 - x) / (1 - x0)`` (Laskey 1995); uniform: each ``(1 - x) / (K - 1)``;
    order_preserving: Renooij (2014), as bnmonitor's ``orderp_covar``: the entries below ``x0`` in the row's order
    shrink with ``x`` towards 0, those above are pulled towards ``x_T = 1 / (1 + K - s)`` (``s`` the rank of entry k),
    so the order of the row is kept for every admissible ``x``.

    References
    ----------
    Laskey (1995), IEEE Trans. SMC 25(6):901-909; Renooij (2014), IJAR 55(4):1022-1042; bnmonitor R/covariation.R.
    """
    scheme = _checks.choice(scheme, "covariation", COVARIATIONS)
    row = np.asarray(row, dtype=float)
    x = np.atleast_1d(np.asarray(x, dtype=float))
    n, x0 = len(row), float(row[k])
    if scheme == "proportional":
        if x0 >= 1.0:
            raise ArgumentError("proportional co-variation cannot move an entry of 1 (the rest of its row is 0); "
                            "use covariation='uniform'")
        out = row[None, :] * ((1.0 - x) / (1.0 - x0))[:, None]
    elif scheme == "uniform":
        out = np.repeat(((1.0 - x) / (n - 1))[:, None], n, axis=1)
    elif scheme == "order_preserving":
        rank = np.empty(n, dtype=int)
        rank[np.argsort(row, kind="stable")] = np.arange(1, n + 1)
        s = rank[k]
        if s == n:
            raise ArgumentError("order-preserving co-variation cannot move the largest entry of a row (Renooij 2014)")
        x_t = 1.0 / (1 + n - s)
        m_t = float(row[rank > s].sum())
        below = x[:, None] <= x0
        lower = rank < s
        out = np.empty((len(x), n))
        with np.errstate(divide="ignore", invalid="ignore"):
            shrink = np.where(x0 > 0, x / x0, 1.0)[:, None]
            out[:, lower] = np.where(below, row[lower] * shrink, row[lower] / (x_t - x0) * (x_t - x)[:, None])
            up = rank > s
            out[:, up] = np.where(below, row[up] / m_t - row[up] * (1 - m_t) / m_t * shrink,
                                  (row[up] - x_t) / (x_t - x0) * (x_t - x)[:, None] + x_t)
    out[:, k] = x
    return out


def admissible_range(row: np.ndarray, k: int, scheme: Covariation = "proportional") -> tuple[float, float]:
    """Values entry ``k`` may take under ``scheme``: [0, 1], or [0, 1/(1+K-s)] for order-preserving (Renooij 2014)."""
    if _checks.choice(scheme, "covariation", COVARIATIONS) == "order_preserving":
        n = len(row)
        rank = np.empty(n, dtype=int)
        rank[np.argsort(row, kind="stable")] = np.arange(1, n + 1)
        if rank[k] == n:
            raise ArgumentError("order-preserving co-variation cannot move the largest entry of a row (Renooij 2014)")
        return 0.0, 1.0 / (1 + n - rank[k])
    return 0.0, 1.0


def _row_index(model: "BmesModel", node: str, parent_states: Mapping[str, str] | None) -> tuple[int, ...]:
    net = model.network
    node = _checks.variable(net, node, "node")
    parents = net[node].parents
    example = "{" + ", ".join(f"{q!r}: {net[q].states[0]!r}" for q in parents[:2]) + "}"
    given = dict(_checks.mapping(parent_states, "parent_states", example) if parent_states is not None else {})
    problems = []
    for q in given:
        if q not in parents:
            problems.append(f"{shown(q)} is not a parent of {node} (parents: {', '.join(parents) or 'none'})")
    missing = [q for q in parents if q not in given]
    if missing:
        problems.append(f"parent_states must give every parent of {node}, such as {example}; missing "
                        f"{', '.join(missing)}")
    idx = []
    for q in parents:
        if q in given:
            if not isinstance(given[q], str) or given[q] not in net[q].states:
                problems.append(unknown_name_message("state", given[q], net[q].states, where=f" of {q}"))
            else:
                idx.append(net[q].states.index(given[q]))
    if problems:
        raise EvidenceError(listing(problems, sep="; "))
    return tuple(idx)


@dataclass(frozen=True)
class _Piece:
    lo: float
    hi: float
    num: np.ndarray     # (K_target, 2): c1, c2 of P(y, e) for every target state
    den: np.ndarray     # (2,): c3, c4 of P(e)


def _coefficients(model: "BmesModel", ev, target: str, node: str, cands: Sequence[tuple[tuple[int, ...], int]],
                  scheme: Covariation) -> tuple[list[list[_Piece]], np.ndarray]:
    """Exact sensitivity-function coefficients of many entries of one node's CPT, in one batched engine call.

    P(y, e) and P(e) are linear in the varied entry (on each piece of a piecewise-linear co-variation), so two
    evaluations per piece give them exactly; every coefficient is divided by P(e) of the unchanged model.
    Returns, per candidate, its pieces, and log P(e) of the unchanged model.
    """
    base = model.tables.tables[node]
    rows, points, owner = [], [], []
    plan = []
    for ci, (r, k) in enumerate(cands):
        row = base[(0, *r)]
        lo, hi = admissible_range(row, k, scheme)
        x0 = float(row[k])
        bounds = [(lo, x0), (x0, hi)] if scheme == "order_preserving" else [(lo, hi)]
        pieces = [(a, b) for a, b in bounds if b > a]
        plan.append(pieces)
        for a, b in pieces:
            xs = np.array([a + 0.25 * (b - a), a + 0.75 * (b - a)])
            for xr in covary(row, k, xs, scheme):
                rows.append((r, xr))
                owner.append(ci)
            points.append(xs)
    m = 1 + len(rows)
    table = np.repeat(base, m, axis=0)
    for j, (r, xr) in enumerate(rows, start=1):
        table[(j, *r)] = xr
    res = model.query(ev, target, model.tables.with_table(node, table))
    scale = np.exp(res.log_evidence - res.log_evidence[0])
    num = res.posterior * scale[:, None]
    out: list[list[_Piece]] = []
    j, p = 1, 0
    for pieces in plan:
        mine = []
        for a, b in pieces:
            xa, xb = points[p]
            p += 1
            na, nb, da, db = num[j], num[j + 1], scale[j], scale[j + 1]
            j += 2
            c1 = (nb - na) / (xb - xa)
            c3 = (db - da) / (xb - xa)
            mine.append(_Piece(a, b, np.stack([c1, na - c1 * xa], axis=1), np.array([c3, da - c3 * xa])))
        out.append(mine)
    return out, res.log_evidence[:1]


@dataclass(frozen=True, eq=False)
class SensitivityFunction(ResultDisplay):
    """The exact one-way sensitivity function of a target posterior to one CPT entry ``x = P(node=state | parents)``.

    ``f(x) = (c1 x + c2) / (c3 x + c4)`` on each piece (one piece for proportional and uniform co-variation, two,
    split at ``x0``, for order-preserving, whose co-variation is piecewise linear). The coefficients are P(y, e) and
    P(e) as functions of x divided by P(e) of the unchanged model, so ``c3 x0 + c4 = 1`` under proportional
    co-variation; multiply by ``exp(log_evidence)`` for absolute probabilities.

    Attributes
    ----------
    x0 : float
        The entry's current value. Under uniform co-variation ``f(x0)`` is the posterior after the rest of the row
        has been made uniform, not the current posterior.
    pieces : tuple of (x_low, x_high, c1, c2, c3, c4)
    """

    target: str
    target_state: str
    node: str
    parent_states: dict[str, str]
    state: str
    covariation: str
    x0: float
    pieces: tuple[tuple[float, float, float, float, float, float], ...]
    log_evidence: float
    evidence: dict[str, object]
    model: ModelInfo

    # -- the function --------------------------------------------------------------------------------
    def _piece(self, x: float) -> tuple[float, float, float, float, float, float]:
        for pc in self.pieces:
            if pc[0] <= x <= pc[1] and (x < pc[1] or pc is self.pieces[-1]):
                return pc
        raise ArgumentError(f"x = {x} is outside the admissible range [{self.admissible[0]}, {self.admissible[1]}]")

    @property
    def coefficients(self) -> tuple[float, float, float, float]:
        """(c1, c2, c3, c4) of the piece at x0 (for order-preserving: the piece to the right of x0)."""
        return self._piece(self.x0)[2:]

    c1 = property(lambda self: self.coefficients[0])
    c2 = property(lambda self: self.coefficients[1])
    c3 = property(lambda self: self.coefficients[2])
    c4 = property(lambda self: self.coefficients[3])

    @property
    def admissible(self) -> tuple[float, float]:
        """The values x may take under the co-variation scheme."""
        return self.pieces[0][0], self.pieces[-1][1]

    def __call__(self, x: float | np.ndarray) -> np.ndarray:
        """f(x), exactly (vectorised)."""
        xs = np.atleast_1d(np.asarray(x, dtype=float))
        out = np.empty_like(xs)
        for i, xi in enumerate(xs):
            _, _, c1, c2, c3, c4 = self._piece(float(xi))
            out[i] = (c1 * xi + c2) / (c3 * xi + c4)
        return out if np.ndim(x) else out[0]

    def derivative(self, x: float | None = None) -> float:
        """f'(x) = (c1 c4 - c2 c3) / (c3 x + c4)^2 (at x0 by default)."""
        x = self.x0 if x is None else x
        _, _, c1, c2, c3, c4 = self._piece(x)
        return (c1 * c4 - c2 * c3) / (c3 * x + c4) ** 2

    def second_derivative(self, x: float | None = None) -> float:
        """f''(x) = -2 c3 (c1 c4 - c2 c3) / (c3 x + c4)^3 (at x0 by default)."""
        x = self.x0 if x is None else x
        _, _, c1, c2, c3, c4 = self._piece(x)
        return -2 * c3 * (c1 * c4 - c2 * c3) / (c3 * x + c4) ** 3

    @property
    def value(self) -> float:
        """f(x0)."""
        return float(self(self.x0))

    @property
    def sensitivity_value(self) -> float:
        """``|f'(x0)|``: how fast the posterior moves with the entry (Coupé & van der Gaag 2002)."""
        return abs(self.derivative())

    @property
    def vertex(self) -> float | None:
        """Where the hyperbola bends most: ``s +/- sqrt(|r|)`` on the admissible side of the asymptote ``s``
        (van der Gaag, Renooij & Coupé 2007); None when f is linear (c3 = 0)."""
        _, _, c1, c2, c3, c4 = self._piece(self.x0)
        if abs(c3) <= 1e-14 * max(abs(c4), 1e-300):
            return None
        s = -c4 / c3
        t = c1 / c3
        r = c2 / c3 + s * t
        lo, _ = self.admissible
        return float(s + np.sqrt(abs(r)) if s < lo else s - np.sqrt(abs(r)))

    # -- display ----------------------------------------------------------------------------------------
    @property
    def parameter(self) -> str:
        given = ", ".join(f"{k}={v}" for k, v in self.parent_states.items())
        return f"P({self.node}={self.state}" + (f" | {given})" if given else ")")

    def to_frame(self) -> pd.DataFrame:
        """One row per piece: ``parameter, covariation, x0, x_low, x_high, c1, c2, c3, c4``."""
        return pd.DataFrame({
            "parameter": self.parameter, "covariation": self.covariation, "x0": self.x0,
            "x_low": [p[0] for p in self.pieces], "x_high": [p[1] for p in self.pieces],
            "c1": [p[2] for p in self.pieces], "c2": [p[3] for p in self.pieces],
            "c3": [p[4] for p in self.pieces], "c4": [p[5] for p in self.pieces],
        })

    def curve(self, n: int = 201) -> pd.DataFrame:
        """f on a grid of ``n`` points (2 to ``bmes_bayes.limits.MAX_CURVE_POINTS``) over the admissible range:
        columns ``x, probability``."""
        n = _checks.count(n, "n", minimum=2, maximum=limits.MAX_CURVE_POINTS)
        lo, hi = self.admissible
        xs = np.linspace(lo, hi, n)
        return pd.DataFrame({"x": xs, "probability": self(xs)})

    def __repr__(self) -> str:
        v = self.vertex
        return (f"<SensitivityFunction of P({self.target}={self.target_state}) to {self.parameter} "
                f"({self.covariation}): x0 = {self.x0:.4g}, f(x0) = {self.value:.3f}, |f'(x0)| = "
                f"{self.sensitivity_value:.3g}, vertex = {'none (linear)' if v is None else f'{v:.3g}'}>")

    def _html_body(self) -> str:
        return (f"<div class='bmes-result'><p><b>P({html.escape(self.target)}={html.escape(self.target_state)} | "
                f"evidence) as a function of {html.escape(self.parameter)}</b></p>{_frame_html(self.to_frame(), '{:.6g}')}"
                f"<p>{html.escape(repr(self))}</p>{_evidence_html(self.evidence)}"
                f"{_footer_html(self.model)}</div>")

    def plot(self, ax: "Axes | None" = None) -> "Axes":
        """f over the admissible range with x0 marked. Returns the Axes."""
        from .plotting import function_plot

        return function_plot(self.curve(), x0=self.x0, y0=self.value, xlabel=self.parameter,
                             ylabel=f"P({self.target_state} | evidence)", ax=ax,
                             title=f"sensitivity function ({self.covariation} co-variation)")


def sensitivity_function(model: "BmesModel", evidence: Mapping[str, object] | None, node: str,
                         parent_states: Mapping[str, str] | None, state: str, *, target_state: str,
                         target: str = "diagnosis", covariation: Covariation = "proportional") -> SensitivityFunction:
    """See :meth:`bmes_bayes.BmesModel.sensitivity_function`."""
    covariation = _checks.choice(covariation, "covariation", COVARIATIONS)
    ev = model.resolve(evidence)
    r = _row_index(model, node, parent_states)
    k = _checks.state(model.network[node].states, state, of=node)
    target, ti, _ = _target_index(model, target, target_state, ev, required=True)
    (pieces,), log_e = _coefficients(model, ev, target, node, [(r, k)], covariation)
    x0 = float(model.tables.tables[node][(0, *r, k)])
    return SensitivityFunction(
        target=target, target_state=model.network[target].states[ti], node=node,
        parent_states={q: model.network[q].states[i] for q, i in zip(model.network[node].parents, r)}, state=state,
        covariation=covariation, x0=x0,
        pieces=tuple((p.lo, p.hi, *map(float, p.num[ti]), *map(float, p.den)) for p in pieces),
        log_evidence=float(log_e[0]), evidence=ev.as_dict(), model=model.info)


# ============================================================================================== where the answer flips

_EPS = 1e-9          # row entries are searched within [_EPS, 1 - _EPS]
_OR_SPAN = 1e4       # odds ratios within [median / 1e4, median * 1e4]
_GRID = 12           # scan points per side before bisection
_BISECT = 40         # bisection steps: the crossing to ~1e-12 on the search scale


def _to_scale(e: _Entry, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    return np.log(x) if e.entry is None else np.log(x) - np.log1p(-x)


def _from_scale(e: _Entry, t: np.ndarray) -> np.ndarray:
    t = np.asarray(t, dtype=float)
    return np.exp(t) if e.entry is None else 1.0 / (1.0 + np.exp(-t))


def _domain(model: "BmesModel", e: _Entry) -> tuple[float, float]:
    if e.entry is None:
        med = model.priors.parameters[e.index].median
        return float(np.log(med / _OR_SPAN)), float(np.log(med * _OR_SPAN))
    return float(_to_scale(e, _EPS)), float(_to_scale(e, 1 - _EPS))


@dataclass(frozen=True, eq=False)
class AdmissibleDeviation(ResultDisplay):
    """How far each parameter can move, alone, before the most probable state changes (van der Gaag & Renooij 2001).

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per parameter, see :meth:`to_frame`. ``lower``/``upper`` are the values where the top state changes;
        when it does not change down to the end of the searched range, the bound is that end and
        ``flips_below``/``flips_above`` is False.
    """

    target: str
    top: str
    point: float
    scope: str
    frame: pd.DataFrame
    evidence: dict[str, object]
    model: ModelInfo

    def to_frame(self) -> pd.DataFrame:
        """Columns ``parameter, kind, node, state, value, lower, upper, flips_below, flips_above, top_below,
        top_above, p_inside``; most fragile first (smallest prior probability of staying inside, then the
        nearest flip)."""
        return self.frame.copy()

    @property
    def fragile(self) -> pd.DataFrame:
        """Parameters for which some value within the searched range changes the top state."""
        f = self.frame
        return f[f["flips_below"] | f["flips_above"]].reset_index(drop=True)

    @property
    def verdict(self) -> str:
        f = self.fragile
        head = f"{self.top} is first (P = {self.point:.2f})"
        if len(f) == 0:
            return f"{head} whatever value any single {self.scope} takes within its searched range."
        row = f.iloc[0]
        inside = "" if not np.isfinite(row["p_inside"]) else f" (prior probability of staying inside {row['p_inside']:.0%})"
        return (f"{head}; {len(f)} of {len(self.frame)} {self.scope}s can change that alone.".replace("entrys", "entries")
                + f" The most fragile: "
                f"{row['parameter']} = {row['value']:.3g} stays admissible within [{row['lower']:.3g}, "
                f"{row['upper']:.3g}]{inside}.")

    def __repr__(self) -> str:
        return (f"<AdmissibleDeviation of the top {self.target} ({self.top}): {len(self.frame)} {self.scope}s, "
                f"{len(self.fragile)} can flip it alone>").replace("entrys", "entries")

    def _html_body(self) -> str:
        return (f"<div class='bmes-result'><p><b>Admissible deviation of each {html.escape(self.scope)} "
                f"(top {html.escape(self.target)}: {html.escape(self.top)})</b></p>{_frame_html(self.frame.head(25), '{:.4g}')}"
                f"<p>{html.escape(self.verdict)}</p>{_evidence_html(self.evidence)}"
                f"{_footer_html(self.model)}</div>")

    def plot(self, ax: "Axes | None" = None, *, n: int = 15) -> "Axes":
        """Each parameter's admissible interval relative to its value (log scale), most fragile on top."""
        from .plotting import admissible_plot

        return admissible_plot(self.frame.head(_checks.count(n, "n")), ax=ax, title=f"where {self.top} stops being first")


TIE = 1e-12  # states whose probabilities differ by at most this share of the largest are tied


def first_top(post: np.ndarray) -> np.ndarray:
    """Per row of ``post`` (``(S, K)``), the most probable state, ties going to the first in the variable's order:
    a state within :data:`TIE` (relative) of the row's largest probability counts as tied with it. Unlike
    ``argmax``, the answer does not depend on the rounding of exactly tied probabilities."""
    post = np.atleast_2d(post)
    return np.argmax(post >= post.max(axis=1, keepdims=True) * (1 - TIE), axis=1)


def _clinical_deviation(model: "BmesModel", ev, target: str) -> tuple[pd.DataFrame, int, float]:
    states = model.network[target].states
    point = model.query(ev, target).posterior[0]
    top = int(first_top(point)[0])
    entries = _entries(model, relevant_parameters(model, ev, target))

    def evaluate(es: Sequence[_Entry], ts: np.ndarray) -> np.ndarray:
        if not len(es):
            return np.empty(0, dtype=int)
        xs = np.array([_from_scale(e, t) for e, t in zip(es, ts)])
        res = model.query(ev, target, DrawnTables(model.priors, model.network, _entry_draws(model, es, xs)))
        return first_top(res.posterior)

    t0 = np.array([_to_scale(e, _point_value(model, e)) for e in entries])
    ends = np.array([_domain(model, e) for e in entries]).reshape(-1, 2)
    result = {}
    for side, end in (("below", ends[:, 0]), ("above", ends[:, 1])):
        frac = np.arange(1, _GRID + 1) / _GRID
        grid = t0[:, None] + (end - t0)[:, None] * frac[None, :]
        tops = evaluate([e for e in entries for _ in frac], grid.ravel()).reshape(len(entries), _GRID)
        changed = tops != top
        first = np.where(changed.any(axis=1), changed.argmax(axis=1), -1)
        flips = first >= 0
        lo = np.where(first > 0, grid[np.arange(len(entries)), np.maximum(first - 1, 0)], t0)  # still top
        hi = np.where(flips, grid[np.arange(len(entries)), np.maximum(first, 0)], end)           # not top
        new_top = np.where(flips, tops[np.arange(len(entries)), np.maximum(first, 0)], top)
        idx = np.flatnonzero(flips)
        for _ in range(_BISECT if len(idx) else 0):
            mid = (lo[idx] + hi[idx]) / 2
            got = evaluate([entries[i] for i in idx], mid)
            same = got == top
            lo[idx[same]] = mid[same]
            hi[idx[~same]] = mid[~same]
            new_top[idx[~same]] = got[~same]
        bound = np.where(flips, (lo + hi) / 2, end)
        result[side] = (np.array([_from_scale(e, b) for e, b in zip(entries, bound)]), flips, new_top)
    lower, below, top_b = result["below"]
    upper, above, top_a = result["above"]
    value = np.array([_point_value(model, e) for e in entries])
    p_inside = np.array([_entry_cdf(model, e, u) - _entry_cdf(model, e, lw) for e, lw, u in zip(entries, lower, upper)])
    frame = pd.DataFrame({
        "parameter": [e.label for e in entries], "kind": [e.kind for e in entries], "node": [e.node for e in entries],
        "state": [e.state for e in entries], "value": value, "lower": lower, "upper": upper,
        "flips_below": below, "flips_above": above,
        "top_below": [states[i] if f else "" for i, f in zip(top_b, below)],
        "top_above": [states[i] if f else "" for i, f in zip(top_a, above)], "p_inside": p_inside,
    })
    return frame, top, float(point[top])


def _raw_candidates(model: "BmesModel", ev, node: str) -> list[tuple[tuple[int, ...], int]]:
    """Every entry of every row of ``node``'s CPT whose parent states the evidence allows."""
    net = model.network
    parents = net[node].parents
    ranges = [[ev.hard[q]] if q in ev.hard else range(net[q].card) for q in parents]
    rows = list(product(*ranges))
    return [(r, k) for r in rows for k in range(net[node].card)]


def _raw_deviation(model: "BmesModel", ev, target: str, node: str) -> tuple[pd.DataFrame, int, float]:
    net = model.network
    states = net[target].states
    point = model.query(ev, target).posterior[0]
    top = int(first_top(point)[0])
    cands = _raw_candidates(model, ev, node)
    if len(cands) > limits.MAX_RAW_ENTRIES:
        raise TooLargeError(f"{node} has {len(cands):,} CPT entries compatible with the evidence (more than "
                            f"bmes_bayes.limits.MAX_RAW_ENTRIES = {limits.MAX_RAW_ENTRIES:,}); observe some of its "
                            f"parents ({', '.join(net[node].parents)}) to narrow the rows")
    pieces, _ = _coefficients(model, ev, target, node, cands, "proportional")
    recs = []
    for (r, k), (pc,) in zip(cands, pieces):
        x0 = float(model.tables.tables[node][(0, *r, k)])
        c1, c2 = pc.num[:, 0], pc.num[:, 1]
        slope = c1 - c1[top]
        icpt = c2 - c2[top]
        here = abs(c1[top] * x0 + c2[top])   # the top's numerator at x0: the scale of a tie
        above, below = [], []                # (crossing, -|slope|, j): the nearest crossing, then the steepest
        for j in range(len(states)):
            if j == top or abs(slope[j]) <= TIE * max(abs(c1[top]), abs(c1[j]), here):
                continue                     # parallel: a state behind stays behind, a tied one stays tied
            gap = slope[j] * x0 + icpt[j]    # j's numerator minus the top's at x0
            xj = x0 if abs(gap) <= TIE * here else -icpt[j] / slope[j]   # tied at x0: it takes over right there
            if slope[j] > 0 and x0 <= xj < 1.0:      # j overtakes the top above xj
                above.append((xj, -abs(slope[j]), j))
            elif slope[j] < 0 and 0.0 < xj <= x0:    # j overtakes the top below xj
                below.append((-xj, -abs(slope[j]), j))
        upper, ta = (min(above)[0], min(above)[2]) if above else (1.0, -1)
        lower, tb = (-min(below)[0], min(below)[2]) if below else (0.0, -1)
        given = ", ".join(f"{q}={net[q].states[i]}" for q, i in zip(net[node].parents, r))
        recs.append({
            "parameter": f"P({node}={net[node].states[k]}" + (f" | {given})" if given else ")"), "kind": "cpt_entry",
            "node": node, "state": net[node].states[k], "value": x0, "lower": lower, "upper": upper,
            "flips_below": tb >= 0, "flips_above": ta >= 0, "top_below": states[tb] if tb >= 0 else "",
            "top_above": states[ta] if ta >= 0 else "", "p_inside": np.nan,
        })
    return pd.DataFrame(recs), top, float(point[top])


def admissible_deviation(model: "BmesModel", evidence: Mapping[str, object] | None = None, *,
                         target: str = "diagnosis", node: str | None = None) -> AdmissibleDeviation:
    """See :meth:`bmes_bayes.BmesModel.admissible_deviation`."""
    ev = model.resolve(evidence)
    target = model.target_name(target)
    if node is None:
        frame, top, p = _clinical_deviation(model, ev, target)
        scope = "clinical parameter"
    else:
        frame, top, p = _raw_deviation(model, ev, target, _checks.variable(model.network, node, "node"))
        scope = "CPT entry"
    if len(frame):
        margin = np.minimum(np.where(frame["flips_below"], frame["value"] - frame["lower"], np.inf),
                            np.where(frame["flips_above"], frame["upper"] - frame["value"], np.inf))
        frame = (frame.assign(_m=margin, _p=frame["p_inside"].fillna(1.0))
                 .sort_values(["_p", "_m"], kind="stable").drop(columns=["_m", "_p"]).reset_index(drop=True))
    return AdmissibleDeviation(target=target, top=model.network[target].states[top], point=p, scope=scope,
                               frame=frame, evidence=ev.as_dict(), model=model.info)


# ============================================================================================== tuning


@dataclass(frozen=True, eq=False)
class Tuning(ResultDisplay):
    """Single-parameter changes that make P(target = target_state | evidence) reach ``at_least``.

    Two kinds of candidates, in one table ranked by the Chan-Darwiche distance between the point model and the
    changed model (smallest first, as SamIam and bnmonitor's ``sensquery`` rank them):

    - every uncertain clinical parameter that can move the posterior (the set :func:`one_way` uses: base rates,
      odds ratios, finding frequencies, risk-factor prevalences; a row entry moved with proportional co-variation of
      the rest of its row), searched over its whole admissible domain: probabilities in (0, 1), odds ratios within
      the validator's bounds [1e-6, 1e6]. Its ``x*`` is found numerically: a grid over the whole domain (logit scale
      for probabilities, log scale for odds ratios), one batched exact query for every parameter, brackets the sign
      change of ``P - at_least`` nearest to the current value (a monotone bracket: the constraint fails at one end
      and holds at the other), then batched bisection narrows it to 1e-10 on that scale and the end where the
      constraint holds is reported. Each comes with its plausible ``level`` range (the quantiles :func:`one_way`
      uses) and whether the new value lies inside it: a change inside that range is one the stated uncertainty of
      the priors already allows.
    - raw CPT entries (``kind == "cpt_entry"``) of the target's own row, when the evidence selects one, and of the
      observed children of the target, moved with proportional co-variation to ``x* = (p c4 - c2) / (c1 - p c3)``
      from their exact sensitivity function; an entry that is itself a clinical parameter (an uncertain
      table row) is listed once, as that parameter.

    The Chan-Darwiche distance is exact. For a clinical parameter it is computed from its definition: a change
    confined to one node's CPT T gives ``P'(w)/P(w) = T'(x|u)/T(x|u)``, so ``D = ln max T'/T - ln min T'/T`` over the
    entries of the node's full point and changed CPTs (both compiled) with ``T > 0`` and ``P(u) > 0`` (a parent
    configuration of probability zero, such as a pregnant man, carries no world). For a raw entry under
    proportional co-variation it is the closed form ``|ln O'(x|u) - ln O(x|u)|`` (Chan & Darwiche 2002).

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per candidate, see :meth:`to_frame`.
    searched : tuple of str
        The nodes whose raw CPT entries were searched.
    n_parameters : int
        How many clinical parameters were searched.
    level : float
        Prior mass of the plausible range of each clinical parameter.
    """

    target: str
    target_state: str
    at_least: float
    current: float
    frame: pd.DataFrame
    searched: tuple[str, ...]
    notes: tuple[str, ...]
    evidence: dict[str, object]
    model: ModelInfo
    n_parameters: int = 0
    level: float = 0.95

    def to_frame(self) -> pd.DataFrame:
        """Columns ``parameter, node, parent_states, state, x0, x_new, change, cd_distance, p_before, p_after,
        kind, id, plausible_low, plausible_high, plausible, prior_tail``; the smallest distance first.

        ``kind`` is ``cpt_entry`` for a raw CPT entry, else the clinical parameter's kind (``probability``,
        ``base_rate``, ``odds_ratio``); ``id`` the parameter's id in ``priors/`` (empty for a raw entry of a
        log-linear CPT). For clinical parameters, ``plausible_low``/``plausible_high`` are the quantiles
        ``(1 -/+ level)/2`` of the parameter's prior marginal, ``plausible`` whether ``x_new`` lies inside, and
        ``prior_tail`` the prior probability of a value at least as far out as ``x_new`` in the direction of the
        change; missing for raw entries."""
        return self.frame.copy()

    @property
    def plausible(self) -> pd.DataFrame:
        """The candidates whose new value lies within its parameter's plausible range."""
        return self.frame[self.frame["plausible"].fillna(False).astype(bool)].reset_index(drop=True)

    def describe(self, i: int = 0) -> str:
        """Candidate ``i`` (in the frame's order) in words."""
        return _tuning_sentence(self.frame.iloc[i], self.target, self.target_state, self.at_least)

    @property
    def verdict(self) -> str:
        head = f"P({self.target_state} | evidence) = {self.current:.3f}; wanted at least {self.at_least:.3f}"
        if self.current >= self.at_least:
            return f"{head}: already satisfied, nothing to change."
        if len(self.frame) == 0:
            raw = f" nor any CPT entry of {', '.join(self.searched)}" if self.searched else ""
            return (f"{head}: no single clinical parameter (of {self.n_parameters} searched over their whole "
                    f"domain){raw} can reach it.")
        f = self.frame
        clinical = f["kind"] != "cpt_entry"
        ok = f["plausible"].fillna(False).astype(bool)
        text = (f"{head}: {len(f)} single changes reach it ({int(clinical.sum())} of a clinical parameter, "
                f"{int(ok.sum())} within the parameter's plausible {self.level:.0%} range). Smallest: "
                f"{self.describe(0)}.")
        if clinical.any() and not ok.iloc[0]:
            if ok.any():
                text += f" Smallest within a plausible range: {self.describe(int(np.flatnonzero(ok)[0]))}."
            else:
                text += (" No clinical parameter reaches it within its plausible range: the priors' stated "
                         "uncertainty does not allow it, one parameter at a time.")
        return text

    def __repr__(self) -> str:
        if len(self.frame) == 0:
            what = "already satisfied" if self.current >= self.at_least else "no single change reaches it"
            return (f"<Tuning P({self.target}={self.target_state}) >= {self.at_least:.3f} (now {self.current:.3f}): "
                    f"{what}>")
        f = self.frame
        n_raw = int((f["kind"] == "cpt_entry").sum())
        n_ok = int(f["plausible"].fillna(False).astype(bool).sum())
        return (f"<Tuning P({self.target}={self.target_state}) >= {self.at_least:.3f} (now {self.current:.3f}): "
                f"{len(f)} single changes ({len(f) - n_raw} clinical parameters, {n_ok} plausible; {n_raw} CPT "
                f"entries); smallest: {self.describe(0)}>")

    def _html_body(self) -> str:
        notes = "".join(f"<p>{html.escape(n)}</p>" for n in self.notes)
        return (f"<div class='bmes-result'><p><b>Tuning P({html.escape(self.target)}={html.escape(self.target_state)}"
                f" | evidence) &ge; {self.at_least:.3f}</b></p>{_frame_html(self.frame.head(25), '{:.4g}')}"
                f"<p>{html.escape(self.verdict)}</p>{notes}{_evidence_html(self.evidence)}"
                f"{_footer_html(self.model)}</div>")

    def plot(self, ax: "Axes | None" = None, *, n: int = 15) -> "Axes":
        """The candidate changes as arrows from x0 to x*, smallest CD distance on top, with the plausible range of
        each clinical parameter behind its arrow (log axis when odds ratios are among them). Returns the Axes."""
        from .plotting import tuning_plot

        return tuning_plot(self.frame.head(_checks.count(n, "n")), ax=ax,
                           title=f"P({self.target_state} | evidence) >= {self.at_least:.2f}: single changes")


def _fmt(x: float) -> str:
    return f"{x:.3g}"


def _tuning_sentence(r: pd.Series, target: str, target_state: str, at_least: float) -> str:
    """'traumatic_fracture reaches 0.50 if the odds ratio of ... were 212 instead of 35 (plausible range 13-120:
    outside; CD distance 1.8)'."""
    who = r["state"] if r["node"] == target else f"{r['node']}={r['state']}"
    if r["kind"] == "odds_ratio":
        what = f"the odds ratio of {r['parent_states']} for {who}"
    elif r["kind"] == "base_rate":
        what = f"the base rate of {who}" + (f" given {r['parent_states']}" if r["parent_states"] else "")
    else:
        what = r["parameter"]
    extra = []
    if r["kind"] != "cpt_entry" and np.isfinite(r["plausible_low"]):
        extra.append(f"plausible range {_fmt(r['plausible_low'])}-{_fmt(r['plausible_high'])}: "
                     f"{'inside' if r['plausible'] else 'outside'}")
    extra.append(f"CD distance {r['cd_distance']:.3g}")
    return (f"{target_state} reaches {at_least:.2f} if {what} were {_fmt(r['x_new'])} instead of {_fmt(r['x0'])} "
            f"({'; '.join(extra)})")


def cd_distance(x0: float | np.ndarray, x1: float | np.ndarray) -> np.ndarray:
    """Chan-Darwiche distance of a single-entry change x0 -> x1 with proportional co-variation:
    ``|ln(x1/(1-x1)) - ln(x0/(1-x0))|`` (Chan & Darwiche 2002, JAIR 17:265-287)."""
    x0, x1 = np.asarray(x0, dtype=float), np.asarray(x1, dtype=float)
    with np.errstate(divide="ignore"):
        return np.abs((np.log(x1) - np.log1p(-x1)) - (np.log(x0) - np.log1p(-x0)))


_TUNE_EPS = 1e-12    # probabilities are searched within [1e-12, 1 - 1e-12] (the open interval, to double precision)
_TUNE_GRID = 48      # grid points over each parameter's whole domain (logit or log scale), one batched query
_TUNE_TOL = 1e-10    # bisection stops when the bracket is this narrow on the search scale (logit or log)
_CD_BATCH = 2**23    # CPT entries compiled at once for the exact CD distance (bounds memory)


def _tune_domain(e: _Entry) -> tuple[float, float]:
    """The whole admissible domain of a clinical parameter on its search scale (log for odds ratios, logit else)."""
    if e.entry is None:
        return float(np.log(ODDS_RATIO_LIMITS[0])), float(np.log(ODDS_RATIO_LIMITS[1]))
    return float(_to_scale(e, _TUNE_EPS)), float(_to_scale(e, 1 - _TUNE_EPS))


def _possible_rows(model: "BmesModel", node: str) -> np.ndarray:
    """Boolean array over the parent configurations u of ``node`` (parents' axes): P(u) > 0 in the point model.

    Exact: the 0/1 support of the CPTs of the node's ancestors, multiplied out and summed (no underflow possible).
    """
    net = model.network
    parents = net[node].parents
    if not parents:
        return np.ones((), dtype=bool)
    anc: set[str] = set()
    stack = list(parents)
    while stack:
        v = stack.pop()
        if v not in anc:
            anc.add(v)
            stack += net[v].parents
    names = [v for v in net.names if v in anc]
    pos = {v: i for i, v in enumerate(names)}
    joint = np.ones([1] * len(names))
    for v in names:
        axes = [pos[a] for a in (*net[v].parents, v)]
        t = (model.tables.tables[v][0] > 0).astype(float)
        t = np.transpose(t, np.argsort(axes))
        shape = [1] * len(names)
        for a, size in zip(sorted(axes), t.shape):
            shape[a] = size
        joint = joint * t.reshape(shape)
    marg = joint.sum(axis=tuple(i for i, v in enumerate(names) if v not in parents)) > 0
    kept = [v for v in names if v in parents]   # network order
    return np.transpose(marg, [kept.index(q) for q in parents])


def _cd_exact(model: "BmesModel", entries: Sequence[_Entry], values: np.ndarray) -> np.ndarray:
    """Exact Chan-Darwiche distance between the point model and each model with one clinical parameter changed.

    A change confined to one node's CPT T gives P'(w)/P(w) = T'(x|u)/T(x|u) for every world w, so
    ``D = ln max T'/T - ln min T'/T`` over the entries of the node's full CPT (both CPTs compiled with
    :func:`bmes_bayes.compile.compile_node`) with T(x|u) > 0 whose parent configuration u is possible (P(u) > 0: an
    impossible row, such as a pregnant man, carries no world); infinite if some such entry goes from 0 to > 0.
    """
    out = np.empty(len(entries))
    by_node: dict[str, list[int]] = {}
    for i, e in enumerate(entries):
        by_node.setdefault(e.node, []).append(i)
    for node, idx in by_node.items():
        before = model.tables.tables[node][0]
        mask = np.broadcast_to(_possible_rows(model, node)[..., None], before.shape)
        pos, zero = mask & (before > 0), mask & (before == 0)
        t0 = before[pos]
        step = max(1, _CD_BATCH // before.size)
        for start in range(0, len(idx), step):
            chunk = idx[start : start + step]
            draws = _entry_draws(model, [entries[i] for i in chunk], values[chunk])
            after = compile_node(model.priors, model.network, draws, node)
            ratio = after[:, pos] / t0[None, :]
            with np.errstate(divide="ignore"):
                d = np.log(ratio.max(axis=1)) - np.log(ratio.min(axis=1))
            if zero.any():
                d = np.where((after[:, zero] > 0).any(axis=1), np.inf, d)
            out[chunk] = d
    return out


def _clinical_tuning(model: "BmesModel", ev, target: str, ti: int, p: float,
                     entries: Sequence[_Entry]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each clinical parameter: the value at which P(target_state | e) reaches ``p`` nearest to its current
    value on its search scale, and the posterior there; NaN where no value in its domain reaches it.

    A grid over the whole domain (one batched query for every parameter) brackets the sign change of
    ``P - p`` nearest to the current value on each side; batched bisection narrows every bracket to ``_TUNE_TOL``
    on the search scale; of the two sides the nearer root is kept. Returns ``(found, x_new, p_after)``, where
    ``x_new`` is the bracket end at which the constraint holds (so ``p_after >= p``).
    """
    n = len(entries)
    found = np.zeros(n, dtype=bool)
    x_new, p_new = np.full(n, np.nan), np.full(n, np.nan)
    if n == 0:
        return found, x_new, p_new

    def evaluate(es: Sequence[_Entry], ts: np.ndarray) -> np.ndarray:
        xs = np.array([float(_from_scale(e, t)) for e, t in zip(es, ts)])
        res = model.query(ev, target, DrawnTables(model.priors, model.network, _entry_draws(model, es, xs)))
        return res.posterior[:, ti]

    t0 = np.array([float(_to_scale(e, _point_value(model, e))) for e in entries])
    ends = np.array([_tune_domain(e) for e in entries])
    frac = np.linspace(0.0, 1.0, _TUNE_GRID)
    grid = ends[:, :1] + (ends[:, 1:] - ends[:, :1]) * frac[None, :]                 # (n, G)
    vals = evaluate([e for e in entries for _ in frac], grid.ravel()).reshape(n, _TUNE_GRID)
    reached = vals >= p
    # bracketing jobs: (entry, a = end where the constraint fails, b = end where it holds), per side
    jobs: list[tuple[int, float, float, float]] = []   # (entry, a, b, P at b)
    for i in range(n):
        right = np.flatnonzero((grid[i] > t0[i]) & reached[i])
        if len(right):  # the first grid point right of x0 that reaches p; the point before it does not
            j = right[0]
            a = grid[i, j - 1] if j > 0 and grid[i, j - 1] > t0[i] else t0[i]
            jobs.append((i, a, grid[i, j], vals[i, j]))
        left = np.flatnonzero((grid[i] < t0[i]) & reached[i])
        if len(left):
            j = left[-1]
            a = grid[i, j + 1] if j + 1 < _TUNE_GRID and grid[i, j + 1] < t0[i] else t0[i]
            jobs.append((i, a, grid[i, j], vals[i, j]))
    if not jobs:
        return found, x_new, p_new
    je = np.array([j[0] for j in jobs])
    a, b, pb = (np.array([j[c] for j in jobs], dtype=float) for c in (1, 2, 3))
    es = [entries[i] for i in je]
    for _ in range(200):
        todo = np.flatnonzero(np.abs(b - a) > _TUNE_TOL)
        if not len(todo):
            break
        mid = (a[todo] + b[todo]) / 2
        stuck = (mid == a[todo]) | (mid == b[todo])   # at double precision already
        a[todo[stuck]] = b[todo[stuck]]
        todo, mid = todo[~stuck], mid[~stuck]
        if not len(todo):
            continue
        got = evaluate([es[k] for k in todo], mid)
        ok = got >= p
        b[todo[ok]], pb[todo[ok]] = mid[ok], got[ok]
        a[todo[~ok]] = mid[~ok]
    for k in np.argsort(np.abs(b - t0[je]), kind="stable"):   # nearest root first: keep one per entry
        i = je[k]
        if not found[i]:
            found[i], x_new[i], p_new[i] = True, float(_from_scale(entries[i], b[k])), pb[k]
    return found, x_new, p_new


def _table_row(model: "BmesModel", node: str, r: tuple[int, ...]) -> RowPrior | None:
    """The prior of row ``r`` of a table CPT (None for a log-linear node)."""
    cpd = model.priors.cpds[node]
    if not isinstance(cpd, TableCPD):
        return None
    return cpd.rows[int(np.ravel_multi_index(r, [model.network[q].card for q in cpd.parents])) if r else 0]


def _same_as_clinical(model: "BmesModel", node: str, r: tuple[int, ...], k: int,
                      clinical: set[tuple[int, int | None]], where: Mapping[int, int]) -> bool:
    """Whether moving raw entry ``(r, k)`` is the same change as moving a clinical parameter (an uncertain table
    row's entry; for a two-state row, either entry)."""
    row = _table_row(model, node, r)
    if row is None:
        return False
    i = where[id(row)]
    return (i, k) in clinical or (len(row.states) == 2 and any(c[0] == i for c in clinical))


_TUNE_COLUMNS = ["parameter", "node", "parent_states", "state", "x0", "x_new", "change", "cd_distance", "p_before",
                 "p_after", "kind", "id", "plausible_low", "plausible_high", "plausible", "prior_tail"]


def tune(model: "BmesModel", evidence: Mapping[str, object] | None, target_state: str, *, at_least: float,
         target: str = "diagnosis", level: float = 0.95) -> Tuning:
    """See :meth:`bmes_bayes.BmesModel.tune`."""
    at_least = _checks.probability(at_least, "at_least", low_open=True, high_open=True)
    level = _checks.level(level)
    ev = model.resolve(evidence)
    target, ti, point = _target_index(model, target, target_state, ev, required=True)
    net = model.network
    notes: list[str] = []
    nodes: list[str] = []
    own = _raw_candidates(model, ev, target)
    if target not in ev.hard and len(own) <= net[target].card:
        nodes.append(target)
    elif target not in ev.hard:
        notes.append(f"{target}'s own CPT has {len(own) // net[target].card} rows compatible with the evidence "
                     f"(its parents are not all observed), so its raw entries are not searched one by one; its "
                     f"clinical parameters (base rates, odds ratios) are.")
    nodes += [v.name for v in net.variables if v.name in ev.hard and target in v.parents]
    recs = []
    p = float(at_least)
    entries = _entries(model, relevant_parameters(model, ev, target)) if target not in ev.hard else []
    if point[ti] < p:
        # clinical parameters: numerical root over the whole domain, exact CD distance
        found, x_new, p_new = _clinical_tuning(model, ev, target, ti, p, entries)
        hit = np.flatnonzero(found)
        cd = _cd_exact(model, [entries[i] for i in hit], x_new[hit])
        for i, d in zip(hit, cd):
            e = entries[i]
            prior = model.priors.parameters[e.index]
            x0, x1 = _point_value(model, e), float(x_new[i])
            lo, hi = _plausible_range(model, e, level)
            c = _entry_cdf(model, e, x1)
            gtxt = (f"{prior.parent}={prior.parent_state}" if isinstance(prior, OddsRatioPrior)
                    else ", ".join(f"{q}={s}" for q, s in prior.given))
            recs.append({
                "parameter": e.label, "node": e.node, "parent_states": gtxt, "state": e.state, "x0": x0,
                "x_new": x1, "change": x1 - x0, "cd_distance": float(d), "p_before": float(point[ti]),
                "p_after": float(p_new[i]), "kind": e.kind, "id": prior.id, "plausible_low": lo,
                "plausible_high": hi, "plausible": bool(lo <= x1 <= hi),
                "prior_tail": c if x1 < x0 else 1.0 - c,
            })
        # raw CPT entries: exact sensitivity functions, closed-form x*
        clinical = {(e.index, e.entry) for e in entries}
        where = {id(q): j for j, q in enumerate(model.priors.parameters)}
        merged = 0
        for node in nodes:
            cands = [(r, k) for r, k in _raw_candidates(model, ev, node)
                     if model.tables.tables[node][(0, *r, k)] < 1.0]
            kept = [(r, k) for r, k in cands if not _same_as_clinical(model, node, r, k, clinical, where)]
            merged += len(cands) - len(kept)
            if not kept:
                continue
            pieces, _ = _coefficients(model, ev, target, node, kept, "proportional")
            for (r, k), (pc,) in zip(kept, pieces):
                c1, c2 = pc.num[ti]
                c3, c4 = pc.den
                x0 = float(model.tables.tables[node][(0, *r, k)])
                denom = c1 - p * c3
                if denom == 0:
                    continue
                xs = (p * c4 - c2) / denom
                if not 0.0 <= xs <= 1.0:
                    continue
                given = {q: net[q].states[i] for q, i in zip(net[node].parents, r)}
                gtxt = ", ".join(f"{q}={s}" for q, s in given.items())
                row = _table_row(model, node, r)
                recs.append({
                    "parameter": f"P({node}={net[node].states[k]}" + (f" | {gtxt})" if gtxt else ")"),
                    "node": node, "parent_states": gtxt, "state": net[node].states[k], "x0": x0, "x_new": float(xs),
                    "change": float(xs - x0), "cd_distance": float(cd_distance(x0, xs)),
                    "p_before": float(point[ti]), "p_after": float((c1 * xs + c2) / (c3 * xs + c4)),
                    "kind": "cpt_entry", "id": row.id if row is not None else "", "plausible_low": np.nan,
                    "plausible_high": np.nan, "plausible": pd.NA, "prior_tail": np.nan,
                })
        if merged:
            notes.append(f"{merged} raw CPT entries of {', '.join(nodes)} are the same change as moving a clinical "
                         f"parameter: they are searched (and listed) once, as that parameter.")
    frame = pd.DataFrame(recs, columns=_TUNE_COLUMNS).astype({"plausible": "boolean"})
    frame = frame.sort_values(["cd_distance", "parameter"], kind="stable").reset_index(drop=True)
    return Tuning(target=target, target_state=net[target].states[ti], at_least=p, current=float(point[ti]),
                  frame=frame, searched=tuple(nodes), notes=tuple(notes), evidence=ev.as_dict(), model=model.info,
                  n_parameters=len(entries), level=level)


# ============================================================================================== global (Sobol)


@dataclass(frozen=True, eq=False)
class Sobol(ResultDisplay):
    """First-order and total Sobol indices of a target posterior over the uncertain clinical parameters.

    Computed by SALib (Sobol' sequence sampling, Saltelli/Jansen estimators, bootstrap confidence intervals) with the
    priors' exact joint distribution (independent uniforms mapped through inverse CDFs); a Dirichlet row is one
    group of Gamma inputs, so each clinical parameter (or each node, with ``groups="node"``) is one factor. When a
    single factor can move the posterior it is the whole input, and its indices are exactly 1 (0 if the posterior
    does not vary): they are not estimated, and the ``n`` evaluations only measure the variance.

    References
    ----------
    Saltelli et al. (2010), Comput. Phys. Commun. 181:259-270; Herman & Usher (2017), SALib, JOSS 2(9):97.
    """

    target: str
    target_state: str
    groups: str
    n: int
    n_evaluations: int
    level: float
    frame: pd.DataFrame
    variance: float
    n_irrelevant: int
    seed: int | None
    evidence: dict[str, object]
    model: ModelInfo
    outputs: np.ndarray | None = None        # P(target_state | evidence) at every point of the design, in its order
    design_factors: tuple[str, ...] = ()     # the factors in the design's order (first appearance)

    def draws(self) -> pd.DataFrame:
        """The model evaluations behind the indices, in long form: ``draw`` (the row of the Sobol' base sequence),
        ``matrix`` (``"A"``, ``"B"``, or the factor whose inputs came from B: Saltelli's cross-sample), ``state`` and
        ``probability``. These are points of a quasi-random design over the priors' quantiles, not independent draws
        from the priors: use ``model.sensitivity(...).draws()`` for those."""
        if self.outputs is None:
            raise BmesError("this Sobol result holds no evaluations (no parameter could move the answer)")
        blocks = ("A", *self.design_factors, "B") if len(self.design_factors) > 1 else ("A",)
        n = len(self.outputs) // len(blocks)
        return pd.DataFrame({"draw": np.repeat(np.arange(n), len(blocks)),
                             "matrix": np.tile(np.asarray(blocks, dtype=object), n),
                             "state": self.target_state, "probability": self.outputs})

    def to_xarray(self) -> "xarray.Dataset":
        """The design's evaluations as an ``xarray.Dataset``: ``probability`` with dims ``draw`` (base row) and
        ``matrix`` (A, each factor's cross-sample, B), the indices as ``S1``/``ST`` (dim ``factor``). Needs the
        ``xarray`` extra."""
        xr = xarray_module()
        d = self.draws()
        blocks = list(dict.fromkeys(d["matrix"]))
        f = self.frame
        return xr.Dataset({"probability": (("draw", "matrix"), self.outputs.reshape(-1, len(blocks))),
                           "S1": ("factor", f["S1"].to_numpy()), "ST": ("factor", f["ST"].to_numpy())},
                          coords={"draw": np.arange(len(self.outputs) // len(blocks)), "matrix": blocks,
                                  "factor": f["factor"].tolist()},
                          attrs={"target": self.target, "target_state": self.target_state, "n": self.n,
                                 "seed": -1 if self.seed is None else int(self.seed), "model": self.model.short,
                                 "disclaimer": DISCLAIMER})

    def to_frame(self) -> pd.DataFrame:
        """Columns ``factor, S1, S1_low, S1_high, ST, ST_low, ST_high``; largest total index first."""
        return self.frame.copy()

    @property
    def verdict(self) -> str:
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

    def _html_body(self) -> str:
        return (f"<div class='bmes-result'><p><b>Sobol indices of P({html.escape(self.target)}="
                f"{html.escape(self.target_state)} | evidence), {self.level:.0%} bootstrap intervals</b></p>"
                f"{_frame_html(self.frame.head(25))}<p>{html.escape(self.verdict)}</p>{_evidence_html(self.evidence)}"
                f"{_footer_html(self.model)}</div>")

    def plot(self, ax: "Axes | None" = None, *, n: int = 15) -> "Axes":
        """Bars of S1 and ST with their intervals, largest ST on top. Returns the Axes."""
        from .plotting import sobol_plot

        return sobol_plot(self.frame.head(_checks.count(n, "n")), ax=ax, title=f"Sobol indices of P({self.target_state} | evidence)")


def saltelli_rows(problem: dict, n: int, *, seed, rows: int):
    """Saltelli's cross-sample of the scrambled Sobol' sequence, exactly as SALib's ``sobol.sample(problem, n,
    calc_second_order=False, scramble=True, seed=seed)`` lays it out (tested element for element), but generated as
    arrays, chunk by chunk: for each base row ``i``, ``A_i``, then ``A_i`` with group ``k``'s columns from ``B_i`` for
    every group in order of first appearance, then ``B_i``. SALib builds the whole matrix in a Python loop over rows,
    groups and columns (3 s for 30,000 rows of 400 inputs); this yields blocks of about ``rows`` rows. The problem's
    bounds must be the unit interval (as here: uniforms mapped by inverse CDFs), so no scaling is needed."""
    from scipy.stats import qmc

    d = problem["num_vars"]
    if any(tuple(b) != (0.0, 1.0) for b in problem["bounds"]):
        raise ValueError("saltelli_rows expects unit bounds")
    groups = list(problem.get("groups") or problem["names"])
    names = list(dict.fromkeys(groups))
    member = np.array([[g == name for g in groups] for name in names], dtype=bool)      # (G, D)
    base = qmc.Sobol(d=2 * d, scramble=True, seed=seed).random(n)
    per_base = len(names) + 2
    step = max(1, rows // per_base)
    for start in range(0, n, step):
        a, b = base[start : start + step, :d], base[start : start + step, d:]
        block = np.empty((len(a), per_base, d))
        block[:, 0] = a
        block[:, 1:-1] = np.where(member[None], b[:, None, :], a[:, None, :])
        block[:, -1] = b
        yield block.reshape(-1, d)


def sobol_indices(problem: dict, fn, *, n: int, seed: int | None, level: float = 0.95,
                  progress: bool | None = None, desc: str = "Sobol") -> tuple[dict, np.ndarray]:
    """SALib Sobol' analysis of ``fn`` (``(N, D)`` uniforms -> ``(N,)`` outputs) on Saltelli's sample, evaluated
    chunk by chunk (:func:`saltelli_rows`: SALib's own sample, generated without its Python loop and never held
    whole).

    Returns SALib's result dictionary and the model outputs.
    """
    from SALib.analyze import sobol as sobol_analyze

    groups = problem.get("groups") or problem["names"]
    total = n * (len(set(groups)) + 2)
    y = np.empty(total)
    bar = progress_bar(total, progress, desc)
    start = 0
    for x in saltelli_rows(problem, n, seed=seed, rows=4 * CHUNK):
        y[start : start + len(x)] = fn(x)
        start += len(x)
        if bar is not None:
            bar.update(len(x))
    if bar is not None:
        bar.close()
    res = sobol_analyze.analyze(problem, y, calc_second_order=False, conf_level=level, print_to_console=False,
                                seed=seed)
    return res, y


def _sobol_budget(n: int, factors: int, inputs: int, groups: str) -> None:
    """Refuse, before any work, a Sobol run beyond :mod:`bmes_bayes.limits`: ``n`` above ``MAX_SOBOL_N``,
    ``n (G + 2)`` evaluations above ``MAX_EVALUATIONS``, or more memory than ``MEMORY_LIMIT`` for SALib's arrays
    (its sample matrix, ``n (G + 2)`` rows by one column per uniform input, with the Sobol' base sequence, and its
    bootstrap, about 7 arrays of ``n`` by 100 resamples). A single factor needs ``n`` evaluations and no SALib."""
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
        why.append(f"SALib's arrays for {inputs:,} inputs would exceed bmes_bayes.limits.MEMORY_LIMIT = "
                   f"{_checks.size_text(limits.MEMORY_LIMIT)}")
    if why:
        hint = " groups='node' gives fewer factors;" if groups == "parameter" else ""
        raise TooLargeError(f"sobol(n={n:,}) is too large ({'; '.join(why)}): it would need "
                            f"{_checks.estimate(memory, rows)}. Use a smaller n;{hint} observed findings also "
                            f"leave fewer parameters that matter.")


def sobol(model: "BmesModel", evidence: Mapping[str, object] | None = None, *, target_state: str | None = None,
          target: str = "diagnosis", n: int = 1024, seed: None | int | np.random.Generator = None,
          groups: Literal["parameter", "node"] = "parameter", level: float = 0.95,
          progress: bool | None = None) -> Sobol:
    """See :meth:`bmes_bayes.BmesModel.sobol`."""
    n = _checks.count(n, "n", minimum=2)
    if n & (n - 1):
        raise ArgumentError(f"n must be a power of 2 (Sobol' sequences), got {n:,}")
    groups = _checks.choice(groups, "groups", ("parameter", "node"))
    level = _checks.level(level)
    ev = model.resolve(evidence)
    target, ti, point = _target_index(model, target, target_state, ev)
    rng = as_generator(seed)
    salib_seed = int(rng.integers(2**31 - 1))
    indices = relevant_parameters(model, ev, target)
    irrelevant = sum(1 for p in model.priors.parameters if not p.fixed) - len(indices)
    names, factor_of = [], []
    for i in indices:
        p = model.priors.parameters[i]
        label = p.id if groups == "parameter" else p.node
        k = n_uniform_inputs(p)
        names += [f"{p.id}[{j}]" for j in range(k)]
        factor_of += [label] * k
    states = model.network[target].states
    cols = ["factor", "S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"]
    if not names:
        return Sobol(target, states[ti], groups, n, 0, level, pd.DataFrame(columns=cols), 0.0, irrelevant,
                     seed if isinstance(seed, int) else None, ev.as_dict(), model.info)
    factors = list(dict.fromkeys(factor_of))
    _sobol_budget(n, len(factors), len(names), groups)

    def fn(u: np.ndarray) -> np.ndarray:
        draws = draws_from_uniform(model.priors, u, parameters=indices)
        return model.query(ev, target, DrawnTables(model.priors, model.network, draws)).posterior[:, ti]

    if len(factors) == 1:
        # One factor is the whole input X, so Var(E[Y | X]) = Var(Y): S1 = ST = 1 exactly (0 if Y does not vary).
        # SALib is not asked: it needs two groups, and without groups it would estimate the index of each of the
        # factor's uniform inputs (a Dirichlet row has one Gamma input per state), not of the factor (issue 13).
        u = stats.qmc.Sobol(d=len(names), scramble=True, seed=salib_seed).random(n)
        y = np.concatenate([fn(u[i : i + 4 * CHUNK]) for i in range(0, n, 4 * CHUNK)])
        one = np.array([1.0 if np.var(y) > 0 else 0.0])
        s1 = st = one
        s1c = stc = np.zeros(1)
    else:
        problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names),
                   "groups": factor_of}  # one index per factor, whatever its number of uniform inputs
        res, y = sobol_indices(problem, fn, n=n, seed=salib_seed, level=level, progress=progress,
                               desc="Sobol indices")
        s1, st = np.atleast_1d(res["S1"]), np.atleast_1d(res["ST"])
        s1c, stc = np.atleast_1d(res["S1_conf"]), np.atleast_1d(res["ST_conf"])
    frame = pd.DataFrame({"factor": factors, "S1": s1, "S1_low": s1 - s1c, "S1_high": s1 + s1c,
                          "ST": st, "ST_low": st - stc, "ST_high": st + stc})
    frame = frame.sort_values("ST", ascending=False, kind="stable").reset_index(drop=True)
    y.setflags(write=False)
    return Sobol(target=target, target_state=states[ti], groups=groups, n=n, n_evaluations=len(y), level=level,
                 frame=frame, variance=float(np.var(y)),
                 n_irrelevant=irrelevant, seed=seed if isinstance(seed, int) else None, evidence=ev.as_dict(),
                 model=model.info, outputs=y, design_factors=tuple(factors))
