"""Uncertainty by Monte-Carlo over parameters, with exact inference per draw.

Parameter sets are drawn from the distributions stated in ``priors/`` (Dirichlet rows, log-normal odds ratios),
compiled to CPTs and evaluated by the same exact batched engine as single queries, in fixed-size chunks so that
memory stays bounded and a given seed gives bit-identical results whatever the chunking of the caller or the order of
the evidence (:mod:`bmes_bayes.draws`).

References
----------
Van Allen, Singh, Greiner & Hooper (2008), "Quantifying the uncertainty of a belief net response: Bayesian
error-bars for belief net inference", Artificial Intelligence 172(4-5):483-513.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import _checks, limits
from ..draws import (
    KEEP_PARAMETERS_UP_TO,
    ParameterSets,
    equal_tailed,
    p_top,
    parameter_columns,
    possible_draws,
    posterior_draws,
    sample_count,
    xarray_module,
)
from ..exceptions import BmesError
from ..display import freeze
from ..results import DISCLAIMER, ModelInfo, ResultDisplay, draws_frame

if TYPE_CHECKING:  # pragma: no cover
    import xarray
    from matplotlib.axes import Axes

    from ..model import BmesModel

__all__ = ["Uncertainty", "uncertainty"]


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
    parameter_sets: ParameterSets | None = field(default=None, repr=False)   # as drawn; see ``parameters``
    parameter_labels: tuple[str, ...] = ()
    n_impossible: int = 0

    def __post_init__(self) -> None:
        freeze(self, "point", "samples")

    @cached_property
    def parameters(self) -> np.ndarray | None:
        """``(n_samples, P)``, read-only: the parameter sets drawn, one column per ``parameter_labels`` entry.

        None when not kept. Written out from the draws on first access (:class:`~bmes_bayes.draws.ParameterSets`).
        """
        return None if self.parameter_sets is None else self.parameter_sets.matrix()

    @property
    def n_samples(self) -> int:
        """Parameter sets summarised (those drawn, less the ``n_impossible`` left out)."""
        return int(self.samples.shape[0])

    def draws(self) -> pd.DataFrame:
        """The draws in long form: one row per parameter set and state, columns ``draw, state, probability``."""
        return draws_frame(self.samples, self.states)

    def parameter_draws(self) -> pd.DataFrame:
        """The parameter sets that produced the draws, one row per draw, one column per varying parameter.

        A column is labelled ``"<parameter>: <state>"`` for a probability, the parameter's id for an odds ratio.

        Raises
        ------
        BmesError
            The parameter sets were not kept (more than ``KEEP_PARAMETERS_UP_TO`` draws).
        """
        if self.parameters is None:
            raise BmesError(f"the parameter draws were not kept (they are kept up to {KEEP_PARAMETERS_UP_TO:,} sets)")
        frame = pd.DataFrame(self.parameters, columns=list(self.parameter_labels))
        frame.index.name = "draw"
        return frame

    def to_xarray(self) -> "xarray.Dataset":
        """An ``xarray.Dataset``.

        ``posterior`` (dims ``draw``, ``state``) and, when kept, ``parameters`` (dims ``draw``, ``parameter``), with the
        evidence, seed and model in ``attrs``. Needs the ``xarray`` extra.
        """
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
        """An ArviZ-style ``xarray.DataTree``.

        Group ``posterior`` holds P(target = state | evidence) per draw (dims ``chain`` of length 1, ``draw``,
        ``state``) and group ``prior`` the parameter draws that produced it (dims ``chain``, ``draw``, ``parameter``),
        so ArviZ summaries and plots work on it with no glue and it round-trips through netCDF or Zarr. Needs the
        ``xarray`` extra.
        """
        xr = xarray_module()
        ds = self.to_xarray()
        post = xr.Dataset({self.target: ds["posterior"].expand_dims(chain=[0])}, attrs=ds.attrs)
        groups = {"posterior": post}
        if self.parameters is not None:
            groups["prior"] = xr.Dataset({"parameters": ds["parameters"].expand_dims(chain=[0])}, attrs=ds.attrs)
        return xr.DataTree.from_dict(groups)

    @property
    def p_top(self) -> np.ndarray:
        """Share of parameter sets in which each state has the highest posterior (:func:`bmes_bayes.draws.p_top`)."""
        return p_top(self.samples)

    def to_frame(self) -> pd.DataFrame:
        """Columns: the target's name, ``point, mean, median, lower, upper, p_top``; sorted by point.

        ``lower``/``upper`` are the equal-tailed ``level`` interval (:func:`bmes_bayes.draws.equal_tailed`).
        """
        lower, upper = equal_tailed(self.samples, self.level)
        frame = pd.DataFrame({
            self.target: list(self.states), "point": self.point, "mean": self.samples.mean(axis=0),
            "median": np.quantile(self.samples, 0.5, axis=0), "lower": lower, "upper": upper, "p_top": self.p_top,
        })
        return frame.sort_values("point", ascending=False, kind="stable").reset_index(drop=True)

    @property
    def top(self) -> str:
        """The point model's most probable state."""
        return self.states[int(np.argmax(self.point))]

    @property
    def stable(self) -> bool:
        """Whether the point model's top state stays first in at least ``threshold`` of the parameter sets."""
        return bool(self.p_top[int(np.argmax(self.point))] >= self.threshold)

    def _interval(self, i: int) -> tuple[float, float]:
        return tuple(self.to_frame().set_index(self.target).loc[self.states[i], ["lower", "upper"]])

    @property
    def verdict(self) -> str:
        """The answer in words, against the explicit threshold."""
        i = int(np.argmax(self.point))
        share = self.p_top[i]
        lo, hi = self._interval(i)
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
        lo, hi = self._interval(i)
        return (f"<Uncertainty of {self.target}: {len(self.states)} states | {len(self.evidence)} findings | "
                f"{self.n_samples} parameter sets; top = {self.states[i]} {self.point[i]:.2f} [{lo:.2f}, {hi:.2f}], "
                f"first in {self.p_top[i]:.0%}>")

    def __str__(self) -> str:
        from ..results import frame_text

        ev = ", ".join(f"{k}={v}" for k, v in self.evidence.items()) or "none (prior)"
        return "\n".join([
            f"P({self.target} | evidence) with {self.level:.0%} credible intervals over {self.n_samples} parameter sets"
            f" (seed {self.seed})", frame_text(self.to_frame()), "", self.verdict, f"evidence: {ev}",
            f"model: {self.model.short}", DISCLAIMER])

    def _title(self) -> str:
        return (f"P({self.target} | evidence), {self.level:.0%} credible intervals over {self.n_samples} "
                f"parameter sets")

    def plot(self, ax: "Axes | None" = None) -> "Axes":
        """Point posterior with its credible interval for each state. Returns the Axes."""
        from ..plotting import interval_plot

        return interval_plot(self.to_frame(), label=self.target, level=self.level, ax=ax,
                             title=f"P({self.target} | evidence): {self.level:.0%} intervals, {self.n_samples} draws")


def uncertainty(model: "BmesModel", evidence: Mapping[str, object] | None = None, *, target: str = "diagnosis",
                n_samples: int = 2000, level: float = 0.9, seed: None | int | np.random.Generator = None,
                threshold: float = 0.9, progress: bool | None = None) -> Uncertainty:
    """How far the posterior moves across the plausible range of the priors (Monte-Carlo, exact per draw).

    Draws ``n_samples`` parameter sets from the priors, computes the exact posterior of ``target`` under each
    (batched), and summarises: point, mean, median and equal-tailed ``level`` interval per state, the share of
    parameter sets in which each state ranks first, and a verdict against ``threshold``.

    Parameters
    ----------
    model : BmesModel
    evidence : mapping, optional
        Observed findings, ``{variable: state}``.
    target : str, default "diagnosis"
    n_samples : int, default 2000
        Parameter sets to draw (at most ``bmes_bayes.limits.MAX_SAMPLES``).
    level : float, default 0.9
        Credible level of the equal-tailed intervals, strictly between 0 and 1.
    seed : None, int or numpy.random.Generator
        The one seed of the draws (``seed=0`` is a real seed).
    threshold : float, default 0.9
        Share of parameter sets in which the top state must stay first to call the ranking stable.
    progress : bool or None
        A progress bar (None: only for long runs).

    Returns
    -------
    Uncertainty

    Raises
    ------
    EvidenceError, ImpossibleEvidenceError, TooLargeError
        Bad evidence, evidence impossible under the point model or under every draw, too many draws.

    References
    ----------
    Van Allen, Singh, Greiner & Hooper (2008), Artificial Intelligence 172(4-5):483-513.
    """
    level = _checks.level(level)
    threshold = _checks.probability(threshold, "threshold", low_open=True)
    n_samples = sample_count(model, n_samples, target)
    point = model.posterior(evidence, target=target, checks=False)
    target = point.target
    keep = n_samples <= limits.KEEP_PARAMETERS_UP_TO
    out = posterior_draws(model, evidence, target=target, n_samples=n_samples, seed=seed, progress=progress,
                          keep_parameters=keep)
    samples, params = out
    possible = possible_draws(samples, point.evidence, stacklevel=4)
    if not possible.all():
        samples = samples[possible]
        params = params.take(possible) if params is not None else None
    return Uncertainty(
        target=target, states=point.states, point=point.probabilities, samples=samples, level=level,
        threshold=threshold, seed=seed if isinstance(seed, int) else None, evidence=point.evidence,
        model=model.info, parameter_sets=params,
        parameter_labels=parameter_columns(model.priors)[0] if keep else (),
        n_impossible=int((~possible).sum()),
    )
