"""How far posteriors move across the plausible range of the priors.

Uncertainty (Monte-Carlo over parameters, exact inference per draw): parameter sets are drawn from the
distributions stated in ``priors/`` (Dirichlet rows, log-normal odds ratios), compiled to CPTs and evaluated by the
same exact batched engine as single queries, in fixed-size chunks so that memory stays bounded and a given seed
gives bit-identical results whatever the chunking of the caller or the order of the evidence.

References
----------
Van Allen, Singh, Greiner & Hooper (2008), "Quantifying the uncertainty of a belief net response: Bayesian
error-bars for belief net inference", Artificial Intelligence 172(4-5):483-513.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._seed import as_generator
from .cpt import DrawnTables
from .exceptions import BmesError, shown
from .parameters import sample_draws
from .results import DISCLAIMER, ModelInfo, ResultDisplay, _evidence_html, _frame_html

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from .model import BmesModel

__all__ = ["Uncertainty", "uncertainty", "CHUNK"]

CHUNK = 500  # parameter sets per batch: fixed, so results never depend on how work is split


def _progress(total: int, enabled: bool | None, desc: str):
    """A tqdm bar when asked, or automatically for long runs (None); a no-op otherwise."""
    if enabled is False or (enabled is None and total < 20_000):
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is optional: quiet without it
        return None
    return tqdm(total=total, desc=desc, unit="draws", leave=False)


def posterior_draws(model: "BmesModel", evidence: Mapping[str, object] | None, *, target: str, n_samples: int,
                    seed: None | int | np.random.Generator, progress: bool | None = None) -> np.ndarray:
    """Exact posteriors of ``target`` under ``n_samples`` parameter sets drawn from the priors: ``(S, K)``."""
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise BmesError(f"n_samples must be a positive integer, got {shown(n_samples)}")
    model._check_target(target)
    ev = model.resolve(evidence)
    rng = as_generator(seed)
    out = np.empty((n_samples, model.network[target].card))
    bar = _progress(n_samples, progress, "sampling priors")
    for start in range(0, n_samples, CHUNK):
        n = min(CHUNK, n_samples - start)
        draws = sample_draws(model.priors, CHUNK, rng)  # always a full chunk: same stream for any n_samples
        source = DrawnTables(model.priors, model.network, draws)
        out[start : start + n] = model.query(ev, target, source).posterior[:n]
        if bar is not None:
            bar.update(n)
    if bar is not None:
        bar.close()
    return out


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

    @property
    def n_samples(self) -> int:
        return int(self.samples.shape[0])

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
        if share >= self.threshold:
            return f"{head}: the ranking is stable (threshold {self.threshold:.0%})."
        others = [(self.p_top[j], self.states[j]) for j in np.argsort(-self.p_top) if j != i and self.p_top[j] > 0]
        rivals = ", ".join(f"{s} in {p:.0%}" for p, s in others[:3])
        return f"{head}: NOT stable at the {self.threshold:.0%} threshold (first instead: {rivals})."

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
                f"<p style='font-size:smaller'>{html.escape(self.model.short)}. {DISCLAIMER}</p></div>")

    def plot(self, ax: "Axes | None" = None) -> "Axes":
        """Point posterior with its credible interval for each state. Returns the Axes."""
        from .plotting import interval_plot

        return interval_plot(self.to_frame(), label=self.target, level=self.level, ax=ax,
                             title=f"P({self.target} | evidence): {self.level:.0%} intervals, {self.n_samples} draws")


def uncertainty(model: "BmesModel", evidence: Mapping[str, object] | None = None, *, target: str = "diagnosis",
                n_samples: int = 2000, level: float = 0.9, seed: None | int | np.random.Generator = None,
                threshold: float = 0.9, progress: bool | None = None) -> Uncertainty:
    """See :meth:`bmes_bayes.BmesModel.sensitivity`."""
    if not (isinstance(level, float) and 0 < level < 1):
        raise BmesError(f"level must be a float strictly between 0 and 1, got {shown(level)}")
    if not (isinstance(threshold, (int, float)) and 0 < threshold <= 1):
        raise BmesError(f"threshold must be in (0, 1], got {shown(threshold)}")
    point = model.posterior(evidence, target=target)
    samples = posterior_draws(model, evidence, target=target, n_samples=n_samples, seed=seed, progress=progress)
    return Uncertainty(
        target=target, states=point.states, point=point.probabilities, samples=samples, level=level,
        threshold=float(threshold), seed=seed if isinstance(seed, int) else None, evidence=point.evidence,
        model=model.info,
    )
