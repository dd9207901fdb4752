"""The display base of every result, and the small HTML and text pieces results share (layer 0, the foundation).

Every result of the package (the model's own in :mod:`bmes_bayes.results`, the analyses' in their modules) is a frozen
dataclass deriving from :class:`ResultDisplay`: it defines ``to_frame()`` and ``_title()``, and its HTML and
``to_dict()`` are built here from that frame. This module imports nothing of the package but ``exceptions``, so that
any layer may use it.
"""

from __future__ import annotations

import html
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    pass

__all__ = ["DISCLAIMER", "ModelInfo", "ResultDisplay", "draws_frame", "frame_text", "read_only", "UNASKED_HEAD"]

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
        """Network name and version, package version and the first 12 characters of the model digest."""
        return f"{self.name} {self.network_version} (bmes-bayes {self.package_version}, model {self.digest[:12]})"


class ResultDisplay:
    """The one display of every result: text, HTML and ``to_dict()`` are all built from ``to_frame()``.

    A result defines ``to_frame()`` and ``_title()`` (one line, plain text); the base builds the HTML (the title, the
    frame as a table, the notes, the evidence and the model footer) and the dict. Optional hooks:
    ``_display_frame()`` (the rows shown, default the whole frame), ``_float_format``, ``_extra_html()`` (trusted,
    already escaped HTML placed under the table, default none), ``_notes()`` (plain-text paragraphs under that,
    default the ``verdict``). The attributes ``evidence`` (a dict) and ``model``
    (:class:`ModelInfo`) are shown when present. ``to_html`` never fails: on any error it shows the escaped text form.
    """

    _float_format = "{:.3f}"

    def _title(self) -> str:
        return type(self).__name__

    def _display_frame(self) -> pd.DataFrame:
        return self.to_frame()  # type: ignore[attr-defined]

    def _extra_html(self) -> str:
        return ""

    def _notes(self) -> list[str]:
        verdict = getattr(self, "verdict", None)
        return [verdict] if isinstance(verdict, str) and verdict else []

    def _html_body(self) -> str:
        parts = [f"<p><b>{html.escape(self._title())}</b></p>", _frame_html(self._display_frame(), self._float_format),
                 self._extra_html()]
        parts += [f"<p>{html.escape(n)}</p>" for n in self._notes()]
        evidence = getattr(self, "evidence", None)
        if isinstance(evidence, dict):
            parts.append(_evidence_html(evidence))
        model = getattr(self, "model", None)
        if isinstance(model, ModelInfo):
            parts.append(_footer_html(model))
        return "<div class='bmes-result'>" + "".join(parts) + "</div>"

    def to_dict(self) -> dict[str, object]:
        """The result as plain Python data (JSON-ready).

        Its kind, title, the rows of ``to_frame()``, the notes and, when present, the evidence and the model's identity.
        """
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


def read_only(values: Any, dtype: Any = None) -> np.ndarray:
    """A read-only copy of ``values`` as a numpy array, for a frozen result to hold.

    Nothing can change it later, and the caller's own array is left as it was.

    Parameters
    ----------
    values : array_like
    dtype : numpy dtype, optional
        As for :func:`numpy.array` (default: inferred, so values are kept bit for bit).

    Returns
    -------
    numpy.ndarray
        With ``flags.writeable`` False.
    """
    arr = np.array(values, dtype=dtype, copy=True)
    arr.flags.writeable = False
    return arr


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
    """Monte-Carlo draws in long form.

    ``draw, state, probability`` from ``(S, K)`` samples, or with ``stages`` ``stage, draw, state, probability`` from
    ``(n_stages, S, K)``.
    """
    import pandas as pd

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


def frame_text(frame: pd.DataFrame) -> str:
    """A DataFrame as plain text, for the CLI and ``__str__``."""
    import pandas as pd

    with pd.option_context("display.max_rows", 500, "display.max_columns", 50, "display.width", 200,
                           "display.max_colwidth", 80):
        return frame.to_string(index=False, float_format=lambda x: f"{x:.3f}")


def freeze(result: object, *names: str) -> None:
    """Make the named array attributes of a frozen result read-only.

    Each becomes a read-only view: the caller's array is left as it was. Called from ``__post_init__``; an attribute
    that is None (an optional array not kept) stays None.
    """
    for name in names:
        if getattr(result, name) is None:
            continue
        arr = np.asarray(getattr(result, name))
        if arr.flags.writeable:
            arr = arr.view()
            arr.flags.writeable = False
        object.__setattr__(result, name, arr)
