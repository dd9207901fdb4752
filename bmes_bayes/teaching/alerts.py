"""Can't-miss alerts.

The diagnoses at or above their threshold given the evidence, whatever their rank (:func:`alerts`), and every can't-miss
diagnosis against its threshold across plausible parameter sets (:class:`AlertCheck`, from :meth:`AlertConfig.assess`).

The can't-miss set, its thresholds and reasoning are read from ``priors/teaching/cant_miss.yaml``
(:mod:`bmes_bayes.teaching._config`); none is written here.

References
----------
Pauker SG, Kassirer JP (1980). The threshold approach to clinical decision making. *N Engl J Med* 302:1109-1117.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import _checks
from ..draws import equal_tailed
from ..exceptions import BmesError
from ..results import DISCLAIMER, ModelInfo, ResultDisplay, frame_text
from ..spec.alerts import Alert
from ..display import freeze

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from ..model import BmesModel
    from ..sensitivity import Uncertainty
    from ..spec.alerts import AlertConfig, AlertRule

__all__ = ["Alert", "AlertCheck", "alerts"]


@dataclass(frozen=True, eq=False)
class AlertCheck(ResultDisplay):
    """Every can't-miss diagnosis against its threshold given the evidence, with its uncertainty over the priors.

    Build with :meth:`AlertConfig.assess` (``model.alert_config.assess(model.uncertainty(evidence, seed=0))``).
    An alert fires when the point model's probability reaches the threshold, exactly as in ``Posterior.alerts``;
    ``p_alert`` says in what share of the parameter sets drawn from the priors it would fire, so a borderline alert
    shows as such.

    Attributes
    ----------
    rules : tuple of AlertRule
    target : str
    probability, lower, upper, p_alert : numpy.ndarray
        Per rule: the point posterior, its equal-tailed ``level`` credible interval and the share of parameter sets
        with probability at or above the threshold (read-only).
    level : float
    n_samples : int
    evidence : dict
    model : ModelInfo
    """

    rules: tuple[AlertRule, ...]
    target: str
    probability: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    p_alert: np.ndarray
    level: float
    n_samples: int
    evidence: dict[str, object]
    model: ModelInfo

    def __post_init__(self) -> None:
        freeze(self, "probability", "lower", "upper", "p_alert")

    @classmethod
    def from_uncertainty(cls, config: "AlertConfig", uncertainty: "Uncertainty") -> "AlertCheck":
        """The check of every rule of ``config`` against the draws of ``uncertainty`` (nothing is recomputed).

        Parameters
        ----------
        config : AlertConfig
        uncertainty : Uncertainty
            From :meth:`BmesModel.sensitivity` for ``config.variable``.

        Returns
        -------
        AlertCheck

        Raises
        ------
        BmesError
            When the uncertainty is about another variable than the alert set.
        """
        if uncertainty.target != config.variable:
            raise BmesError(f"the alert set is about {config.variable!r}, the uncertainty about {uncertainty.target!r}")
        idx = [uncertainty.states.index(r.diagnosis) for r in config.rules]
        samples = uncertainty.samples[:, idx]
        thresholds = np.array([r.threshold for r in config.rules], dtype=float)
        lower, upper = equal_tailed(samples, uncertainty.level) if len(idx) else (np.empty(0), np.empty(0))
        return cls(rules=config.rules, target=config.variable, probability=np.asarray(uncertainty.point)[idx],
                   lower=lower, upper=upper, p_alert=(samples >= thresholds).mean(axis=0), level=uncertainty.level,
                   n_samples=uncertainty.n_samples, evidence=dict(uncertainty.evidence), model=uncertainty.model)

    @property
    def alerts(self) -> tuple[Alert, ...]:
        """The alerts that fire on the point model, most probable first (as ``Posterior.alerts``)."""
        out = [Alert(r.diagnosis, float(p), r.threshold, r.reasoning)
               for r, p in zip(self.rules, self.probability) if p >= r.threshold]
        return tuple(sorted(out, key=lambda a: -a.probability))

    def to_frame(self) -> pd.DataFrame:
        """One row per can't-miss diagnosis, firing alerts first, then by probability.

        Columns: ``diagnosis, threshold, probability, lower, upper, p_alert, alert, reasoning``.
        """
        frame = pd.DataFrame({
            "diagnosis": [r.diagnosis for r in self.rules], "threshold": [r.threshold for r in self.rules],
            "probability": self.probability, "lower": self.lower, "upper": self.upper, "p_alert": self.p_alert,
            "alert": [bool(p >= r.threshold) for r, p in zip(self.rules, self.probability)],
            "reasoning": [r.reasoning for r in self.rules],
        }, columns=["diagnosis", "threshold", "probability", "lower", "upper", "p_alert", "alert", "reasoning"])
        return frame.sort_values(["alert", "probability"], ascending=[False, False], kind="stable"
                                 ).reset_index(drop=True)

    @property
    def verdict(self) -> str:
        """The alerts in words, each with the share of plausible parameter sets in which it fires."""
        n = len(self.rules)
        if n == 0:
            return "No can't-miss alerts are configured."
        frame = self.to_frame()
        fired = frame[frame["alert"]]
        if fired.empty:
            near = frame.assign(ratio=frame["probability"] / frame["threshold"]).sort_values(
                "ratio", ascending=False, kind="stable").iloc[0]
            return (f"None of the {n} can't-miss diagnoses reaches its threshold; the closest is {near['diagnosis']} "
                    f"at {near['probability']:.3f} (threshold {near['threshold']:g}; reached in "
                    f"{near['p_alert']:.0%} of {self.n_samples} plausible parameter sets).")
        parts = [f"{r.diagnosis} {r.probability:.3f} (threshold {r.threshold:g}; fires in {r.p_alert:.0%} of "
                 f"plausible parameter sets)" for r in fired.itertuples()]
        return (f"{len(fired)} of {n} can't-miss diagnoses at or above their threshold, to be actively excluded: "
                + "; ".join(parts) + ".")

    def _title(self) -> str:
        return (f"Can't-miss diagnoses against their thresholds ({self.level:.0%} intervals over "
                f"{self.n_samples} parameter sets)")

    def _display_frame(self) -> pd.DataFrame:
        return self.to_frame().drop(columns=["reasoning"])

    def _notes(self) -> list[str]:
        """The verdict, then each firing alert with its reasoning."""
        return [self.verdict, *(f"Can't-miss alert: {a.diagnosis} {a.probability:.3f} (threshold {a.threshold:g}): "
                                f"{a.reasoning}" for a in self.alerts)]

    def __repr__(self) -> str:
        fired = ", ".join(f"{a.diagnosis} {a.probability:.3f}" for a in self.alerts) or "none"
        return (f"<AlertCheck: {len(self.rules)} can't-miss diagnoses | {self.n_samples} parameter sets; "
                f"alerts: {fired}>")

    def __str__(self) -> str:
        return "\n".join([self._title(), frame_text(self._display_frame()), "", self.verdict,
                          f"model: {self.model.short}", DISCLAIMER])

    def plot(self, ax: "Axes | None" = None) -> "Axes":
        """Each can't-miss diagnosis.

        Its probability (dot) with credible interval, against its threshold (bar), on a log scale; red where the alert
        fires. Returns the Axes.
        """
        from ..plotting import alert_plot

        return alert_plot(self.to_frame(), level=self.level, ax=ax,
                          title=f"Can't-miss diagnoses: P({self.target} | evidence) against the alert threshold")


def _as_config(model: "BmesModel", config: "AlertConfig | str | Path | None") -> "AlertConfig":
    from ..spec.alerts import AlertConfig, load_alert_config

    if config is None:
        return model.alert_config
    if isinstance(config, AlertConfig):
        return config
    return load_alert_config(_checks.path(config, "config"), network=model.network)


def alerts(model: "BmesModel", evidence: Mapping[str, object] | None = None, *,
           config: "AlertConfig | str | Path | None" = None) -> tuple[Alert, ...]:
    """Can't-miss diagnoses at or above their threshold given ``evidence``, whatever their rank.

    Parameters
    ----------
    model : BmesModel
    evidence : mapping, optional
        As for :meth:`BmesModel.posterior`.
    config : AlertConfig or path, optional
        Another alert set (default: ``model.alert_config``, from ``priors/teaching/cant_miss.yaml``).

    Returns
    -------
    tuple of Alert
        ``diagnosis, probability, threshold, reasoning``; most probable first (the same alerts as
        ``Posterior.alerts``).

    Raises
    ------
    EvidenceError
        An unknown variable or state, or impossible evidence.
    SpecError
        A ``config`` file that is malformed.

    References
    ----------
    Pauker SG, Kassirer JP (1980), N Engl J Med 302:1109-17.
    """
    cfg = _as_config(model, config)
    if not cfg.rules:
        return ()
    post = model.posterior(evidence, target=cfg.variable, checks=False)
    return cfg.check(post.states, post.probabilities)
