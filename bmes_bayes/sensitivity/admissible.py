"""Admissible deviations: how far each parameter can move, alone, before the most probable state changes.

Clinical parameters are searched numerically (:mod:`._search`: a grid on the logit/log scale, then batched
bisection); raw CPT entries exactly, from the crossings of their sensitivity functions' numerators.

References
----------
van der Gaag & Renooij (2001), "Analysing sensitivity data from probabilistic networks", UAI, arXiv 1301.2314.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import _checks, limits
from ..compile import DrawnTables
from ..draws import relevant_parameters
from ..exceptions import TooLargeError
from ..results import ModelInfo, ResultDisplay
from ._perturb import _entries, _entry_draws, domain, entry_cdf, from_scale, point_value, to_scale
from ._search import search
from .function import _coefficients, _raw_candidates

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from ..model import BmesModel

__all__ = ["AdmissibleDeviation", "admissible_deviation", "first_top", "TIE"]

_EPS = 1e-9          # row entries are searched within [_EPS, 1 - _EPS]
_OR_SPAN = 1e4       # odds ratios within [median / 1e4, median * 1e4]
_GRID = 12           # scan points per side before bisection
_BISECT = 40         # bisection steps: the crossing to ~1e-12 on the search scale
SHOWN = 25           # rows of the HTML table


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
        """One row per parameter, most fragile first.

        Columns ``parameter, kind, node, state, x0, admissible_low, admissible_high, flips_below, flips_above,
        top_below, top_above, p_inside`` (``x0`` the current value, as in :class:`Tuning` and
        :class:`SensitivityFunction`); ordered by the smallest prior probability of staying inside, then the nearest flip.
        """
        return self.frame.copy()

    @property
    def fragile(self) -> pd.DataFrame:
        """Parameters for which some value within the searched range changes the top state."""
        f = self.frame
        return f[f["flips_below"] | f["flips_above"]].reset_index(drop=True)

    @property
    def verdict(self) -> str:
        """Whether the leading state stays first across the plausible range of each parameter, in one sentence."""
        f = self.fragile
        head = f"{self.top} is first (P = {self.point:.2f})"
        if len(f) == 0:
            return f"{head} whatever value any single {self.scope} takes within its searched range."
        row = f.iloc[0]
        inside = ("" if not np.isfinite(row["p_inside"])
                  else f" (prior probability of staying inside {row['p_inside']:.0%})")
        return (f"{head}; {len(f)} of {len(self.frame)} {self.scope}s can change that alone.".replace("entrys",
                                                                                                     "entries")
                + " The most fragile: "
                f"{row['parameter']} = {row['x0']:.3g} stays admissible within [{row['admissible_low']:.3g}, "
                f"{row['admissible_high']:.3g}]{inside}.")

    def __repr__(self) -> str:
        return (f"<AdmissibleDeviation of the top {self.target} ({self.top}): {len(self.frame)} {self.scope}s, "
                f"{len(self.fragile)} can flip it alone>").replace("entrys", "entries")

    _float_format = "{:.4g}"

    def _title(self) -> str:
        return f"Admissible deviation of each {self.scope} (top {self.target}: {self.top})"

    def _display_frame(self) -> pd.DataFrame:
        return self.frame.head(SHOWN)

    def plot(self, ax: "Axes | None" = None, *, n: int = 15) -> "Axes":
        """Each parameter's admissible interval relative to its value (log scale), most fragile on top."""
        from ..plotting import admissible_plot

        return admissible_plot(self.frame.head(_checks.count(n, "n")), ax=ax,
                               title=f"where {self.top} stops being first")


def _or_span(model: "BmesModel", e) -> tuple[float, float] | None:
    """The searched range of an odds ratio: ``_OR_SPAN`` times below and above its median (None for a probability)."""
    if e.entry is not None:
        return None
    med = model.priors.parameters[e.index].median
    return med / _OR_SPAN, med * _OR_SPAN


TIE = 1e-12  # states whose probabilities differ by at most this share of the largest are tied


def first_top(post: np.ndarray) -> np.ndarray:
    """Per row of ``post`` (``(S, K)``), the most probable state, ties going to the first in the variable's order.

    A state within :data:`TIE` (relative) of the row's largest probability counts as tied with it. Unlike ``argmax``,
    the answer does not depend on the rounding of exactly tied probabilities.
    """
    post = np.atleast_2d(post)
    return np.argmax(post >= post.max(axis=1, keepdims=True) * (1 - TIE), axis=1)


def _clinical_deviation(model: "BmesModel", ev, target: str) -> tuple[pd.DataFrame, int, float]:
    states = model.network[target].states
    point = model.query(ev, target).posterior[0]
    top = int(first_top(point)[0])
    entries = _entries(model, relevant_parameters(model, ev, target))

    def evaluate(which: np.ndarray, ts: np.ndarray) -> np.ndarray:
        es = [entries[i] for i in which]
        xs = np.array([from_scale(e, t) for e, t in zip(es, ts)])
        res = model.query(ev, target, DrawnTables(model.priors, model.network, _entry_draws(model, es, xs)))
        return first_top(res.posterior)

    t0 = np.array([to_scale(e, point_value(model, e)) for e in entries])
    ends = np.array([domain(e, eps=_EPS, odds_ratio=_or_span(model, e)) for e in entries]).reshape(-1, 2)
    frac = np.arange(1, _GRID + 1) / _GRID
    result = {}
    for side, d, end in (("below", -1, ends[:, 0]), ("above", 1, ends[:, 1])):
        grid = t0[:, None] + (end - t0)[:, None] * frac[None, :]
        found = search(evaluate, lambda got: got != top, t0, grid, sides=(d,), steps=_BISECT)
        flips = np.zeros(len(entries), dtype=bool)
        flips[found.entry] = True
        bound, new_top = end.copy(), np.full(len(entries), top)
        bound[found.entry] = (found.inside + found.outside) / 2
        new_top[found.entry] = found.value
        result[side] = (np.array([from_scale(e, b) for e, b in zip(entries, bound)]), flips, new_top)
    lower, below, top_b = result["below"]
    upper, above, top_a = result["above"]
    value = np.array([point_value(model, e) for e in entries])
    p_inside = np.array([entry_cdf(model, e, u) - entry_cdf(model, e, lw) for e, lw, u in zip(entries, lower, upper)])
    frame = pd.DataFrame({
        "parameter": [e.label for e in entries], "kind": [e.kind for e in entries], "node": [e.node for e in entries],
        "state": [e.state for e in entries], "x0": value, "admissible_low": lower, "admissible_high": upper,
        "flips_below": below, "flips_above": above,
        "top_below": [states[i] if f else "" for i, f in zip(top_b, below)],
        "top_above": [states[i] if f else "" for i, f in zip(top_a, above)], "p_inside": p_inside,
    })
    return frame, top, float(point[top])


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
        at = (0, *r, k)
        x0 = float(model.tables.tables[node][at])
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
            "node": node, "state": net[node].states[k], "x0": x0, "admissible_low": lower, "admissible_high": upper,
            "flips_below": tb >= 0, "flips_above": ta >= 0, "top_below": states[tb] if tb >= 0 else "",
            "top_above": states[ta] if ta >= 0 else "", "p_inside": np.nan,
        })
    return pd.DataFrame(recs), top, float(point[top])


def admissible_deviation(model: "BmesModel", evidence: Mapping[str, object] | None = None, *,
                         target: str = "diagnosis", node: str | None = None) -> AdmissibleDeviation:
    """How far each parameter can move, alone, before the most probable state of ``target`` changes.

    By default over every uncertain clinical parameter that can move the posterior (a row entry with its row
    co-varied proportionally, searched within [1e-9, 1 - 1e-9]; an odds ratio within 1e-4 to 1e4 times its
    median): the posterior is scanned on a grid in logit/log scale, then each change of the top state is
    bisected on the batched exact engine to about 1e-12 of the search scale (a flip that reverts between two
    grid points would be missed). With ``node``, over the raw CPT entries of that node compatible with the
    evidence, exactly, from the crossings of the sensitivity functions' numerators
    ``x = (c2_b - c2_a) / (c1_a - c1_b)``.

    Ties are resolved by rule, not by rounding: the top is the first state, in the variable's order, whose
    probability is within 1e-12 (relative) of the largest; a state tied with it at the current value takes over
    at that value itself, on the side where it grows faster (the bound is the current value exactly), and a
    state that stays tied whichever way the parameter moves never counts as taking over.

    Parameters
    ----------
    model : BmesModel
        The compiled model (:func:`~bmes_bayes.load_model`).
    evidence : mapping, optional
        As for :meth:`BmesModel.posterior`.
    target : str, default "diagnosis"
        The variable whose posterior is analysed.
    node : str, optional
        Analyse the raw CPT entries of this node instead of the clinical parameters.

    Returns
    -------
    AdmissibleDeviation
        ``.to_frame()`` (x0, admissible_low, admissible_high, which state takes over, prior probability of staying inside),
        ``.fragile``, ``.verdict``, ``.plot()``.

    References
    ----------
    van der Gaag & Renooij (2001), "Analysing sensitivity data from probabilistic networks", UAI, arXiv 1301.2314.

    Examples
    --------
    >>> import bmes_bayes
    >>> from bmes_bayes.sensitivity import admissible_deviation
    >>> ad = admissible_deviation(
    ...     bmes_bayes.load_model(), {"joint": "hip", "fever": "yes"}, node="fever")
    >>> bool((ad.to_frame()["admissible_low"] <= ad.to_frame()["x0"]).all())
    True
    """
    ev = model.resolve(evidence)
    target = model.target_name(target)
    if node is None:
        frame, top, p = _clinical_deviation(model, ev, target)
        scope = "clinical parameter"
    else:
        frame, top, p = _raw_deviation(model, ev, target, _checks.variable(model.network, node, "node"))
        scope = "CPT entry"
    if len(frame):
        margin = np.minimum(np.where(frame["flips_below"], frame["x0"] - frame["admissible_low"], np.inf),
                            np.where(frame["flips_above"], frame["admissible_high"] - frame["x0"], np.inf))
        frame = (frame.assign(_m=margin, _p=frame["p_inside"].fillna(1.0))
                 .sort_values(["_p", "_m"], kind="stable").drop(columns=["_m", "_p"]).reset_index(drop=True))
    return AdmissibleDeviation(target=target, top=model.network[target].states[top], point=p, scope=scope,
                               frame=frame, evidence=ev.as_dict(), model=model.info)


