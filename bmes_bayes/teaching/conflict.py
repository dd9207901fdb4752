"""Evidence conflict: whether the findings of a case pull against each other.

The measure is Jensen's conflict (as in Hugin's data-conflict analysis):

    conf(e) = ln( prod_i P(e_i) / P(e) )

for the entered items e_1..e_n (hard or soft). If the items were independent the two would be equal (conf = 0); when
they support each other (they come from one cause) P(e) is larger than the product and conf < 0; conf > 0 says that
under the model this combination is rarer than its parts taken separately: a miscoded finding, a case the model does
not describe, or a genuinely atypical presentation.

Which items drive it: for each item, ``surprise_i = ln P(e_i) - ln P(e_i | e without i)``, the conflict between that
item and all the others (positive: the others make it less likely than it is on its own). Every term is exact:
``P(e_i)`` from the model's prior marginals, the others from ``log P(evidence)`` of the engine.

References
----------
Jensen FV, Chamberlain B, Nordahl T, Jensen F. Analysis in HUGIN of data conflict. Uncertainty in Artificial
Intelligence 6, 1991:519-28. Jensen FV, Nielsen TD. Bayesian Networks and Decision Graphs, 2nd ed., Springer 2007,
section 10.1 (conflict measure).

>>> import bmes_bayes
>>> model = bmes_bayes.load_model()
>>> c = model.conflict({"joint": "hip", "mri_necrotic_segment": "present", "corticosteroids": "yes"})
>>> c.value < 0          # a steroid user with a necrotic segment: the findings support each other
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from .._checks import variable
from ..evidence import Evidence
from ..results import DISCLAIMER, ModelInfo, ResultDisplay, frame_text

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from ..model import BmesModel

__all__ = ["THRESHOLD", "Conflict", "conflict", "conflict_value"]

THRESHOLD = 0.0   # Jensen's rule: conf(e) > 0 flags a possible conflict


def _log_p(model: "BmesModel", ev: Evidence, target: str) -> float:
    return float(model.query(ev, target).log_evidence[0])


@dataclass(frozen=True, eq=False)
class Conflict(ResultDisplay):
    """Jensen's conflict measure of one evidence set, with each item's share.

    ``value`` is conf(e) in nats; ``frame`` has one row per entered item: ``variable, state, log_p_alone,
    log_p_given_rest, surprise`` (surprise = log_p_alone - log_p_given_rest).
    """

    value: float
    frame: pd.DataFrame
    evidence: dict[str, object]
    model: ModelInfo
    threshold: float = THRESHOLD

    @property
    def conflicting(self) -> bool:
        """True when conf(e) exceeds the threshold (0 by Jensen's rule)."""
        return self.value > self.threshold

    @property
    def drivers(self) -> tuple[str, ...]:
        """The items whose surprise given the others is positive, most surprising first."""
        f = self.frame[self.frame["surprise"] > 0].sort_values("surprise", ascending=False)
        return tuple(f["variable"])

    @property
    def verdict(self) -> str:
        """Whether the entered items conflict, in one sentence."""
        if len(self.frame) < 2:
            return "One item or none entered: there is nothing for it to conflict with."
        if self.conflicting:
            who = ", ".join(self.drivers[:3]) or "no single item"
            return (f"These findings pull against each other (conf = {self.value:.2f} > {self.threshold:g}): under the "
                    f"model they are rarer together than apart, most of all {who}. Check the coding of those items; "
                    "if it is right, the case is atypical for every cause the model knows.")
        return (f"No conflict (conf = {self.value:.2f} <= {self.threshold:g}): the findings support each other, "
                "as findings of one cause do.")

    def to_frame(self) -> pd.DataFrame:
        """One row per item: variable, state, log_p_alone, log_p_given_rest, surprise."""
        return self.frame.copy()

    def __repr__(self) -> str:
        flag = "conflict" if self.conflicting else "no conflict"
        return f"<Conflict: conf = {self.value:.3f} ({flag}) over {len(self.frame)} items>"

    def __str__(self) -> str:
        return "\n".join([f"Evidence conflict (Jensen): conf(e) = ln(prod P(e_i) / P(e)) = {self.value:.3f}",
                          frame_text(self.frame), self.verdict, DISCLAIMER])

    def _title(self) -> str:
        return f"Evidence conflict conf(e) = {self.value:.3f}"

    def plot(self, ax: "Axes | None" = None) -> "Axes":
        """Horizontal bars of each item's surprise given the others (red: pulls against the rest)."""
        from ..plotting import literal, new_axes

        ax = new_axes(ax, (6.0, max(2.0, 0.3 * len(self.frame) + 1.0)))
        f = self.frame.iloc[::-1]
        ax.barh(range(len(f)), f["surprise"], color=["#C44E52" if x > 0 else "#4C72B0" for x in f["surprise"]])
        ax.set_yticks(range(len(f)), [literal(f"{v} = {s}") for v, s in zip(f["variable"], f["state"])], fontsize=7)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_xlabel("surprise given the other items (nats; > 0 pulls against them)")
        ax.set_title(f"Evidence conflict: conf(e) = {self.value:.2f}", fontsize=10)
        return ax


def conflict(model: "BmesModel", evidence: Mapping[str, object] | None, *, target: str | None = None) -> Conflict:
    """Jensen's conflict measure of ``evidence`` and each item's share in it (exact).

    Parameters
    ----------
    model : BmesModel
    evidence : mapping
        As for :meth:`BmesModel.posterior` (hard or soft items).
    target : str, optional
        Any variable used to run the queries (its posterior is not used); default: the diagnosis.

    Returns
    -------
    Conflict

    Raises
    ------
    ImpossibleEvidenceError
        When the evidence as a whole has probability zero (then it conflicts absolutely).
    """
    ev = model.resolve(evidence)
    if target is None:  # any variable will do: the diagnosis if the network has one
        names = model.network.names
        target = next((v.name for v in model.network.variables if v.role == "diagnosis"), names[0])
    target = variable(model.network, target, "target")
    log_all = _log_p(model, ev, target)
    alone = model.item_log_probabilities(ev)
    rows = []
    for name, log_alone in alone.items():
        rest = ev.without([name])
        log_rest = _log_p(model, rest, target) if len(rest) else 0.0
        rows.append({"variable": name, "state": ev.labels[name], "log_p_alone": log_alone,
                     "log_p_given_rest": log_all - log_rest, "surprise": log_alone - (log_all - log_rest)})
    frame = pd.DataFrame(rows, columns=["variable", "state", "log_p_alone", "log_p_given_rest", "surprise"])
    value = float(sum(alone.values()) - log_all) if alone else 0.0
    return Conflict(value=value, frame=frame, evidence=ev.as_dict(), model=model.info)


def conflict_value(model: "BmesModel", ev: Evidence, target: str, log_all: float) -> float:
    """conf(e) alone, given ``log_all`` = ln P(e) from a query already made (what a posterior carries).

    No further query, the items' own probabilities coming from the model's prior marginals.
    """
    return float(sum(model.item_log_probabilities(ev).values()) - log_all)
