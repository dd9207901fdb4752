"""Result objects: frozen, labelled, and displayed from their own ``to_frame()`` as text, HTML and plots."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from .spec import Variable
    from .teaching import Alert

__all__ = ["ModelInfo", "Posterior", "Unasked", "Vocabulary", "ResultDisplay", "draws_frame"]

DISCLAIMER = "Educational and research model, not a clinical device."


@dataclass(frozen=True)
class ModelInfo:
    """Provenance carried by every result: what model, which version, which exact files."""

    name: str
    network_version: str
    package_version: str
    digest: str                 # sha256 over the network file and every prior file

    @property
    def short(self) -> str:
        return f"{self.name} {self.network_version} (bmes-bayes {self.package_version}, model {self.digest[:12]})"


class ResultDisplay:
    """The one display of every result: text, HTML and ``to_dict()`` are all built from ``to_frame()``.

    A result defines ``to_frame()`` and ``_title()`` (one line, plain text); the base builds the HTML (the title, the
    frame as a table, the notes, the evidence and the model footer) and the dict. Optional hooks:
    ``_display_frame()`` (the rows shown, default the whole frame), ``_float_format``, ``_notes()`` (plain-text
    paragraphs under the table, default the ``verdict``). The attributes ``evidence`` (a dict) and ``model``
    (:class:`ModelInfo`) are shown when present. ``to_html`` never fails: on any error it shows the escaped text form.
    """

    _float_format = "{:.3f}"

    def _title(self) -> str:
        return type(self).__name__

    def _display_frame(self) -> pd.DataFrame:
        return self.to_frame()  # type: ignore[attr-defined]

    def _notes(self) -> list[str]:
        verdict = getattr(self, "verdict", None)
        return [verdict] if isinstance(verdict, str) and verdict else []

    def _html_body(self) -> str:
        parts = [f"<p><b>{html.escape(self._title())}</b></p>", _frame_html(self._display_frame(), self._float_format)]
        parts += [f"<p>{html.escape(n)}</p>" for n in self._notes()]
        evidence = getattr(self, "evidence", None)
        if isinstance(evidence, dict):
            parts.append(_evidence_html(evidence))
        model = getattr(self, "model", None)
        if isinstance(model, ModelInfo):
            parts.append(_footer_html(model))
        return "<div class='bmes-result'>" + "".join(parts) + "</div>"

    def to_dict(self) -> dict[str, object]:
        """The result as plain Python data (JSON-ready): its kind, title, the rows of ``to_frame()``, the notes and,
        when present, the evidence and the model's identity."""
        frame = self.to_frame()  # type: ignore[attr-defined]
        out: dict[str, object] = {"result": type(self).__name__, "title": self._title(),
                                  "columns": [str(c) for c in frame.columns],
                                  "rows": [{str(k): _plain(v) for k, v in row.items()}
                                           for row in frame.to_dict("records")],
                                  "notes": self._notes()}
        evidence = getattr(self, "evidence", None)
        if isinstance(evidence, dict):
            out["evidence"] = {str(k): _plain(v) for k, v in evidence.items()}
        model = getattr(self, "model", None)
        if isinstance(model, ModelInfo):
            out["model"] = model.short
        return out

    def to_html(self) -> str:
        """An HTML fragment describing the result (self-contained, escaped)."""
        try:
            return self._html_body()
        except Exception:  # a display must never fail: show the text form instead
            try:
                text = repr(self)
            except Exception as exc:  # the text form may rest on the same broken part (e.g. to_frame)
                text = f"<{type(self).__name__}: cannot be displayed ({type(exc).__name__}: {exc})>"
            return f"<pre>{html.escape(text)}</pre>"

    def _repr_html_(self) -> str:
        return self.to_html()


def _plain(value: object) -> object:
    """A frame cell as plain Python (numpy scalars to int/float/bool, tuples to lists, NaN to None)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _frame_html(frame: pd.DataFrame, floatfmt: str = "{:.3f}") -> str:
    return frame.to_html(index=False, escape=True, float_format=floatfmt.format, border=0, classes="bmes-table")


def _evidence_html(evidence: dict[str, object]) -> str:
    if not evidence:
        return "<p><b>Evidence:</b> none (prior)</p>"
    items = ", ".join(f"{html.escape(str(k))}={html.escape(str(v))}" for k, v in evidence.items())
    return f"<p><b>Evidence:</b> {items}</p>"


def _alert_lines(alerts) -> list[str]:
    """Text lines for can't-miss alerts (none when there are none, so other output is unchanged)."""
    if not alerts:
        return []
    import textwrap

    lines = ["can't-miss alerts (at or above threshold, whatever the rank):"]
    for a in alerts:
        lines.append(f"  ! {a.diagnosis:<34} {a.probability:7.3f}  (threshold {a.threshold:g})")
        lines += textwrap.wrap(a.reasoning, width=110, initial_indent="      ", subsequent_indent="      ")
    return lines


def _alerts_html(alerts) -> str:
    if not alerts:
        return ""
    items = "".join(f"<li><b>{html.escape(a.diagnosis)}</b> {a.probability:.3f} (threshold {a.threshold:g}): "
                    f"{html.escape(a.reasoning)}</li>" for a in alerts)
    return f"<p><b>Can't-miss alerts</b> (at or above threshold, whatever the rank)</p><ul>{items}</ul>"


@dataclass(frozen=True)
class Unasked:
    """A history item nobody entered whose state ``state`` would make ``top`` the most probable diagnosis."""

    variable: str
    state: str
    top: str
    probability: float

    def __str__(self) -> str:
        return f"if {self.variable}={self.state}: {self.top} leads ({self.probability:.2f})"


UNASKED_HEAD = "the top diagnosis rests on history nobody entered (filled in from its prevalence):"


def _unasked_lines(unasked) -> list[str]:
    if not unasked:
        return []
    return [UNASKED_HEAD, *(f"  ? {u}" for u in unasked)]


def _unasked_html(unasked) -> str:
    if not unasked:
        return ""
    items = "".join(f"<li>{html.escape(str(u))}</li>" for u in unasked)
    return f"<p><b>Unasked history</b>: {html.escape(UNASKED_HEAD.split(':')[0])}</p><ul>{items}</ul>"


def _conflict_line(value: float) -> str:
    if value > 0:
        return (f"evidence conflict: conf = {value:.2f} > 0: these findings pull against each other "
                "(a miscoded finding, or an atypical case; model.conflict(evidence) says which)")
    return f"evidence conflict: conf = {value:.2f} <= 0: the findings support each other"


def draws_frame(samples: np.ndarray, states, stages=None) -> pd.DataFrame:
    """Monte-Carlo draws in long form: ``draw, state, probability`` from ``(S, K)`` samples, or with ``stages``
    ``stage, draw, state, probability`` from ``(n_stages, S, K)``."""
    samples = np.asarray(samples)
    *lead, n, k = samples.shape
    blocks = int(np.prod(lead)) if lead else 1
    frame = pd.DataFrame({"draw": np.tile(np.repeat(np.arange(n), k), blocks),
                          "state": np.tile(np.array(states, dtype=object), blocks * n),
                          "probability": samples.ravel()})
    if stages is not None:
        frame.insert(0, "stage", np.repeat(np.array(stages, dtype=object), n * k))
    return frame


def _footer_html(model: ModelInfo) -> str:
    """The line every HTML result ends with: which model, and that it is not a clinical device."""
    return f"<p style='font-size:smaller'>{html.escape(model.short)}. {DISCLAIMER}</p>"


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
        return pd.Series(self.probabilities, index=pd.Index(self.states, name="state"), name=self.target)

    def to_frame(self) -> pd.DataFrame:
        """Long format: one row per state, columns ``variable, state, probability``, most probable first."""
        frame = pd.DataFrame({"variable": self.target, "state": list(self.states), "probability": self.probabilities})
        return frame.sort_values("probability", ascending=False, kind="stable").reset_index(drop=True)

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
        from ._checks import state as check_state

        return float(self.probabilities[check_state(self.states, state, of=self.target)])

    def __repr__(self) -> str:
        state, p = self.top
        n = len(self.evidence)
        alerts = f"; alerts: {', '.join(a.diagnosis for a in self.alerts)}" if self.alerts else ""
        return (f"<Posterior of {self.target}: {len(self.states)} states | {n} finding{'s' if n != 1 else ''} "
                f"observed; top = {state} {p:.3f}{alerts}>")

    def __str__(self) -> str:
        lines = [f"P({self.target} | evidence)", *(f"  {s:<36} {p:7.3f}" for s, p in
                 zip(self.to_frame()["state"], self.to_frame()["probability"]))]
        lines += _alert_lines(self.alerts)
        lines += _unasked_lines(self.unasked)
        if self.conflict is not None:
            lines.append(_conflict_line(self.conflict))
        ev = ", ".join(f"{k}={v}" for k, v in self.evidence.items()) or "none (prior)"
        lines += [f"evidence: {ev}", f"model: {self.model.short}", DISCLAIMER]
        return "\n".join(lines)

    def _html_body(self) -> str:
        frame = self.to_frame()[["state", "probability"]]
        return (
            f"<div class='bmes-result'><p><b>P({html.escape(self.target)} | evidence)</b></p>"
            f"{_frame_html(frame)}{_alerts_html(self.alerts)}{_unasked_html(self.unasked)}"
            f"{'' if self.conflict is None else '<p>' + html.escape(_conflict_line(self.conflict)) + '</p>'}"
            f"{_evidence_html(self.evidence)}"
            f"{_footer_html(self.model)}</div>"
        )

    def plot(self, ax: "Axes | None" = None) -> "Axes":
        """Horizontal bars of the posterior, most probable on top. Returns the Axes."""
        from .plotting import bar_posterior

        return bar_posterior(self.to_frame(), title=f"P({self.target} | evidence)", ax=ax)


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
        from .exceptions import UnknownNameError, unknown_name_message

        raise UnknownNameError(unknown_name_message("variable", name, [v.name for v in self.variables]))

    def to_frame(self) -> pd.DataFrame:
        """One row per variable: ``variable, role, stage, states, parents, description``."""
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
        import textwrap

        blocks = []
        for v in self.variables:
            head = f"{v.name}  ({v.role.replace('_', ' ')}" + (f", {v.stage}" if v.stage else "") + ")"
            states = textwrap.fill(" | ".join(v.states), width=100, initial_indent="    states: ",
                                   subsequent_indent=" " * 12)
            desc = textwrap.fill(v.description, width=100, initial_indent="    ", subsequent_indent="    ")
            blocks.append(f"{head}\n{states}\n{desc}")
        return "\n".join(blocks)

    def _html_body(self) -> str:
        return _frame_html(self.to_frame().drop(columns=["parents"]))


def frame_text(frame: pd.DataFrame) -> str:
    """A DataFrame as plain text, for the CLI and ``__str__``."""
    with pd.option_context("display.max_rows", 500, "display.max_columns", 50, "display.width", 200,
                           "display.max_colwidth", 80):
        return frame.to_string(index=False, float_format=lambda x: f"{x:.3f}")

