"""One-way sensitivity: each clinical parameter alone at both ends of its plausible range (a tornado)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import _checks
from .._deprecation import UNSET, renamed, renamed_attribute
from ..compile import DrawnTables
from ..draws import relevant_parameters
from ..results import ModelInfo, ResultDisplay
from ._perturb import (
    PLAUSIBLE,
    _entries,
    _entry_draws,
    plausible_range,
    point_value,
    target_index,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from ..model import BmesModel

__all__ = ["OneWay", "one_way"]

SHOWN = 25   # rows of the HTML table


@dataclass(frozen=True, eq=False)
class OneWay(ResultDisplay):
    """One-way sensitivity: the target posterior at both ends of each clinical parameter's plausible range.

    Each uncertain parameter that can move the posterior (see :func:`relevant_parameters`; the others have a swing
    of exactly 0 and are left out) is moved alone, the others kept at their point values: a row entry to the
    ``(1 - plausible)/2`` and ``(1 + plausible)/2`` quantiles of its Beta marginal (the rest of its row co-varied
    proportionally), an odds ratio to the same quantiles of its log-normal. Sorted by swing (a tornado).

    Attributes
    ----------
    target, target_state : the variable and the state whose posterior is reported.
    point : float
        P(target_state | evidence) under the point parameters.
    point_top : str
        The point model's most probable state.
    plausible : float
        Central prior probability of each parameter's plausible range.
    frame : pandas.DataFrame
        One row per parameter (see :meth:`to_frame`).
    """

    target: str
    target_state: str
    point: float
    point_top: str
    plausible: float
    frame: pd.DataFrame
    evidence: dict[str, object]
    model: ModelInfo

    @property
    def level(self) -> float:
        """Deprecated name of :attr:`plausible` (kept for one release, with a ``DeprecationWarning``)."""
        return renamed_attribute(self.plausible, old_name="level", new_name="plausible")

    def to_frame(self) -> pd.DataFrame:
        """One row per parameter, largest swing first.

        Columns ``parameter, kind, node, state, plausible_low, x0, plausible_high, p_low, p_point, p_high, swing,
        top_low, top_high``.
        """
        return self.frame.copy()

    @property
    def flips(self) -> pd.DataFrame:
        """The parameters at whose range end the top state changes."""
        f = self.frame
        return f[(f["top_low"] != self.point_top) | (f["top_high"] != self.point_top)].reset_index(drop=True)

    @property
    def verdict(self) -> str:
        """Whether the top state stays first at every range end, in words."""
        n = len(self.frame)
        flips = self.flips
        head = (f"P({self.target_state} | evidence) = {self.point:.2f}; moving each of {n} parameters alone across "
                f"its {self.plausible:.0%} range")
        if len(flips) == 0:
            return f"{head}, {self.point_top} stays first at every range end."
        shown = ", ".join(flips["parameter"].head(3))
        return (f"{head}, {self.point_top} is no longer first at an end of {len(flips)} parameter range(s): "
                f"{shown}" + (f" and {len(flips) - 3} more." if len(flips) > 3 else "."))

    def __repr__(self) -> str:
        top = self.frame.iloc[0] if len(self.frame) else None
        widest = f"; widest = {top['parameter']} ({top['p_low']:.2f}-{top['p_high']:.2f})" if top is not None else ""
        return (f"<OneWay of P({self.target}={self.target_state}) = {self.point:.3f}: {len(self.frame)} parameters at "
                f"their {self.plausible:.0%} range ends{widest}; {len(self.flips)} flip the top>")

    def _title(self) -> str:
        return (f"One-way sensitivity of P({self.target}={self.target_state} | evidence), {self.plausible:.0%} "
                f"ranges (top {SHOWN} by swing)")

    def _display_frame(self) -> pd.DataFrame:
        return self.frame.head(SHOWN)

    def plot(self, ax: "Axes | None" = None, *, n: int = 15) -> "Axes":
        """Tornado.

        A bar per parameter from the posterior at the low end to the high end, widest on top (the first ``n``). Returns
        the Axes.
        """
        from ..plotting import tornado_plot

        return tornado_plot(self.frame.head(_checks.count(n, "n")), point=self.point, ax=ax,
                            title=f"P({self.target_state} | evidence): one-way, {self.plausible:.0%} ranges")


def one_way(model: "BmesModel", evidence: Mapping[str, object] | None = None, *, target_state: str | None = None,
            target: str = "diagnosis", plausible: float | None = None, level: object = UNSET) -> OneWay:
    """One-way sensitivity: the target posterior at both ends of each clinical parameter's plausible range.

    Every uncertain parameter that can move the posterior is moved alone (the others at their point values) to the
    ``(1 - plausible)/2`` and ``(1 + plausible)/2`` quantiles of its prior marginal: a row entry's Beta (the rest
    of its row co-varied proportionally), an odds ratio's log-normal. All ends go through the exact engine in one
    batch.

    Parameters
    ----------
    model : BmesModel
    evidence : mapping, optional
    target_state : str, optional
        The state whose posterior is reported (default: the point model's most probable).
    target : str, default "diagnosis"
    plausible : float, default 0.95
        Central prior probability of each parameter's plausible range, strictly between 0 and 1.
    level : float, optional
        Deprecated name of ``plausible`` (a ``DeprecationWarning``; removed in the next release).

    Returns
    -------
    OneWay
        Sorted by swing, largest first.

    Raises
    ------
    EvidenceError
        Bad evidence or ``target_state``.
    """
    plausible = _checks.level(renamed(plausible, level, new="plausible", old="level", where="one_way", default=PLAUSIBLE), "plausible")
    ev = model.resolve(evidence)
    target, ti, point = target_index(model, target, target_state, ev)
    indices = relevant_parameters(model, ev, target)
    entries = _entries(model, indices)
    ranges = np.array([plausible_range(model, e, plausible) for e in entries]).reshape(-1, 2)
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
        "plausible_low": ranges[:, 0], "x0": [point_value(model, e) for e in entries],
        "plausible_high": ranges[:, 1], "p_low": p[:, 0], "p_point": point[ti], "p_high": p[:, 1],
        "swing": np.abs(p[:, 1] - p[:, 0]),
        "top_low": [states[i] for i in tops[:, 0]], "top_high": [states[i] for i in tops[:, 1]],
    })
    frame = frame.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
    return OneWay(target=target, target_state=states[ti], point=float(point[ti]),
                  point_top=states[int(np.argmax(point))], plausible=plausible, frame=frame, evidence=ev.as_dict(),
                  model=model.info)
