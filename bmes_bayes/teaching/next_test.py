"""Which test next.

Unobserved findings and history questions ranked by what observing them is expected to do to the diagnosis
(:func:`next_test`, :class:`NextTest`). Exact, on the point model.

For an unobserved variable ``X`` the expected reduction of the entropy of the diagnosis ``D`` is the mutual
information ``I(D; X | e) = H(D | e) - sum_x P(x | e) H(D | e, x)`` (in bits), Netica's "entropy reduction". It is
zero for an observed variable and never negative. The can't-miss measure is the expected absolute change
``sum_c sum_x P(x | e) |P(c | e, x) - P(c | e)|`` summed over the can't-miss diagnoses ``c`` (the expected signed
change is zero: a posterior is a martingale).

References
----------
Norsys Netica. Sensitivity to findings (entropy reduction / mutual information).
https://www.norsys.com/WebHelp/NETICA/X_Sensitivity_Analysis.htm
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, cast

import numpy as np
import pandas as pd

from .. import _checks
from ..evidence import Evidence
from ..exceptions import ArgumentError, BmesError, EvidenceError, listing, shown
from ..results import ModelInfo, ResultDisplay, frame_text
from .._deprecation import UNSET as _UNSET, renamed
from ..display import freeze
from ._common import CANDIDATE_ROLES, ROUNDOFF, _dist, _entropy_bits, _with_hard, diagnosis_variable

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from ..model import BmesModel

__all__ = ["NextTest", "next_test"]


def _outcome_values(model: "BmesModel", ev: Evidence, var: str, target: str, watch: Sequence[int]
                    ) -> tuple[float, float, list[tuple[str, float, np.ndarray]]]:
    """Raw expected entropy reduction (bits) and expected absolute change of the watched diagnoses.

    And per outcome (state, P(state | e), P(D | e, state)). Exact, by enumerating the states of ``var``.
    """
    now = _dist(model, ev, target)
    px = _dist(model, ev, var)
    outcomes = []
    for j, s in enumerate(model.network[var].states):
        if px[j] <= 0:
            continue
        outcomes.append((s, float(px[j]), _dist(model, _with_hard(model, ev, var, j), target)))
    expected_h = sum(p * _entropy_bits(post) for _, p, post in outcomes)
    raw = _entropy_bits(now) - expected_h
    change = sum(p * float(np.abs(post[list(watch)] - now[list(watch)]).sum()) for _, p, post in outcomes)
    return raw, change, outcomes


@dataclass(frozen=True, eq=False)
class NextTest(ResultDisplay):
    """Unobserved findings ranked by what observing them is expected to do to the diagnosis.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per candidate (see :meth:`to_frame`).
    outcomes : pandas.DataFrame
        Per candidate, state and diagnosis: ``finding, state, p_state, diagnosis, probability, change`` -- what the
        posterior would be after each possible result, and how likely that result is now.
    current : numpy.ndarray
        P(diagnosis | evidence) now (read-only).
    entropy : float
        H(diagnosis | evidence) now, in bits.
    cant_miss : tuple of str
        The can't-miss diagnoses watched by ``cant_miss_change``.
    """

    states: tuple[str, ...]
    evidence: dict[str, object]
    current: np.ndarray
    entropy: float
    cant_miss: tuple[str, ...]
    rank_by: str
    frame: pd.DataFrame
    outcomes: pd.DataFrame
    model: ModelInfo

    def __post_init__(self) -> None:
        freeze(self, "current")

    def to_frame(self) -> pd.DataFrame:
        """One row per candidate, best first.

        Columns: ``rank, finding, stage, observed, entropy_reduction`` (expected, bits), ``cant_miss_change`` (expected
        absolute change of the can't-miss probabilities, summed), ``cost`` and ``value_per_cost`` (entropy reduction per
        unit cost; NaN without costs).
        """
        return self.frame.copy()

    @property
    def best(self) -> str | None:
        """The top-ranked unobserved candidate (None when nothing is left to observe)."""
        open_ = self.frame[~self.frame["observed"]]
        return None if open_.empty else str(open_["finding"].iloc[0])

    def __repr__(self) -> str:
        n = int((~self.frame["observed"]).sum())
        if self.best is None:
            return f"<NextTest: nothing left to observe; H = {self.entropy:.2f} bits>"
        r = self.frame.iloc[0]
        return (f"<NextTest: {n} candidates ranked by {self.rank_by}; best = {self.best} "
                f"({r['entropy_reduction']:.3f} of {self.entropy:.2f} bits, can't-miss change {r['cant_miss_change']:.3f})>")

    def outcome_text(self, finding: str, *, n: int | None = None, limit: object = _UNSET) -> list[str]:
        """What each result of ``finding`` would do.

        Its probability now and the ``n`` diagnoses that move most (default 3; ``limit``: deprecated old name of ``n``).
        """
        n = renamed(n, limit, new="n", old="limit", where="NextTest.outcome_text", default=3)
        part = self.outcomes[self.outcomes["finding"] == finding]
        lines = []
        for state, sub in part.groupby("state", sort=False):
            sub = sub.reindex(sub["change"].abs().sort_values(ascending=False).index)
            moves = ", ".join(f"{r.diagnosis} {r.probability - r.change:.2f}->{r.probability:.2f}"
                              for r in sub.head(_checks.count(n, "n")).itertuples())
            lines.append(f"    if {finding}={state} (P {sub['p_state'].iloc[0]:.2f}): {moves}")
        return lines

    def __str__(self, *, n: int | None = None, limit: object = _UNSET) -> str:
        """The best ``n`` candidates (default 8) as text, and what each result of the best would do.

        ``limit`` is the deprecated old name of ``n``.
        """
        n = renamed(n, limit, new="n", old="limit", where="NextTest.__str__", default=8)
        cols = ["rank", "finding", "stage", "entropy_reduction", "cant_miss_change", "cost", "value_per_cost"]
        frame = self.frame[~self.frame["observed"]][cols].head(_checks.count(n, "n"))
        if frame["cost"].isna().all():
            frame = frame.drop(columns=["cost", "value_per_cost"])
        lines = [f"Which test next? Expected reduction of the entropy of the diagnosis (now {self.entropy:.2f} bits) "
                 f"and expected change of the can't-miss probabilities ({', '.join(self.cant_miss) or 'none set'}); "
                 f"ranked by {self.rank_by}"]
        if frame.empty:
            lines.append("  nothing left to observe")
        else:
            lines.append(frame_text(frame))
            lines.append(f"  best: {self.best}")
            lines += self.outcome_text(cast(str, self.best))   # a candidate exists: frame is not empty
        return "\n".join(lines)

    def _title(self) -> str:
        return (f"Which test next? Expected entropy reduction of the diagnosis (now {self.entropy:.2f} bits), "
                f"ranked by {self.rank_by}")

    def _display_frame(self) -> pd.DataFrame:
        return self.frame[~self.frame["observed"]]

    def plot(self, ax: "Axes | None" = None, *, n: int | None = None, limit: object = _UNSET) -> "Axes":
        """Bars of the expected entropy reduction (bits) of the best ``n`` candidates.

        The can't-miss change is drawn as dots on a second axis.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        n : int, optional
            How many candidates to draw (default 12).
        limit : int, optional
            Deprecated old name of ``n``.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from ..plotting import next_test_plot

        n = renamed(n, limit, new="n", old="limit", where="NextTest.plot", default=12)
        return next_test_plot(self.frame[~self.frame["observed"]].head(_checks.count(n, "n")),
                              entropy=self.entropy, ax=ax)


_RANK_COLUMN: dict[Literal["information", "cant_miss", "value_per_cost"], str] = {"information": "entropy_reduction", "cant_miss": "cant_miss_change", "value_per_cost": "value_per_cost"}


def next_test(model: "BmesModel", evidence: Mapping[str, object] | None = None, *,
              costs: Mapping[str, float] | None = None, candidates: Sequence[str] | None = None,
              rank_by: Literal["information", "cant_miss", "value_per_cost"] = "information") -> NextTest:
    """Which test next: unobserved findings ranked by the expected reduction of the entropy of the diagnosis.

    For each candidate ``X``: the mutual information ``I(D; X | e)`` in bits (exactly 0 for an observed
    variable, never negative), the expected absolute change of the can't-miss probabilities
    (``model.alert_config``), and with ``costs`` the information per unit cost.

    Parameters
    ----------
    model : BmesModel
        The model (``bmes_bayes.load_model()``).
    evidence : mapping, optional
        As for :meth:`BmesModel.posterior`.
    costs : mapping, optional
        ``{variable: finite positive cost}`` for every candidate, e.g. ``bmes_bayes.teaching.load_test_costs()``
        (a bool, NaN, infinity or an int beyond the float range is refused).
    candidates : list of str, optional
        Variables to rank, as any collection of names (not one string, not a number; default: every finding and
        risk factor not yet observed: the history questions not yet asked count as tests). An observed one gets
        value 0.
    rank_by : {"information", "cant_miss", "value_per_cost"}

    Returns
    -------
    NextTest
        ``.to_frame()``, ``.best``, ``.outcomes`` (the posterior after each possible result), ``.plot()``.

    Raises
    ------
    ArgumentError
        An unknown ``rank_by``; ``value_per_cost`` without costs; a missing or invalid cost.
    EvidenceError
        An unknown variable or state, the diagnosis as a candidate, impossible evidence.

    References
    ----------
    Norsys Netica, sensitivity to findings (entropy reduction); Hugin, value of information analysis.

    Examples
    --------
    >>> import bmes_bayes
    >>> nt = bmes_bayes.load_model().next_test({"joint": "hip", "age_group": "middle", "sex": "male"})
    >>> bool(nt.to_frame()["entropy_reduction"].min() >= 0)
    True
    """
    target = diagnosis_variable(model.network)
    rank_by = _checks.choice(rank_by, "rank_by", tuple(_RANK_COLUMN))
    if rank_by == "value_per_cost" and costs is None:
        raise ArgumentError("rank_by='value_per_cost' needs costs (e.g. costs=bmes_bayes.teaching.load_test_costs())")
    ev = model.resolve(evidence)
    net = model.network
    if candidates is None:
        candidates = [v.name for v in net.variables if v.role in CANDIDATE_ROLES and v.name not in ev.labels]
    else:
        candidates = list(_checks.names(candidates, "candidates", net))
        if target in candidates:
            raise EvidenceError(f"{target} is the diagnosis itself, not a test")
    if costs is not None:
        costs = _checks.mapping(costs, "costs", "{'fever': 1, 'mri_necrotic_segment': 20}")
        missing = [c for c in candidates if c not in costs]
        bad = []
        for key, value in costs.items():
            try:
                _checks.positive(value, f"the cost of {shown(key)}")
            except ArgumentError:
                bad.append(f"{shown(key)}={shown(value)}")
        if missing or bad:
            parts = ([f"no cost for {listing(missing, sep=', ')}"] if missing else []) + (
                [f"costs must be finite positive numbers ({listing(bad, sep=', ')})"] if bad else [])
            raise ArgumentError("invalid costs: " + "; ".join(parts))
        costs = {c: float(costs[c]) for c in candidates}
    cant_miss = model.alert_config.diagnoses if model.alert_config.variable == target else ()
    states = net[target].states
    watch = [states.index(d) for d in cant_miss]
    now = _dist(model, ev, target)
    rows, out_rows = [], []
    for c in candidates:
        observed = c in ev.labels
        if observed:
            info, change = 0.0, 0.0
        else:
            raw, change, outcomes = _outcome_values(model, ev, c, target, watch)
            if raw < -ROUNDOFF:  # pragma: no cover - mutual information is never negative
                raise BmesError(f"internal: negative expected entropy reduction {raw!r} for {c}; please report it")
            info = max(raw, 0.0)
            for s, p, post in outcomes:
                for d, q, q0 in zip(states, post, now):
                    out_rows.append({"finding": c, "state": s, "p_state": p, "diagnosis": d, "probability": float(q),
                                     "change": float(q - q0)})
        cost = float(costs[c]) if costs is not None else float("nan")
        rows.append({"finding": c, "stage": net[c].stage or "", "observed": observed, "entropy_reduction": info,
                     "cant_miss_change": change, "cost": cost,
                     "value_per_cost": info / cost if costs is not None else float("nan")})
    cols = ["rank", "finding", "stage", "observed", "entropy_reduction", "cant_miss_change", "cost", "value_per_cost"]
    frame = pd.DataFrame(rows, columns=cols[1:])
    if len(frame):
        key = _RANK_COLUMN[rank_by]
        frame = frame.sort_values(["observed", key, "entropy_reduction"], ascending=[True, False, False],
                                  kind="stable").reset_index(drop=True)
    frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    outcomes = pd.DataFrame(out_rows, columns=["finding", "state", "p_state", "diagnosis", "probability", "change"])
    return NextTest(states=states, evidence=ev.as_dict(), current=now, entropy=_entropy_bits(now),
                    cant_miss=cant_miss, rank_by=rank_by, frame=frame, outcomes=outcomes, model=model.info)
