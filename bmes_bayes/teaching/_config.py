"""The can't-miss alert set and the test costs, read from ``priors/teaching/``: :class:`AlertRule`,
:class:`AlertConfig`, :func:`load_alert_config`, :func:`alert_config_for` and :func:`load_test_costs`.

Kept verbatim from the former ``teaching.py`` (only the relative imports gained a dot): these readers are moving to
``spec/``, and this module will then become an import from there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import _checks
from .._yaml import line_of, load_yaml
from ..exceptions import ArgumentError, BmesError, Problem, SpecError, UnknownNameError, shown, unknown_name_message
from ..results import ResultDisplay, _frame_html
from ..spec import _unknown_keys
from ._common import diagnosis_variable
from .alerts import Alert, AlertCheck

if TYPE_CHECKING:  # pragma: no cover
    from ..sensitivity import Uncertainty
    from ..spec import NetworkSpec, PriorSpec

__all__ = ["AlertConfig", "AlertRule", "alert_config_for", "load_alert_config", "load_test_costs"]

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
        return tuple(r.diagnosis for r in self.rules)

    def __getitem__(self, diagnosis: str) -> AlertRule:
        for r in self.rules:
            if r.diagnosis == diagnosis:
                return r
        raise UnknownNameError(unknown_name_message("can't-miss diagnosis", diagnosis, self.diagnoses))

    def check(self, states: Sequence[str], probabilities: Sequence[float]) -> tuple[Alert, ...]:
        """Alerts for a posterior over ``states``: every rule whose diagnosis has P >= its threshold, most probable first."""
        p = dict(zip(states, np.asarray(probabilities, dtype=float)))
        out = [Alert(r.diagnosis, float(p[r.diagnosis]), r.threshold, r.reasoning)
               for r in self.rules if p[r.diagnosis] >= r.threshold]
        return tuple(sorted(out, key=lambda a: -a.probability))

    def assess(self, uncertainty: "Uncertainty") -> "AlertCheck":
        """Every can't-miss diagnosis against its threshold, at the point model and across plausible parameter sets.

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
        >>> check = model.alert_config.assess(model.sensitivity(evidence, n_samples=200, seed=0))
        >>> check.alerts == model.alerts(evidence)
        True
        """
        return AlertCheck.from_uncertainty(self, uncertainty)

    def to_frame(self) -> pd.DataFrame:
        """One row per can't-miss diagnosis: ``diagnosis, threshold, reasoning, red_flags, source, expert_judgement``."""
        return pd.DataFrame({
            "diagnosis": list(self.diagnoses),
            "threshold": [r.threshold for r in self.rules],
            "reasoning": [r.reasoning for r in self.rules],
            "red_flags": ["; ".join(r.red_flags) for r in self.rules],
            "source": [r.source for r in self.rules],
            "expert_judgement": [r.expert_judgement for r in self.rules],
        }, columns=["diagnosis", "threshold", "reasoning", "red_flags", "source", "expert_judgement"])

    def __repr__(self) -> str:
        if not self.rules:
            return "<AlertConfig: no can't-miss alerts configured>"
        items = ", ".join(f"{r.diagnosis} >= {r.threshold:g}" for r in self.rules)
        where = f" from {self.path}" if self.path else ""
        return f"<AlertConfig: {len(self.rules)} can't-miss diagnoses ({items}){where}>"

    def _html_body(self) -> str:
        return (f"<div class='bmes-result'><p><b>Can't-miss diagnoses</b> (flagged at or above the threshold)</p>"
                f"{_frame_html(self.to_frame()[['diagnosis', 'threshold', 'reasoning']])}</div>")


def _default_alert_path() -> Path:
    from ..model import default_paths

    return default_paths()[1] / "teaching" / "cant_miss.yaml"


def load_alert_config(path: str | Path | None = None, *, network: "NetworkSpec") -> AlertConfig:
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

    Raises
    ------
    SpecError
        Listing every problem with its line: an unknown diagnosis (with the closest name), a threshold outside (0, 1),
        missing reasoning or provenance, unknown keys.
    """
    p = _checks.path(path) if path is not None else _default_alert_path()
    file = str(p)
    data, problems = load_yaml(p)
    if data is None:
        raise SpecError(problems, "can't-miss alert file")
    if not isinstance(data, dict):
        raise SpecError([Problem(file, line_of(data), "an alert file must be a mapping with an 'alerts' mapping")],
                        "can't-miss alert file")
    problems += _unknown_keys(data, _ALERT_TOP_KEYS, file, "the alert file")
    variable = data.get("variable")
    if variable is None:
        try:
            variable = diagnosis_variable(network)
        except BmesError as exc:
            problems.append(Problem(file, line_of(data), str(exc)))
            raise SpecError(problems, "can't-miss alert file") from None
    elif variable not in network:
        problems.append(Problem(file, line_of(data, "variable"), unknown_name_message("variable", variable, network.names)))
        raise SpecError(problems, "can't-miss alert file")
    states = network[variable].states
    body = data.get("alerts")
    if not isinstance(body, dict):
        problems.append(Problem(file, line_of(data, "alerts") or line_of(data),
                                "'alerts' must be a mapping of diagnosis -> {threshold, reasoning, source}"))
        raise SpecError(problems, "can't-miss alert file")
    rules: list[AlertRule] = []
    for diag, item in body.items():
        line = line_of(body, diag)
        before = len(problems)
        if diag not in states:
            problems.append(Problem(file, line, unknown_name_message("diagnosis", diag, states)))
        if not isinstance(item, dict):
            problems.append(Problem(file, line, f"{diag}: expected a mapping with threshold, reasoning and source"))
            continue
        problems += _unknown_keys(item, _ALERT_KEYS, file, f"alert {diag!r}")
        thr = item.get("threshold")
        try:
            thr = _checks.probability(thr, "threshold", low_open=True, high_open=True)
        except ArgumentError:  # not a number, a bool, 0, 1, NaN, an int beyond the float range...
            problems.append(Problem(file, line_of(item, "threshold") or line,
                                    f"{diag}: threshold must be a number strictly between 0 and 1, got {shown(thr)}"))
        reasoning = item.get("reasoning")
        if not isinstance(reasoning, str) or not reasoning.strip():
            problems.append(Problem(file, line_of(item, "reasoning") or line, f"{diag}: 'reasoning' must be non-empty text"))
        flags = item.get("red_flags", [])
        if not isinstance(flags, list) or not all(isinstance(f, str) and f.strip() for f in flags):
            problems.append(Problem(file, line_of(item, "red_flags") or line, f"{diag}: 'red_flags' must be a list of text"))
            flags = []
        source, expert = item.get("source"), item.get("expert_judgement")
        texts = [t for t in (source, expert) if t is not None]
        if not texts or not all(isinstance(t, str) and t.strip() for t in texts):
            problems.append(Problem(file, line, f"{diag}: give a 'source' or an 'expert_judgement' (non-empty text)"))
        if len(problems) == before:
            rules.append(AlertRule(str(diag), float(thr), " ".join(str(reasoning).split()),
                                   tuple(" ".join(f.split()) for f in flags),
                                   " ".join(str(source or "").split()), " ".join(str(expert or "").split())))
    if problems:
        raise SpecError(problems, "can't-miss alert file")
    return AlertConfig(tuple(rules), variable=str(variable), path=file)


def alert_config_for(network: "NetworkSpec", priors: "PriorSpec") -> AlertConfig:
    """The alert set that belongs with a model: ``teaching/cant_miss.yaml`` beside its prior files.

    A model whose prior directory has no such file has no can't-miss alerts (``repr`` says so); a file that exists
    but is malformed raises :class:`SpecError`.
    """
    if not priors.files:
        return AlertConfig(())
    path = Path(priors.files[0]).parent / "teaching" / "cant_miss.yaml"
    if not path.is_file():
        return AlertConfig(())
    return load_alert_config(path, network=network)

def load_test_costs(path: str | Path | None = None, *, network: "NetworkSpec | None" = None) -> dict[str, float]:
    """Relative costs of observing each finding, from ``priors/teaching/test_costs.yaml`` (or ``path``).

    Returns
    -------
    dict
        ``{variable: cost}``, every cost a positive finite number (relative units; see the file).

    Raises
    ------
    SpecError
        Every problem with its line: unknown variable (with the closest name), a cost that is not a positive number,
        a cost without provenance.
    """
    if path is None:
        from ..model import default_paths

        p = default_paths()[1] / "teaching" / "test_costs.yaml"
    else:
        p = _checks.path(path)
    if network is None:
        from ..model import default_paths
        from ..spec import load_network

        network = load_network(default_paths()[0])
    file = str(p)
    data, problems = load_yaml(p)
    if data is None:
        raise SpecError(problems, "test cost file")
    costs_node = data.get("costs") if isinstance(data, dict) else None
    if not isinstance(costs_node, dict):
        raise SpecError(problems + [Problem(file, line_of(data), "a test cost file must hold a 'costs' mapping")],
                        "test cost file")
    for key in data:
        if key not in ("costs", "unit", "note"):
            problems.append(Problem(file, line_of(data, key), f"unknown key {key!r}"))
    out: dict[str, float] = {}
    for var, item in costs_node.items():
        line = line_of(costs_node, var)
        if var not in network:
            problems.append(Problem(file, line, unknown_name_message("variable", var, network.names)))
            continue
        if not isinstance(item, dict):
            problems.append(Problem(file, line, f"{var}: expected a mapping with 'cost' and 'source' or 'expert_judgement'"))
            continue
        cost = item.get("cost")
        try:
            cost = _checks.positive(cost, "cost")
        except ArgumentError:  # not a number, a bool, 0 or less, infinite, an int beyond the float range...
            problems.append(Problem(file, line_of(item, "cost") or line,
                                    f"{var}: cost must be a positive number, got {shown(cost)}"))
            continue
        if not (item.get("source") or item.get("expert_judgement")):
            problems.append(Problem(file, line, f"{var}: give a 'source' or an 'expert_judgement'"))
            continue
        out[str(var)] = float(cost)
    if problems:
        raise SpecError(problems, "test cost file")
    return out

