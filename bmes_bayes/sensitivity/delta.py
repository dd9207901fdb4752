"""A fast, first-order preview of the uncertainty over parameters (the delta method), labelled as an approximation.

Every uncertain parameter is written in coordinates where its prior is (close to) independent and normal:

- a probability row with Dirichlet(alpha) prior is ``softmax(z)`` with ``z_k = log G_k``, ``G_k ~ Gamma(alpha_k)``
  independent, so ``Var(z_k) = trigamma(alpha_k)`` (the same Gamma construction the Monte-Carlo draws use);
- an odds ratio with a log-normal prior is ``exp(z)`` with ``Var(z) = log_sd**2``.

The posterior ``f`` is linearised at the point model: ``Var f ~= sum_k (df/dz_k)**2 Var(z_k)``, with each derivative
by a central difference in ``z`` (a step of ``1e-4``; rows stay normalised, so any CPT construction, log-linear
included, is differentiated as it is). All ``2 x D`` perturbed parameter sets (D = the scalar inputs that can move the
answer, see :func:`~bmes_bayes.sensitivity.relevant_parameters`) go through the engine as one batch: one batched exact
inference instead of thousands of draws.

Where it is right and where it is not (``tests/sensitivity/test_delta.py`` measures each against Monte-Carlo):

- with a case's findings entered (the posterior well determined by them), the standard deviations agree with
  Monte-Carlo's to within about a third, and the nominal 90% interval holds 85-99% of the Monte-Carlo draws;
- near 0 or 1 the posterior is a bounded, curved function of the parameters: the normal interval is symmetric and
  clipped to [0, 1], so it **underestimates** the spread on the open side (the upper end of a small probability
  lies below Monte-Carlo's);
- with few findings (a context and an onset only) the curvature is strong and the linearisation **overestimates**
  the spread of the leading states by up to about 60%.

Use :meth:`~bmes_bayes.BmesModel.sensitivity` (Monte-Carlo) for anything you report.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import _checks
from ..compile import DrawnTables
from ..draws import CHUNK, relevant_parameters
from ..parameters import Draws, point_draws
from ..results import DISCLAIMER, ModelInfo, ResultDisplay
from ..spec import OddsRatioPrior

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from ..model import BmesModel

__all__ = ["DeltaUncertainty", "delta_uncertainty", "STEP"]

STEP = 1e-4         # central-difference step in the normal coordinates (log scale)
LABEL = "first-order (delta-method) approximation, not Monte-Carlo"
PREVIEW_NOTE = ("A preview from a linearisation: too narrow near 0 or 1, too wide with few findings; use the "
                "Monte-Carlo analysis for anything you report.")


@dataclass(frozen=True, eq=False)
class DeltaUncertainty(ResultDisplay):
    """First-order (delta-method) standard deviation and interval of every state's posterior.

    Attributes
    ----------
    target, states : the variable and its states.
    point : numpy.ndarray
        The exact posterior under the point parameters.
    sd : numpy.ndarray
        The first-order standard deviation of each state's posterior over the prior uncertainty.
    gradient : numpy.ndarray
        ``(D, K)``: d posterior / d input for each scalar input (see ``inputs``), in its normal coordinate.
    inputs : tuple of str
        The labels of the D inputs (``"<parameter>: <state>"`` for a row entry, the id of an odds ratio).
    level : float
        Level of the normal interval ``point +- z sd`` (clipped to [0, 1]).
    """

    target: str
    states: tuple[str, ...]
    point: np.ndarray
    sd: np.ndarray
    gradient: np.ndarray
    variance_of_inputs: np.ndarray
    inputs: tuple[str, ...]
    level: float
    evidence: dict[str, object]
    model: ModelInfo

    method = LABEL

    def to_frame(self) -> pd.DataFrame:
        """Columns: the target's name, ``point, sd, lower, upper``; sorted by point.

        Labelled as an approximation in ``frame.attrs["method"]``.
        """
        z = statistics.NormalDist().inv_cdf((1 + self.level) / 2)
        frame = pd.DataFrame({self.target: list(self.states), "point": self.point, "sd": self.sd,
                              "lower": np.clip(self.point - z * self.sd, 0.0, 1.0),
                              "upper": np.clip(self.point + z * self.sd, 0.0, 1.0)})
        frame = frame.sort_values("point", ascending=False, kind="stable").reset_index(drop=True)
        frame.attrs["method"] = LABEL
        return frame

    def contributions(self, state: str | None = None) -> pd.DataFrame:
        """Each input's share of the first-order variance of ``state`` (default: the top state), largest first."""
        i = int(np.argmax(self.point)) if state is None else _checks.state(self.states, state, of=self.target)
        part = self.gradient[:, i] ** 2 * self.variance_of_inputs
        total = part.sum()
        frame = pd.DataFrame({"input": list(self.inputs), "variance": part,
                              "share": part / total if total > 0 else np.zeros_like(part)})
        return frame.sort_values("variance", ascending=False, kind="stable").reset_index(drop=True)

    def __repr__(self) -> str:
        i = int(np.argmax(self.point))
        return (f"<DeltaUncertainty of {self.target} ({LABEL}): top = {self.states[i]} {self.point[i]:.2f} "
                f"+- {self.sd[i]:.2f} (sd), {len(self.inputs)} inputs>")

    def __str__(self) -> str:
        from ..results import frame_text

        ev = ", ".join(f"{k}={v}" for k, v in self.evidence.items()) or "none (prior)"
        return "\n".join([
            f"P({self.target} | evidence) with {self.level:.0%} intervals: {LABEL}", frame_text(self.to_frame()), "",
            PREVIEW_NOTE,
            f"evidence: {ev}", f"model: {self.model.short}", DISCLAIMER])

    def _title(self) -> str:
        return f"P({self.target} | evidence), {self.level:.0%} intervals: {LABEL}"

    def _notes(self) -> list[str]:
        return [PREVIEW_NOTE]

    def plot(self, ax: "Axes | None" = None) -> "Axes":
        """Point posterior with its first-order interval for each state. Returns the Axes."""
        from ..plotting import interval_plot

        return interval_plot(self.to_frame(), label=self.target, level=self.level, ax=ax,
                             title=f"P({self.target} | evidence): {self.level:.0%} first-order (delta) intervals")


def _inputs(model: "BmesModel", indices) -> tuple[list[tuple[int, int | None]], list[str], np.ndarray]:
    """The scalar inputs of the relevant parameters: ``(parameter index, state or None)``, labels, variances."""
    from scipy.special import polygamma

    where: list[tuple[int, int | None]] = []
    labels: list[str] = []
    variances: list[float] = []
    for i in indices:
        p = model.priors.parameters[i]
        if isinstance(p, OddsRatioPrior):
            where.append((i, None))
            labels.append(p.id)
            variances.append(p.log_sd ** 2)
            continue
        for k in p.support:
            where.append((i, int(k)))
            labels.append(f"{p.id}: {p.states[int(k)]}")
            variances.append(float(polygamma(1, p.alpha[int(k)])))
    return where, labels, np.asarray(variances, dtype=float)


def _perturbed(model: "BmesModel", where: list[tuple[int, int | None]], step: float) -> Draws:
    """``2 x D`` parameter sets: the point model with input j moved by ``+step`` (row 2j) and ``-step`` (2j+1)."""
    base = point_draws(model.priors)
    n = 2 * len(where)
    vals = [np.repeat(v, n, axis=0) for v in base.values]
    for j, (i, k) in enumerate(where):
        for row, sign in ((2 * j, 1.0), (2 * j + 1, -1.0)):
            if k is None:
                vals[i][row] = base.values[i][0] * np.exp(sign * step)
            else:
                mean = base.values[i][0]
                z = np.where(mean > 0, np.log(np.where(mean > 0, mean, 1.0)), -np.inf)
                z[k] += sign * step
                e = np.exp(z - z[mean > 0].max())
                vals[i][row] = e / e.sum()
    return Draws(model.priors, tuple(vals))


def delta_uncertainty(model: "BmesModel", evidence: Mapping[str, object] | None = None, *,
                      target: str = "diagnosis", level: float = 0.9) -> DeltaUncertainty:
    """A fast preview of :func:`~bmes_bayes.sensitivity.uncertainty`.

    First-order (delta-method) standard deviations and intervals, from one batched exact inference of ``2 x D``
    perturbed parameter sets.

    Parameters
    ----------
    model : BmesModel
        The compiled model (:func:`~bmes_bayes.load_model`).
    evidence : mapping, optional
        As for :meth:`BmesModel.posterior`.
    target : str, default "diagnosis"
        The variable whose posterior is analysed.
    level : float, default 0.9
        Level of the normal interval ``point +- z sd`` (clipped to [0, 1]), strictly between 0 and 1.

    Returns
    -------
    DeltaUncertainty
        Labelled as an approximation (``method``, ``frame.attrs["method"]``).

    Raises
    ------
    EvidenceError, ImpossibleEvidenceError
        Bad or impossible evidence.
    """
    level = _checks.level(level)
    target = model.target_name(target)
    ev = model.resolve(evidence)
    point = model.query(ev, target).posterior[0]
    where, labels, variances = _inputs(model, relevant_parameters(model, ev, target))
    k = len(point)
    post = np.empty((2 * len(where), k))
    draws = _perturbed(model, where, STEP)
    source = DrawnTables(model.priors, model.network, draws)
    for start in range(0, len(post), CHUNK):
        stop = min(start + CHUNK, len(post))
        post[start:stop] = model.query(ev, target, source.subset(start, stop)).posterior
    gradient = (post[0::2] - post[1::2]) / (2 * STEP) if len(where) else np.empty((0, k))
    sd = np.sqrt((gradient ** 2 * variances[:, None]).sum(axis=0))
    for a in (point, sd, gradient, variances):
        a.setflags(write=False)
    return DeltaUncertainty(target=target, states=model.network[target].states, point=point, sd=sd,
                            gradient=gradient, variance_of_inputs=variances, inputs=tuple(labels), level=level,
                            evidence=ev.as_dict(), model=model.info)
