"""The can't-miss alert thresholds (``priors/teaching/cant_miss.yaml``): which diagnoses to flag, at what probability.

:func:`load_alert_config` reads and validates an alert file against a network with the package's reader pattern
(:mod:`bmes_bayes.spec._reader`): every problem at once with its line, unknown keys named with the valid ones, and
the one provenance rule (a ``source`` or an ``expert_judgement`` for every threshold). :func:`alert_config_for` finds
the file that belongs with a model's priors; the model loads its alerts from here, without the teaching views.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _checks
from .._yaml import line_of
from ..exceptions import ArgumentError, BmesError, Problem, UnknownNameError, shown, unknown_name_message
from ..display import ResultDisplay
from ._paths import default_paths
from ._reader import Reader, clean, is_text
from .network import NetworkSpec, diagnosis_variable

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from ..teaching import AlertCheck
    from .priors import PriorSpec

__all__ = ["Alert", "AlertRule", "AlertConfig", "load_alert_config", "alert_config_for"]

_ALERT_TOP_KEYS = ("variable", "alerts", "note")
_ALERT_KEYS = ("threshold", "reasoning", "red_flags", "source", "expert_judgement", "note")


@dataclass(frozen=True)
class AlertRule:
    """One can't-miss diagnosis: flag it whenever its posterior reaches ``threshold``.

    Attributes
    ----------
    diagnosis : str
    threshold : float
        In (0, 1). The alert fires when P(diagnosis | evidence) >= threshold.
    reasoning : str
        The red-flag reasoning in words, shown with the alert.
    red_flags : tuple of str
        The findings that should raise suspicion, in words.
    source, expert_judgement : str
        Where the threshold and reasoning come from.
    """

    diagnosis: str
    threshold: float
    reasoning: str
    red_flags: tuple[str, ...] = ()
    source: str = ""
    expert_judgement: str = ""


@dataclass(frozen=True)
class Alert:
    """A can't-miss diagnosis at or above its threshold in one posterior (whatever its rank)."""

    diagnosis: str
    probability: float
    threshold: float
    reasoning: str

    def __str__(self) -> str:
        return f"{self.diagnosis} {self.probability:.3f} (threshold {self.threshold:g})"

    def to_dict(self) -> dict[str, object]:
        """The alert as plain Python data: diagnosis, probability, threshold, reasoning."""
        return {"diagnosis": self.diagnosis, "probability": self.probability, "threshold": self.threshold,
                "reasoning": self.reasoning}


@dataclass(frozen=True, eq=False)
class AlertConfig(ResultDisplay):
    """The configurable set of can't-miss diagnoses, with thresholds and reasoning read from a data file.

    Build with :func:`load_alert_config`; the model's own is ``model.alert_config`` (from
    ``priors/teaching/cant_miss.yaml`` beside the prior files). ``AlertConfig(())`` is an empty set (no alerts).
    """

    rules: tuple[AlertRule, ...]
    variable: str = "diagnosis"
    path: str | None = None

    @property
    def diagnoses(self) -> tuple[str, ...]:
        """The can't-miss diagnoses, in the order of the rules."""
        return tuple(r.diagnosis for r in self.rules)

    def __getitem__(self, diagnosis: str) -> AlertRule:
        for r in self.rules:
            if r.diagnosis == diagnosis:
                return r
        raise UnknownNameError(unknown_name_message("can't-miss diagnosis", diagnosis, self.diagnoses))

    def check(self, states: Sequence[str], probabilities: Sequence[float] | np.ndarray) -> tuple[Alert, ...]:
        """Alerts for a posterior over ``states``: every rule whose diagnosis has P >= its threshold, most probable first.

        Parameters
        ----------
        states : sequence of str
            The states of :attr:`variable`.
        probabilities : sequence of float
            Their posterior probabilities, in the same order.

        Returns
        -------
        tuple of Alert
        """
        p = dict(zip(states, np.asarray(probabilities, dtype=float)))
        out = [Alert(r.diagnosis, float(p[r.diagnosis]), r.threshold, r.reasoning)
               for r in self.rules if p[r.diagnosis] >= r.threshold]
        return tuple(sorted(out, key=lambda a: -a.probability))

    def assess(self, uncertainty) -> "AlertCheck":
        """Every can't-miss diagnosis against its threshold, at the point model and across plausible parameter sets.

        A thin alias of :meth:`bmes_bayes.teaching.AlertCheck.from_uncertainty` (imported when called: the teaching
        views are an analysis above this layer).

        Parameters
        ----------
        uncertainty : Uncertainty
            From :meth:`BmesModel.sensitivity` for this set's variable (the diagnosis).

        Returns
        -------
        AlertCheck
            Whether each alert fires on the point model (the same alerts as ``Posterior.alerts``), the credible
            interval of its probability and the share of parameter sets in which it would fire.

        Examples
        --------
        >>> import bmes_bayes
        >>> model = bmes_bayes.load_model()
        >>> evidence = {"joint": "knee", "fever": "yes"}
        >>> check = model.alert_config.assess(model.uncertainty(evidence, n_samples=200, seed=0))
        >>> check.alerts == model.alerts(evidence)
        True
        """
        from ..teaching import AlertCheck

        return AlertCheck.from_uncertainty(self, uncertainty)

    def to_frame(self) -> pd.DataFrame:
        """One row per can't-miss diagnosis: ``diagnosis, threshold, reasoning, red_flags, source, expert_judgement``."""
        import pandas as pd

        return pd.DataFrame({
            "diagnosis": list(self.diagnoses),
            "threshold": [r.threshold for r in self.rules],
            "reasoning": [r.reasoning for r in self.rules],
            "red_flags": ["; ".join(r.red_flags) for r in self.rules],
            "source": [r.source for r in self.rules],
            "expert_judgement": [r.expert_judgement for r in self.rules],
        }, columns=["diagnosis", "threshold", "reasoning", "red_flags", "source", "expert_judgement"])

    def _title(self) -> str:
        return "Can't-miss diagnoses (flagged at or above the threshold)"

    def _display_frame(self) -> pd.DataFrame:
        return self.to_frame()[["diagnosis", "threshold", "reasoning"]]

    def __repr__(self) -> str:
        if not self.rules:
            return "<AlertConfig: no can't-miss alerts configured>"
        items = ", ".join(f"{r.diagnosis} >= {r.threshold:g}" for r in self.rules)
        where = f" from {self.path}" if self.path else ""
        return f"<AlertConfig: {len(self.rules)} can't-miss diagnoses ({items}){where}>"


def _default_alert_path() -> Path:
    return default_paths()[1] / "teaching" / "cant_miss.yaml"


def load_alert_config(path: str | Path | None = None, *, network: NetworkSpec) -> AlertConfig:
    """Read and validate a can't-miss alert file against ``network``.

    Parameters
    ----------
    path : path, optional
        A YAML file in the format of ``priors/teaching/cant_miss.yaml``. Default: the shipped file.
    network : NetworkSpec
        The network whose diagnosis states the file must name (``model.network``).

    Returns
    -------
    AlertConfig
        The can't-miss rules (diagnosis, threshold, reasoning), checked against ``network``.

    Raises
    ------
    SpecError
        Listing every problem with its line: an unknown diagnosis (with the closest name), a threshold outside (0, 1),
        missing reasoning or provenance, unknown keys (with the valid ones). An unknown ``variable`` does not stop
        the reading: every alert is still checked, except that its diagnosis cannot be.
    """
    p = _checks.path(path) if path is not None else _default_alert_path()
    file = str(p)
    reader = Reader("can't-miss alert file")
    data, _ = reader.read(p)
    if data is None:
        reader.fail()
    if not isinstance(data, dict):
        reader.fail(Problem(file, line_of(data), "an alert file must be a mapping with an 'alerts' mapping"))
    reader.unknown_keys(data, _ALERT_TOP_KEYS, file, "the alert file")
    variable = data.get("variable")
    states: tuple[str, ...] | None = None   # None: the variable is unknown, so diagnoses cannot be checked
    if variable is None:
        try:
            variable = diagnosis_variable(network)
        except BmesError as exc:
            reader.problem(file, line_of(data), str(exc))
    elif not isinstance(variable, str) or variable not in network:
        reader.problem(file, line_of(data, "variable"), unknown_name_message("variable", variable, network.names))
    if isinstance(variable, str) and variable in network:
        states = network[variable].states
    body = data.get("alerts")
    if not isinstance(body, dict):
        reader.fail(Problem(file, line_of(data, "alerts") or line_of(data),
                            "'alerts' must be a mapping of diagnosis -> {threshold, reasoning, source}"))
    rules: list[AlertRule] = []
    for diag, item in body.items():
        rule = _rule(reader, file, diag, item, line_of(body, diag), states)
        if rule is not None:
            rules.append(rule)
    reader.done()
    return AlertConfig(tuple(rules), variable=str(variable), path=file)


def _rule(reader: Reader, file: str, diag: object, item: object, line: int | None,
          states: tuple[str, ...] | None) -> AlertRule | None:
    """One alert, every problem of it recorded; None after a problem."""
    before = len(reader.problems)
    if states is not None and diag not in states:
        reader.problem(file, line, unknown_name_message("diagnosis", diag, states))
    if not isinstance(item, dict):
        reader.problem(file, line, f"{diag}: expected a mapping with threshold, reasoning and source")
        return None
    reader.unknown_keys(item, _ALERT_KEYS, file, f"alert {diag!r}")
    thr: Any = item.get("threshold")
    try:
        thr = _checks.probability(thr, "threshold", low_open=True, high_open=True)
    except ArgumentError:  # not a number, a bool, 0, 1, NaN, an int beyond the float range...
        reader.problem(file, line_of(item, "threshold") or line,
                       f"{diag}: threshold must be a number strictly between 0 and 1, got {shown(thr)}")
    reasoning = reader.text(item, "reasoning", file, str(diag), line=line)
    flags = item.get("red_flags", [])
    if not isinstance(flags, list) or not all(is_text(f) for f in flags):
        reader.problem(file, line_of(item, "red_flags") or line, f"{diag}: 'red_flags' must be a list of text")
        flags = []
    prov = reader.provenance(item, file, str(diag), line=line)
    if len(reader.problems) > before or prov is None or reasoning is None:
        return None
    return AlertRule(str(diag), float(thr), reasoning, tuple(clean(f) for f in flags),
                     prov.source or "", prov.expert_judgement or "")


def alert_config_for(network: NetworkSpec, priors: "PriorSpec") -> AlertConfig:
    """The alert set that belongs with a model: ``teaching/cant_miss.yaml`` beside its prior files.

    A model whose prior directory has no such file has no can't-miss alerts (``repr`` says so); a file that exists
    but is malformed raises :class:`SpecError`.

    Parameters
    ----------
    network : NetworkSpec
    priors : PriorSpec
        Its first file's directory is where the alert file is looked for.

    Returns
    -------
    AlertConfig

    Raises
    ------
    SpecError
        The file exists but is malformed (every problem listed).
    """
    if not priors.files:
        return AlertConfig(())
    path = Path(priors.files[0]).parent / "teaching" / "cant_miss.yaml"
    if not path.is_file():
        return AlertConfig(())
    return load_alert_config(path, network=network)
