"""The model's own answers.

The posterior of one variable (:class:`Posterior`, with :class:`Unasked` history items) and the variables a model
accepts (:class:`Vocabulary`).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..display import (DISCLAIMER, ModelInfo, ResultDisplay, _alert_lines, _alerts_html, _conflict_line,
                      _unasked_html, _unasked_lines, read_only)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.axes import Axes

    from ..spec import Variable
    from ..teaching import Alert

__all__ = ["Posterior", "Unasked", "Vocabulary"]


@dataclass(frozen=True)
class Unasked:
    """A history item nobody entered whose state ``state`` would make ``top`` the most probable diagnosis."""

    variable: str
    state: str
    top: str
    probability: float

    def __str__(self) -> str:
        return f"if {self.variable}={self.state}: {self.top} leads ({self.probability:.2f})"

@dataclass(frozen=True, eq=False)
class Posterior(ResultDisplay):
    """Exact posterior distribution of one variable given evidence.

    Attributes
    ----------
    target : str
        The variable queried.
    states : tuple of str
        Its states, in network order.
    probabilities : numpy.ndarray
        P(target = state | evidence), in the order of ``states``; sums to 1.
    evidence : dict
        The evidence used, as ``variable -> state`` (soft evidence described in words).
    log_evidence : float
        Natural log of P(evidence) under the point model.
    model : ModelInfo
    alerts : tuple of Alert
        Can't-miss diagnoses at or above their threshold (``priors/teaching/cant_miss.yaml``), most probable first,
        whatever their rank; empty for other targets. See :mod:`bmes_bayes.teaching`.
    unasked : tuple of Unasked
        For the diagnosis: each history item (context or risk factor) that nobody entered and one of whose states
        would change the top diagnosis. The model fills an unentered item in from its prevalence, so the top
        diagnosis *rests on* that item being what it usually is. Empty when the top does not depend on any of them.
    conflict : float or None
        Jensen's evidence conflict conf(e) = ln(prod P(e_i) / P(e)) of the (hard) evidence, for the diagnosis when two
        or more items are entered; > 0 means the findings pull against each other. See :mod:`bmes_bayes.conflict`.
    """

    target: str
    states: tuple[str, ...]
    probabilities: np.ndarray
    evidence: dict[str, object]
    log_evidence: float
    model: ModelInfo
    alerts: tuple["Alert", ...] = ()
    unasked: tuple["Unasked", ...] = ()
    conflict: float | None = None

    def to_series(self) -> pd.Series:
        """Probabilities as a Series indexed by state name (named after the target)."""
        import pandas as pd

        return pd.Series(self.probabilities, index=pd.Index(self.states, name="state"), name=self.target)

    def _ranked(self) -> list[tuple[str, float]]:
        """``(state, probability)``, most probable first (ties in network order).

        The rows of :meth:`to_frame`, built without pandas, so that a command-line query never loads it.
        """
        order = np.argsort(-self.probabilities, kind="stable")
        return [(self.states[i], float(self.probabilities[i])) for i in order]

    def to_frame(self) -> pd.DataFrame:
        """Long format: one row per state, columns ``variable, state, probability``, most probable first."""
        import pandas as pd

        rows = self._ranked()
        return pd.DataFrame({"variable": self.target, "state": [s for s, _ in rows],
                             "probability": np.array([p for _, p in rows], dtype=float)})

    @property
    def top(self) -> tuple[str, float]:
        """The most probable state and its probability."""
        i = int(np.argmax(self.probabilities))
        return self.states[i], float(self.probabilities[i])

    def __getitem__(self, state: str) -> float:
        """P(target = ``state`` | evidence).

        Raises
        ------
        UnknownNameError
            Not a state of the target (a ``KeyError`` and a ``ValueError``), naming the valid states and the closest.
        """
        from .._checks import state as check_state

        return float(self.probabilities[check_state(self.states, state, of=self.target)])

    def __repr__(self) -> str:
        state, p = self.top
        n = len(self.evidence)
        alerts = f"; alerts: {', '.join(a.diagnosis for a in self.alerts)}" if self.alerts else ""
        return (f"<Posterior of {self.target}: {len(self.states)} states | {n} finding{'s' if n != 1 else ''} "
                f"observed; top = {state} {p:.3f}{alerts}>")

    def __str__(self) -> str:
        lines = [f"P({self.target} | evidence)", *(f"  {s:<36} {p:7.3f}" for s, p in self._ranked())]
        lines += _alert_lines(self.alerts)
        lines += _unasked_lines(self.unasked)
        if self.conflict is not None:
            lines.append(_conflict_line(self.conflict))
        ev = ", ".join(f"{k}={v}" for k, v in self.evidence.items()) or "none (prior)"
        lines += [f"evidence: {ev}", f"model: {self.model.short}", DISCLAIMER]
        return "\n".join(lines)

    def __post_init__(self) -> None:
        object.__setattr__(self, "probabilities", read_only(self.probabilities))

    def _title(self) -> str:
        return f"P({self.target} | evidence)"

    def _display_frame(self) -> pd.DataFrame:
        return self.to_frame()[["state", "probability"]]

    def _extra_html(self) -> str:
        return _alerts_html(self.alerts) + _unasked_html(self.unasked)

    def _notes(self) -> list[str]:
        return [] if self.conflict is None else [_conflict_line(self.conflict)]

    def plot(self, ax: "Axes | None" = None) -> "Axes":
        """Horizontal bars of the posterior, most probable on top. Returns the Axes."""
        from ..plotting import bar_posterior

        return bar_posterior(self.to_frame(), title=self._title(), ax=ax)


@dataclass(frozen=True, eq=False)
class Vocabulary(ResultDisplay):
    """The variables a model accepts: names, states, roles, stages and descriptions."""

    variables: tuple["Variable", ...]

    def __iter__(self):
        return iter(v.name for v in self.variables)

    def __len__(self) -> int:
        return len(self.variables)

    def __contains__(self, name: object) -> bool:
        return any(v.name == name for v in self.variables)

    def __getitem__(self, name: str) -> "Variable":
        for v in self.variables:
            if v.name == name:
                return v
        from ..exceptions import UnknownNameError, unknown_name_message

        raise UnknownNameError(unknown_name_message("variable", name, [v.name for v in self.variables]))

    def to_frame(self) -> pd.DataFrame:
        """One row per variable: ``variable, role, stage, states, parents, description``."""
        import pandas as pd

        return pd.DataFrame(
            {
                "variable": [v.name for v in self.variables],
                "role": [v.role for v in self.variables],
                "stage": [v.stage or "" for v in self.variables],
                "states": [" | ".join(v.states) for v in self.variables],
                "parents": [", ".join(v.parents) for v in self.variables],
                "description": [v.description for v in self.variables],
            }
        )

    def __repr__(self) -> str:
        roles: dict[str, int] = {}
        for v in self.variables:
            roles[v.role] = roles.get(v.role, 0) + 1
        parts = ", ".join(f"{n} {r.replace('_', ' ')}" for r, n in roles.items())
        return f"<Vocabulary: {len(self.variables)} variables ({parts})>"

    def __str__(self) -> str:
        blocks = []
        for v in self.variables:
            head = f"{v.name}  ({v.role.replace('_', ' ')}" + (f", {v.stage}" if v.stage else "") + ")"
            states = textwrap.fill(" | ".join(v.states), width=100, initial_indent="    states: ",
                                   subsequent_indent=" " * 12)
            desc = textwrap.fill(v.description, width=100, initial_indent="    ", subsequent_indent="    ")
            blocks.append(f"{head}\n{states}\n{desc}")
        return "\n".join(blocks)

    def _title(self) -> str:
        return f"Vocabulary: {len(self.variables)} variables"

    def _display_frame(self) -> pd.DataFrame:
        return self.to_frame().drop(columns=["parents"])
