"""Teaching differential reasoning: the work-up trajectory, why the model believes what it believes, likelihood
ratios with a Fagan view, which test next, and can't-miss alerts.

Everything here is exact inference on the point model (the same engine as :meth:`BmesModel.posterior`), except the
credible bands of the work-up, which come from :meth:`BmesModel.sensitivity` (exact inference for each parameter set
drawn from the priors). Every clinical number (the can't-miss set, its thresholds and reasoning, test costs) is read
from ``priors/teaching/``; none is written here.

Weight of evidence (the additive form)
--------------------------------------
Take the observed items ``e_1 .. e_n`` in network order (context, risk factors, then the findings in work-up order).
The weight of evidence of ``e_i`` for a diagnosis ``h`` against an alternative ``a`` is Good's

    W_i(h : a) = ln P(e_i | h, e_1..e_{i-1}) - ln P(e_i | a, e_1..e_{i-1}),

the log of a likelihood ratio conditional on the items before it. By the chain rule the weights add up exactly:

    ln O(h : a | e_1..e_n) = ln O(h : a) + sum_i W_i(h : a),

where ``O(h : a) = P(h) / P(a)`` is the prior odds (no evidence at all). Against "all others" the alternative is the
composite ``not h``, as in Good's W(h : e) and Hugin's evidence sensitivity analysis. A finding whose only parent is
the diagnosis has ``P(e_i | h, e_<i) = P(e_i | h)``, so its weight does not depend on the order; the order matters only
for items that depend on each other given the diagnosis (context and risk factors, which are its parents).
Weights are reported in nats (``woe``), in decibans (``10 log10 LR``, Good and Turing's unit) and as the
likelihood ratio itself.

Which test next
---------------
For an unobserved variable ``X`` the expected reduction of the entropy of the diagnosis ``D`` is the mutual
information ``I(D; X | e) = H(D | e) - sum_x P(x | e) H(D | e, x)`` (in bits), Netica's "entropy reduction". It is
zero for an observed variable and never negative. The can't-miss measure is the expected absolute change
``sum_c sum_x P(x | e) |P(c | e, x) - P(c | e)|`` summed over the can't-miss diagnoses ``c`` (the expected signed
change is zero: a posterior is a martingale).

References
----------
Good IJ (1950). *Probability and the Weighing of Evidence*. London: Griffin.
Good IJ (1985). Weight of evidence: a brief survey. In *Bayesian Statistics 2*, 249-270.
Hugin Expert. Evidence sensitivity analysis (which findings speak for or against a hypothesis; what if a finding
had been different). https://download.hugin.com/webdocs/manuals/8.8/Htmlhelp/pages/Manual/MethodsOfAnalysis/EvidenceSensitivityAnalysis.html
Norsys Netica. Sensitivity to findings (entropy reduction / mutual information).
https://www.norsys.com/WebHelp/NETICA/X_Sensitivity_Analysis.htm
Fagan TJ (1975). Nomogram for Bayes's theorem. *N Engl J Med* 293:257.
Pauker SG, Kassirer JP (1980). The threshold approach to clinical decision making. *N Engl J Med* 302:1109-1117.
Van Allen T, Singh A, Greiner R, Hooper P (2008). Quantifying the uncertainty of a belief net response.
*Artificial Intelligence* 172:483-513.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from . import _checks
from .evidence import Evidence, as_mapping
from .exceptions import (ArgumentError, ArgumentTypeError, BmesError, EvidenceError, ImpossibleEvidenceError,
                         UnknownNameError, listing, shown, unknown_name_message)
from .results import (DISCLAIMER, ModelInfo, Posterior, ResultDisplay, _alerts_html, _evidence_html, _footer_html,
                      _frame_html, draws_frame, frame_text)
from .spec import (Alert, AlertConfig, AlertRule, alert_config_for, diagnosis_variable, load_alert_config,  # data layer
                   load_test_costs)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from .model import BmesModel
    from .scenarios import Scenario
    from .sensitivity import Uncertainty

__all__ = [
    "ALL_OTHERS",
    "Alert",
    "AlertCheck",
    "AlertConfig",
    "AlertRule",
    "Explanation",
    "LikelihoodRatio",
    "NextTest",
    "WhatIf",
    "Workup",
    "alert_config_for",
    "alerts",
    "explain",
    "likelihood_ratio",
    "load_alert_config",
    "load_test_costs",
    "next_test",
    "workup",
]

ALL_OTHERS = "all_others"        # the composite alternative "not h" in weight-of-evidence tables
DECIBANS_PER_NAT = 10.0 / math.log(10.0)
BITS_PER_NAT = 1.0 / math.log(2.0)
NEUTRAL = 1e-9                   # |weight| in nats below which a finding is called neutral
ROUNDOFF = 1e-12                 # information values above -ROUNDOFF are round-off of zero
CANDIDATE_ROLES = ("risk_factor", "finding")  # default "which test next" candidates: history questions and tests


# ======================================================================================= helpers
def _sorted_labels(model: "BmesModel", labels: Mapping[str, str]) -> dict[str, str]:
    order = {n: i for i, n in enumerate(model.network.names)}
    return {k: labels[k] for k in sorted(labels, key=order.__getitem__)}


def _with_hard(model: "BmesModel", ev: Evidence, var: str, index: int) -> Evidence:
    """``ev`` with ``var`` observed in state ``index`` (replacing any evidence already on ``var``)."""
    labels = {k: v for k, v in ev.labels.items() if k != var}
    labels[var] = model.network[var].states[index]
    return Evidence({**{k: v for k, v in ev.hard.items() if k != var}, var: index},
                    {k: v for k, v in ev.soft.items() if k != var}, _sorted_labels(model, labels))


def _with_soft(model: "BmesModel", ev: Evidence, var: str, likelihood: np.ndarray, label: str) -> Evidence:
    labels = {k: v for k, v in ev.labels.items() if k != var}
    labels[var] = label
    return Evidence({k: v for k, v in ev.hard.items() if k != var},
                    {**{k: v for k, v in ev.soft.items() if k != var}, var: np.asarray(likelihood, float)},
                    _sorted_labels(model, labels))


def _dist(model: "BmesModel", ev: Evidence, target: str) -> np.ndarray:
    """Exact P(target | ev) under the point model, as a 1-d array."""
    return np.asarray(model.query(ev, target).posterior[0], dtype=float)


def _entropy_bits(p: np.ndarray) -> float:
    p = np.asarray(p, dtype=float)
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def _label(evidence: Mapping[str, object]) -> str:
    return ", ".join(f"{k}={v}" for k, v in evidence.items()) or "none (prior)"


def _check_variable(model: "BmesModel", name: object, what: str = "variable") -> str:
    return _checks.variable(model.network, name, what)


def _check_state(model: "BmesModel", var: str, state: object, name: str = "state") -> int:
    return _checks.state(model.network[var].states, state, of=var, name=name)


# ======================================================================================= can't-miss alerts
@dataclass(frozen=True, eq=False)
class AlertCheck(ResultDisplay):
    """Every can't-miss diagnosis against its threshold given the evidence, with its uncertainty over the priors.

    Build with :meth:`AlertConfig.assess` (``model.alert_config.assess(model.sensitivity(evidence, seed=0))``).
    An alert fires when the point model's probability reaches the threshold, exactly as in ``Posterior.alerts``;
    ``p_alert`` says in what share of the parameter sets drawn from the priors it would fire, so a borderline alert
    shows as such.

    Attributes
    ----------
    rules : tuple of AlertRule
    target : str
    probability, lower, upper, p_alert : numpy.ndarray
        Per rule: the point posterior, its equal-tailed ``level`` credible interval and the share of parameter sets
        with probability at or above the threshold.
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

    @classmethod
    def from_uncertainty(cls, config: AlertConfig, uncertainty: "Uncertainty") -> "AlertCheck":
        if uncertainty.target != config.variable:
            raise BmesError(f"the alert set is about {config.variable!r}, the uncertainty about {uncertainty.target!r}")
        idx = [uncertainty.states.index(r.diagnosis) for r in config.rules]
        samples = uncertainty.samples[:, idx]
        thresholds = np.array([r.threshold for r in config.rules], dtype=float)
        lo, hi = (1 - uncertainty.level) / 2, (1 + uncertainty.level) / 2
        q = np.quantile(samples, [lo, hi], axis=0) if len(idx) else np.empty((2, 0))
        return cls(rules=config.rules, target=config.variable, probability=np.asarray(uncertainty.point)[idx],
                   lower=q[0], upper=q[1], p_alert=(samples >= thresholds).mean(axis=0), level=uncertainty.level,
                   n_samples=uncertainty.n_samples, evidence=dict(uncertainty.evidence), model=uncertainty.model)

    @property
    def alerts(self) -> tuple[Alert, ...]:
        """The alerts that fire on the point model, most probable first (as ``Posterior.alerts``)."""
        out = [Alert(r.diagnosis, float(p), r.threshold, r.reasoning)
               for r, p in zip(self.rules, self.probability) if p >= r.threshold]
        return tuple(sorted(out, key=lambda a: -a.probability))

    def to_frame(self) -> pd.DataFrame:
        """One row per can't-miss diagnosis, firing alerts first, then by probability. Columns: ``diagnosis,
        threshold, probability, lower, upper, p_alert, alert, reasoning``."""
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

    def __repr__(self) -> str:
        fired = ", ".join(f"{a.diagnosis} {a.probability:.3f}" for a in self.alerts) or "none"
        return (f"<AlertCheck: {len(self.rules)} can't-miss diagnoses | {self.n_samples} parameter sets; "
                f"alerts: {fired}>")

    def __str__(self) -> str:
        frame = self.to_frame().drop(columns=["reasoning"])
        return "\n".join([f"Can't-miss diagnoses against their thresholds ({self.level:.0%} intervals over "
                          f"{self.n_samples} parameter sets)", frame_text(frame), "", self.verdict,
                          f"model: {self.model.short}", DISCLAIMER])

    def _html_body(self) -> str:
        frame = self.to_frame().drop(columns=["reasoning"])
        return (f"<div class='bmes-result'><p><b>Can't-miss diagnoses against their thresholds</b> "
                f"({self.level:.0%} intervals over {self.n_samples} parameter sets)</p>{_frame_html(frame)}"
                f"<p>{html.escape(self.verdict)}</p>{_alerts_html(self.alerts)}{_evidence_html(self.evidence)}"
                f"{_footer_html(self.model)}</div>")

    def plot(self, ax: "Axes | None" = None) -> "Axes":
        """Each can't-miss diagnosis: its probability (dot) with credible interval, against its threshold (bar),
        on a log scale; red where the alert fires. Returns the Axes."""
        from .plotting import alert_plot

        return alert_plot(self.to_frame(), level=self.level, ax=ax,
                          title=f"Can't-miss diagnoses: P({self.target} | evidence) against the alert threshold")


def _as_config(model: "BmesModel", config: "AlertConfig | str | Path | None") -> AlertConfig:
    if config is None:
        return model.alert_config
    if isinstance(config, AlertConfig):
        return config
    return load_alert_config(_checks.path(config, "config"), network=model.network)


def alerts(model: "BmesModel", evidence: Mapping[str, object] | None = None, *,
           config: "AlertConfig | str | Path | None" = None) -> tuple[Alert, ...]:
    """See :meth:`bmes_bayes.BmesModel.alerts`."""
    cfg = _as_config(model, config)
    if not cfg.rules:
        return ()
    post = model.posterior(evidence, target=cfg.variable, checks=False)
    return cfg.check(post.states, post.probabilities)


# ======================================================================================= work-up trajectory
def _stage_items(stages: "Scenario | Sequence[object]") -> tuple[str, list[tuple[str, dict[str, object]]]]:
    """(name, [(stage name, evidence added)]) from a Scenario or a sequence of (name, evidence) pairs."""
    from .scenarios import Scenario

    if isinstance(stages, Scenario):
        return stages.name, [(st.stage, dict(st.evidence)) for st in stages.stages]
    if isinstance(stages, (str, bytes, Mapping)) or not isinstance(stages, Sequence):
        raise EvidenceError("stages must be a Scenario, an ordered list of evidence mappings (stages named by order), "
                            "or of (stage name, evidence mapping) pairs, such as [('history', {'joint': 'hip'}), "
                            f"('mri', {{...}})]; got {type(stages).__name__}")
    items: list[tuple[str, dict[str, object]]] = []
    for i, item in enumerate(stages, start=1):
        if hasattr(item, "stage") and hasattr(item, "evidence"):
            name, ev = item.stage, item.evidence
        elif isinstance(as_mapping(item), Mapping):  # a plain evidence mapping: the stage is named by its order
            name, ev = f"stage {i}", item
        elif isinstance(item, Sequence) and not isinstance(item, (str, bytes)) and len(item) == 2:
            name, ev = item
        else:
            raise EvidenceError(f"stage {i}: expected an evidence mapping or a (stage name, evidence mapping) pair, "
                                f"got {shown(item)}")
        if not isinstance(name, str) or not name.strip():
            raise EvidenceError(f"stage {i}: the stage name must be non-empty text, got {name!r}")
        ev = as_mapping(ev)
        if not isinstance(ev, Mapping):
            raise EvidenceError(f"stage {i} ({name}): evidence must be a mapping of variable to state, "
                                f"got {type(ev).__name__}")
        items.append((name, dict(ev)))
    if not items:
        raise EvidenceError("stages is empty: give at least one (stage name, evidence) pair")
    return "work-up", items


def _int_seed(seed: None | int | np.random.Generator) -> int:
    """An int seed to share across stages (so every stage uses the same parameter sets), recorded for reuse."""
    from ._seed import as_generator

    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**63 - 1))
    if seed is None:
        return int(np.random.SeedSequence().entropy % (2**63 - 1))
    as_generator(seed)  # validates (bool, float, negative -> BmesError)
    return int(seed)


@dataclass(frozen=True, eq=False)
class Workup(ResultDisplay):
    """The posterior of the diagnosis after each stage of a work-up, with credible bands.

    Attributes
    ----------
    name : str
        The scenario's name, or "work-up".
    stages : tuple of str
        Stage names, in order.
    added : tuple of dict
        The evidence each stage adds.
    posteriors : tuple of Posterior
        The exact (point-model) posterior after each stage, on all evidence so far (with its can't-miss alerts).
    samples : numpy.ndarray
        ``(n_stages, n_samples, K)``: exact posteriors for parameter sets drawn from the priors; every stage uses the
        same parameter sets (the same seed), so each row is one plausible model's whole trajectory.
    level : float
        Credible level of the bands (equal-tailed).
    seed : int
        The seed used (drawn at random and recorded when none was given), so the run can be repeated.
    n_impossible : int
        Parameter sets drawn under which the evidence of some stage is impossible: left out of ``samples`` (at
        every stage, so that each row stays one model's trajectory) and counted here.
    """

    name: str
    stages: tuple[str, ...]
    added: tuple[dict[str, object], ...]
    posteriors: tuple[Posterior, ...]
    samples: np.ndarray
    level: float
    seed: int
    model: ModelInfo
    n_impossible: int = 0

    def draws(self) -> pd.DataFrame:
        """The draws in long form: columns ``stage, draw, state, probability`` (one row per stage, parameter set and
        state); the same parameter sets at every stage, so ``draw`` follows one plausible model's trajectory."""
        return draws_frame(self.samples, self.posteriors[0].states, stages=self.stages)

    def to_xarray(self) -> "xarray.Dataset":
        """An ``xarray.Dataset``: ``posterior`` with dims ``stage``, ``draw``, ``state`` (the same parameter sets at
        every stage) and ``point`` (dims ``stage``, ``state``), with the seed, level and model in ``attrs``. Needs
        the ``xarray`` extra; round-trips through netCDF."""
        from .draws import xarray_module as _xarray

        xr = _xarray()
        point = np.stack([p.probabilities for p in self.posteriors])
        return xr.Dataset({"posterior": (("stage", "draw", "state"), self.samples),
                           "point": (("stage", "state"), point)},
                          coords={"stage": list(self.stages), "draw": np.arange(self.n_samples),
                                  "state": list(self.states)},
                          attrs={"target": self.target, "name": self.name, "seed": int(self.seed),
                                 "level": self.level, "model": self.model.short, "disclaimer": DISCLAIMER})

    @property
    def target(self) -> str:
        return self.posteriors[0].target

    @property
    def states(self) -> tuple[str, ...]:
        return self.posteriors[0].states

    @property
    def n_samples(self) -> int:
        return int(self.samples.shape[1])

    @property
    def final(self) -> Posterior:
        """The posterior after the last stage (all the evidence)."""
        return self.posteriors[-1]

    def uncertainty(self, stage: int | str = -1) -> "Uncertainty":
        """The credible intervals after one stage (an index, negative from the end, or a stage name), as
        :meth:`BmesModel.sensitivity` gives them for that stage's cumulative evidence with the same ``n_samples``,
        seed and level: the same draws, so nothing is recomputed."""
        from .sensitivity import Uncertainty

        if isinstance(stage, str):
            if stage not in self.stages:
                raise UnknownNameError(unknown_name_message("stage", stage, self.stages))
            i = self.stages.index(stage)
        else:
            n = len(self.stages)
            i = _checks.count(stage, "stage", minimum=-n, maximum=n - 1) % n
        post = self.posteriors[i]
        return Uncertainty(target=post.target, states=post.states, point=post.probabilities, samples=self.samples[i],
                           level=self.level, threshold=0.9, seed=self.seed, evidence=dict(post.evidence),
                           model=self.model)

    @property
    def alerts(self) -> tuple[Alert, ...]:
        """Can't-miss alerts on the final posterior."""
        return self.final.alerts

    @property
    def evidence(self) -> dict[str, object]:
        """All evidence of all stages."""
        return dict(self.final.evidence)

    def to_frame(self) -> pd.DataFrame:
        """Long format, one row per stage and diagnosis.

        Columns: ``stage_index`` (1 for the first stage), ``stage``, ``diagnosis``, ``probability`` (point model),
        ``lower``, ``upper`` (equal-tailed ``level`` band over the parameter sets), ``p_top`` (share of parameter
        sets in which the diagnosis is first at that stage) and ``alert`` (a can't-miss alert fires).
        """
        lo, hi = (1 - self.level) / 2, (1 + self.level) / 2
        frames = []
        k = len(self.states)
        for i, (stage, post) in enumerate(zip(self.stages, self.posteriors)):
            q = np.quantile(self.samples[i], [lo, hi], axis=0)
            top = np.bincount(self.samples[i].argmax(axis=1), minlength=k) / self.n_samples
            flagged = {a.diagnosis for a in post.alerts}
            frames.append(pd.DataFrame({
                "stage_index": i + 1, "stage": stage, "diagnosis": list(self.states),
                "probability": post.probabilities, "lower": q[0], "upper": q[1], "p_top": top,
                "alert": [s in flagged for s in self.states],
            }))
        return pd.concat(frames, ignore_index=True)

    def table(self) -> pd.DataFrame:
        """Wide text view: one row per diagnosis (most probable at the end first), one column per stage,
        cells ``"0.31 [0.18, 0.45]"`` with ``!`` marking a can't-miss alert."""
        frame = self.to_frame()
        order = list(self.final.to_frame()["state"])
        cols = {}
        for i, stage in enumerate(self.stages, start=1):
            part = frame[frame["stage_index"] == i].set_index("diagnosis")
            cols[f"{i} {stage}"] = [f"{part.at[d, 'probability']:.2f} [{part.at[d, 'lower']:.2f}, {part.at[d, 'upper']:.2f}]"
                                    + ("!" if part.at[d, "alert"] else " ") for d in order]
        return pd.DataFrame({"diagnosis": order, **cols})

    def __repr__(self) -> str:
        first, last = self.posteriors[0], self.final
        top, p = last.top
        i = self.states.index(top)
        lo, hi = np.quantile(self.samples[-1][:, i], [(1 - self.level) / 2, (1 + self.level) / 2])
        alert = ", ".join(a.diagnosis for a in last.alerts) or "none"
        return (f"<Workup {self.name}: {len(self.stages)} stages, {len(self.states)} diagnoses, "
                f"{self.n_samples} parameter sets; {top} {first[top]:.2f} -> {p:.2f} [{lo:.2f}, {hi:.2f}]; "
                f"alerts at the end: {alert}>")

    def __str__(self) -> str:
        lines = [f"Work-up {self.name}: P({self.target} | evidence so far), point value "
                 f"[{self.level:.0%} band over {self.n_samples} parameter sets, seed {self.seed}]; ! = can't-miss alert"]
        for i, (stage, added) in enumerate(zip(self.stages, self.added), start=1):
            lines.append(f"  stage {i} {stage}: {_label(added)}")
        lines += ["", frame_text(self.table()), "", f"model: {self.model.short}", DISCLAIMER]
        return "\n".join(lines)

    def _html_body(self) -> str:
        stages = "".join(f"<li><b>{html.escape(s)}</b>: {html.escape(_label(a))}</li>"
                         for s, a in zip(self.stages, self.added))
        return (f"<div class='bmes-result'><p><b>Work-up {html.escape(self.name)}</b>: P({html.escape(self.target)} | "
                f"evidence so far), {self.level:.0%} bands over {self.n_samples} parameter sets (seed {self.seed}); "
                f"! marks a can't-miss alert</p><ol>{stages}</ol>{_frame_html(self.table())}"
                f"{_footer_html(self.model)}</div>")

    def plot(self, ax: "Axes | None" = None, *, diagnoses: Sequence[str] | None = None,
             min_probability: float = 0.05, bands: int = 3) -> "Axes":
        """Trajectory of each diagnosis across the stages: lines for the point model, shaded credible bands,
        a red ring where a can't-miss alert fires. Returns the Axes.

        Parameters
        ----------
        diagnoses : sequence of str, optional
            Which diagnoses to draw. Default: those reaching ``min_probability`` at some stage, plus any alert.
        bands : int, default 3
            Shade the credible band of this many diagnoses (the most probable at the last stage).
        """
        from .plotting import trajectory_plot

        bands = _checks.count(bands, "bands", minimum=0)
        min_probability = _checks.probability(min_probability, "min_probability")
        frame = self.to_frame()
        if diagnoses is None:
            peak = frame.groupby("diagnosis")["probability"].max()
            flagged = set(frame.loc[frame["alert"], "diagnosis"])
            diagnoses = [d for d in self.states if peak[d] >= min_probability or d in flagged]
        else:
            if isinstance(diagnoses, (str, bytes)) or not isinstance(diagnoses, Iterable):
                raise ArgumentTypeError(f"diagnoses must be a list of diagnoses, got {shown(diagnoses)}")
            diagnoses = list(diagnoses)
            for d in diagnoses:
                _checks.state(self.states, d, of=self.target, name="diagnoses")
        return trajectory_plot(frame, states=self.states, diagnoses=list(diagnoses), level=self.level, bands=bands,
                               ax=ax,
                               title=f"Work-up {self.name}: P({self.target} | evidence so far)")


def workup(model: "BmesModel", stages: "Scenario | Sequence[object]", *, n_samples: int = 500,
           seed: None | int | np.random.Generator = None, level: float = 0.9) -> Workup:
    """See :meth:`bmes_bayes.BmesModel.workup`."""
    from .draws import sample_count

    level = _checks.level(level)
    name, items = _stage_items(stages)
    target = diagnosis_variable(model.network)
    n_samples = sample_count(model, n_samples, target, stages=len(items))
    seen: dict[str, str] = {}
    cumulative: list[dict[str, object]] = []
    acc: dict[str, object] = {}
    for i, (stage, ev) in enumerate(items, start=1):
        for var in ev:
            if var in seen:
                raise EvidenceError(f"{var} is given again in stage {i} ({stage}); it was first given in {seen[var]}")
            seen[var] = f"stage {i} ({stage})"
        acc = {**acc, **ev}
        cumulative.append(dict(acc))
    from .draws import possible_draws, posterior_draws_for

    seed_int = _int_seed(seed)
    posteriors = [model.posterior(ev, target=target, checks=False) for ev in cumulative]
    samples, _ = posterior_draws_for(model, cumulative, target=target, n_samples=int(n_samples), seed=seed_int,
                                     progress=False)   # every stage under the same parameter sets, drawn once
    stacked = np.stack(samples)
    possible = possible_draws(stacked, posteriors[-1].evidence, stacklevel=4)  # each row: one model's trajectory
    return Workup(name=name, stages=tuple(s for s, _ in items), added=tuple(ev for _, ev in items),
                  posteriors=tuple(posteriors), samples=stacked[:, possible] if not possible.all() else stacked,
                  level=level, seed=seed_int, model=model.info, n_impossible=int((~possible).sum()))


# ======================================================================================= explanation
@dataclass(frozen=True, eq=False)
class WhatIf(ResultDisplay):
    """The posterior had one observed item been different (every other state of every hard evidence item).

    ``to_frame()`` columns: ``variable, observed_state, state, observed, possible, diagnosis, probability``;
    ``probability`` is NaN where the changed evidence is impossible.
    """

    target_state: str
    states: tuple[str, ...]
    evidence: dict[str, object]
    frame: pd.DataFrame
    model: ModelInfo

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()

    def summary(self) -> pd.DataFrame:
        """One row per variable and state: ``variable, observed_state, state, observed, possible, p_target, top,
        p_top, change`` (``change`` = P(target) under that state minus the actual posterior), largest swing first."""
        rows = []
        for (var, state), part in self.frame.groupby(["variable", "state"], sort=False):
            part = part.set_index("diagnosis")
            actual = self.frame[(self.frame["variable"] == var) & self.frame["observed"]].set_index("diagnosis")
            p_t = part.at[self.target_state, "probability"]
            possible = bool(part["possible"].iloc[0])
            top = part["probability"].idxmax() if possible else ""
            rows.append({"variable": var, "observed_state": part["observed_state"].iloc[0], "state": state,
                         "observed": bool(part["observed"].iloc[0]), "possible": possible, "p_target": p_t,
                         "top": top, "p_top": part["probability"].max() if possible else float("nan"),
                         "change": p_t - actual.at[self.target_state, "probability"]})
        out = pd.DataFrame(rows, columns=["variable", "observed_state", "state", "observed", "possible", "p_target",
                                          "top", "p_top", "change"])
        swing = out.groupby("variable")["change"].transform(lambda c: c.abs().max())
        return (out.assign(_swing=swing).sort_values(["_swing", "variable", "observed"], ascending=[False, True, False],
                                                      kind="stable").drop(columns="_swing").reset_index(drop=True))

    def __repr__(self) -> str:
        n = self.frame["variable"].nunique() if len(self.frame) else 0
        s = self.summary()
        alt = s[~s["observed"] & s["possible"]]
        if len(alt):
            big = alt.iloc[alt["change"].abs().argmax()]
            most = f"; largest swing: {big['variable']}={big['state']} moves {self.target_state} by {big['change']:+.2f}"
        else:
            most = ""
        return f"<WhatIf for {self.target_state}: {n} observed items{most}>"

    def __str__(self) -> str:
        return "\n".join(self.text())

    def text(self, *, limit: int | None = None) -> list[str]:
        """Lines of text, largest swing first; ``limit`` keeps that many alternatives."""
        s = self.summary()
        alternatives = s[~s["observed"]]
        lines = [f"What if one observed item had been different? P({self.target_state}) now "
                 f"{self._actual():.3f}; each line changes one item and keeps the rest"]
        shown = alternatives if limit is None else alternatives.head(_checks.count(limit, "limit"))
        for _, r in shown.iterrows():
            if not r["possible"]:
                lines.append(f"  {r['variable']}={r['state']} (instead of {r['observed_state']}): impossible with the rest")
            else:
                lines.append(f"  {r['variable']}={r['state']} (instead of {r['observed_state']}): "
                             f"{self.target_state} {r['p_target']:.3f} ({r['change']:+.3f}); top {r['top']} {r['p_top']:.3f}")
        if len(shown) < len(alternatives):
            lines.append(f"  ... {len(alternatives) - len(shown)} more (smaller swings)")
        return lines

    def _actual(self) -> float:
        obs = self.frame[self.frame["observed"] & (self.frame["diagnosis"] == self.target_state)]
        return float(obs["probability"].iloc[0]) if len(obs) else float("nan")

    def _html_body(self) -> str:
        return (f"<div class='bmes-result'><p><b>What if one observed item had been different?</b> "
                f"P({html.escape(self.target_state)}) under each alternative state</p>"
                f"{_frame_html(self.summary())}</div>")

    def plot(self, ax: "Axes | None" = None) -> "Axes":
        """P(target) under each state of each observed item; the observed state is the filled diamond."""
        from .plotting import what_if_plot

        return what_if_plot(self.summary(), target=self.target_state, actual=self._actual(), ax=ax)


@dataclass(frozen=True, eq=False)
class Explanation(ResultDisplay):
    """Why the model believes what it believes: each observed item's weight of evidence for ``target_state``.

    See the module docstring for the exact definition (sequential conditional likelihood ratios in network order, so
    that ``log posterior odds = log prior odds + sum of weights`` holds exactly against every alternative).

    Attributes
    ----------
    target_state : str
        The diagnosis explained (the most probable one unless chosen).
    variables, labels, roles, stages : tuple of str
        The evidence items in network order, their states, roles and work-up stages.
    steps : numpy.ndarray
        ``(n + 1, K)``: P(diagnosis | first i items) for i = 0 (no evidence) .. n (all the evidence).
    what_if : WhatIf
        The posterior had each observed item been different.
    """

    target: str
    target_state: str
    states: tuple[str, ...]
    variables: tuple[str, ...]
    labels: tuple[str, ...]
    roles: tuple[str, ...]
    stages: tuple[str, ...]
    steps: np.ndarray
    what_if: WhatIf
    evidence: dict[str, object]
    model: ModelInfo

    @property
    def prior(self) -> np.ndarray:
        """P(diagnosis) with no evidence at all."""
        return self.steps[0]

    @property
    def posterior(self) -> np.ndarray:
        """P(diagnosis | all the evidence)."""
        return self.steps[-1]

    def _log_odds(self, row: np.ndarray, alternative: str) -> float:
        t = self.states.index(self.target_state)
        with np.errstate(divide="ignore"):
            if alternative == ALL_OTHERS:
                return float(np.log(row[t]) - np.log(row.sum() - row[t] if row.sum() - row[t] > 0 else 0.0))
            return float(np.log(row[t]) - np.log(row[self.states.index(alternative)]))

    def _check_alternative(self, alternative: str) -> None:
        options = [ALL_OTHERS, *[s for s in self.states if s != self.target_state]]
        if alternative not in options:
            raise EvidenceError(unknown_name_message("alternative", alternative, options))

    def log_prior_odds(self, alternative: str = ALL_OTHERS) -> float:
        """ln [P(target) / P(alternative)] with no evidence (natural log)."""
        self._check_alternative(alternative)
        return self._log_odds(self.steps[0], alternative)

    def log_posterior_odds(self, alternative: str = ALL_OTHERS) -> float:
        """ln [P(target | e) / P(alternative | e)] on all the evidence (natural log)."""
        self._check_alternative(alternative)
        return self._log_odds(self.steps[-1], alternative)

    def to_frame(self) -> pd.DataFrame:
        """Long format, one row per evidence item and alternative.

        Columns: ``position`` (1 = first item in network order), ``variable``, ``state``, ``role``, ``stage``,
        ``alternative`` (a diagnosis, or ``"all_others"`` for the composite not-target), ``lr`` (the conditional
        likelihood ratio), ``woe`` (its natural log), ``decibans`` (10 log10 lr) and ``direction``
        ("for", "against" or "neutral").
        """
        alternatives = [ALL_OTHERS, *[s for s in self.states if s != self.target_state]]
        rows = []
        for alt in alternatives:
            lo = np.array([self._log_odds(r, alt) for r in self.steps])
            with np.errstate(invalid="ignore"):
                w = np.diff(lo)
            for i, weight in enumerate(w):
                rows.append({
                    "position": i + 1, "variable": self.variables[i], "state": self.labels[i], "role": self.roles[i],
                    "stage": self.stages[i], "alternative": alt, "lr": float(np.exp(weight)), "woe": float(weight),
                    "decibans": float(weight * DECIBANS_PER_NAT),
                    "direction": "for" if weight > NEUTRAL else ("against" if weight < -NEUTRAL else "neutral"),
                })
        cols = ["position", "variable", "state", "role", "stage", "alternative", "lr", "woe", "decibans", "direction"]
        return pd.DataFrame(rows, columns=cols)

    def weights(self, alternative: str = ALL_OTHERS) -> pd.DataFrame:
        """The rows of :meth:`to_frame` for one alternative, in network order."""
        self._check_alternative(alternative)
        frame = self.to_frame()
        return frame[frame["alternative"] == alternative].reset_index(drop=True)

    @property
    def runner_up(self) -> str:
        """The most probable diagnosis other than the target."""
        order = np.argsort(-self.posterior, kind="stable")
        return next(self.states[i] for i in order if self.states[i] != self.target_state)

    @property
    def speaks_for(self) -> tuple[str, ...]:
        """Items with a positive weight for the target against all others, strongest first."""
        w = self.weights().sort_values("woe", ascending=False, kind="stable")
        return tuple(f"{r.variable}={r.state}" for r in w.itertuples() if r.direction == "for")

    @property
    def speaks_against(self) -> tuple[str, ...]:
        """Items with a negative weight for the target against all others, strongest first."""
        w = self.weights().sort_values("woe", kind="stable")
        return tuple(f"{r.variable}={r.state}" for r in w.itertuples() if r.direction == "against")

    def __repr__(self) -> str:
        t = self.states.index(self.target_state)
        return (f"<Explanation of {self.target_state}: {len(self.variables)} items; P {self.prior[t]:.3f} -> "
                f"{self.posterior[t]:.3f}; for: {len(self.speaks_for)}, against: {len(self.speaks_against)}>")

    def weights_text(self, alternative: str = ALL_OTHERS) -> list[str]:
        """Lines of text: prior odds, each item's weight (dB and LR), posterior odds, against ``alternative``."""
        w = self.weights(alternative)
        t = self.states.index(self.target_state)
        if alternative == ALL_OTHERS:
            head = f"{self.target_state} against all other diagnoses"
            p0, p1 = self.prior[t], self.posterior[t]
            odds = f"P {p0:.3f} -> {p1:.3f}"
        else:
            a = self.states.index(alternative)
            head = f"{self.target_state} against {alternative}"
            odds = f"P {self.prior[t]:.3f} : {self.prior[a]:.3f} -> {self.posterior[t]:.3f} : {self.posterior[a]:.3f}"
        lines = [f"Weight of evidence, {head} (decibans = 10 log10 LR; +10 dB = LR 10, +3 dB = LR 2); {odds}",
                 f"  {'prior odds (no evidence)':<44} {self.log_prior_odds(alternative) * DECIBANS_PER_NAT:+8.1f} dB"]
        for r in w.itertuples():
            lines.append(f"  {(r.variable + '=' + r.state):<44} {r.decibans:+8.1f} dB  LR {r.lr:9.3g}  {r.direction}")
        lines.append(f"  {'= posterior odds':<44} {self.log_posterior_odds(alternative) * DECIBANS_PER_NAT:+8.1f} dB")
        return lines

    def __str__(self) -> str:
        lines = [f"Why {self.target_state}? Evidence: {_label(self.evidence)}"]
        lines += self.weights_text(ALL_OTHERS)
        lines.append("")
        lines += self.weights_text(self.runner_up)
        lines += ["", str(self.what_if), "", f"model: {self.model.short}", DISCLAIMER]
        return "\n".join(lines)

    def _html_body(self) -> str:
        w = self.weights()[["variable", "state", "decibans", "lr", "direction"]]
        t = self.states.index(self.target_state)
        return (f"<div class='bmes-result'><p><b>Why {html.escape(self.target_state)}?</b> Weight of evidence against "
                f"all other diagnoses, in decibans; P {self.prior[t]:.3f} (no evidence) -> {self.posterior[t]:.3f}. "
                f"Prior odds {self.log_prior_odds() * DECIBANS_PER_NAT:+.1f} dB + weights = posterior odds "
                f"{self.log_posterior_odds() * DECIBANS_PER_NAT:+.1f} dB.</p>{_frame_html(w, '{:.2f}')}"
                f"{self.what_if._html_body()}{_evidence_html(self.evidence)}"
                f"{_footer_html(self.model)}</div>")

    def plot(self, ax: "Axes | None" = None, *, versus: str = ALL_OTHERS,
             unit: Literal["decibans", "bits"] = "decibans") -> "Axes":
        """Diverging horizontal bars: each item's weight of evidence for the target against ``versus``.

        Bars to the right speak for the target, to the left against it; labelled with the value and the likelihood
        ratio; the title gives prior and posterior odds, which the bars add up to exactly. Returns the Axes.
        """
        from .plotting import woe_plot

        unit = _checks.choice(unit, "unit", ("decibans", "bits"))
        w = self.weights(versus)
        scale = 1.0 if unit == "decibans" else BITS_PER_NAT / DECIBANS_PER_NAT
        vs = "all other diagnoses" if versus == ALL_OTHERS else versus
        prior = self.log_prior_odds(versus) * DECIBANS_PER_NAT * scale
        post = self.log_posterior_odds(versus) * DECIBANS_PER_NAT * scale
        title = (f"Weight of evidence for {self.target_state} vs {vs}\n"
                 f"prior odds {prior:+.1f} + sum of bars = posterior odds {post:+.1f} ({unit})")
        return woe_plot(w.assign(value=w["decibans"] * scale), unit=unit, title=title, ax=ax)


def _what_if(model: "BmesModel", ev: Evidence, target: str, target_state: str, final: np.ndarray) -> WhatIf:
    states = model.network[target].states
    rows = []
    for var in ev.labels:
        if var not in ev.hard:
            continue  # soft evidence has no single alternative state
        idx = ev.hard[var]
        vstates = model.network[var].states
        for j, s in enumerate(vstates):
            if j == idx:
                probs, possible = final, True
            else:
                try:
                    probs, possible = _dist(model, _with_hard(model, ev, var, j), target), True
                except ImpossibleEvidenceError:
                    probs, possible = np.full(len(states), np.nan), False
            for d, p in zip(states, probs):
                rows.append({"variable": var, "observed_state": vstates[idx], "state": s, "observed": j == idx,
                             "possible": possible, "diagnosis": d, "probability": float(p)})
    frame = pd.DataFrame(rows, columns=["variable", "observed_state", "state", "observed", "possible", "diagnosis",
                                        "probability"])
    return WhatIf(target_state=target_state, states=states, evidence=ev.as_dict(), frame=frame, model=model.info)


def explain(model: "BmesModel", evidence: Mapping[str, object] | None, *, target_state: str | None = None) -> Explanation:
    """See :meth:`bmes_bayes.BmesModel.explain`."""
    target = diagnosis_variable(model.network)
    ev = model.resolve(evidence)
    if len(ev) == 0:
        raise EvidenceError("nothing to explain: the evidence is empty (give at least one finding)")
    if target_state is not None:  # None: the most probable diagnosis under this evidence (documented)
        _check_state(model, target, target_state, "target_state")
    items = list(ev.labels)  # network order
    steps = np.stack([_dist(model, ev.without(items[i:]), target) for i in range(len(items) + 1)])
    states = model.network[target].states
    if target_state is None:
        target_state = states[int(np.argmax(steps[-1]))]
    what_if = _what_if(model, ev, target, target_state, steps[-1])
    net = model.network
    return Explanation(
        target=target, target_state=target_state, states=states, variables=tuple(items),
        labels=tuple(str(ev.labels[v]) for v in items), roles=tuple(net[v].role for v in items),
        stages=tuple(net[v].stage or "" for v in items), steps=steps, what_if=what_if, evidence=ev.as_dict(),
        model=model.info,
    )


# ======================================================================================= likelihood ratios
@dataclass(frozen=True, eq=False)
class LikelihoodRatio(ResultDisplay):
    """Positive and negative likelihood ratios of one finding for one diagnosis, in a context.

    ``P(f | not d, context)`` averages the other diagnoses by their probability given the context. The pre-test
    probability is ``P(d | context)``; the post-test probabilities are exact posteriors, and
    ``post-test odds = pre-test odds x LR`` holds exactly.

    Attributes
    ----------
    finding, positive, diagnosis : str
        The finding, the state called a positive result, the diagnosis.
    finding_states : tuple of str
    p_given_diagnosis, p_given_other : numpy.ndarray
        P(finding = state | diagnosis, context) and P(finding = state | other diagnoses, context), per state.
    pre_test : float
        P(diagnosis | context).
    post_test : numpy.ndarray
        P(diagnosis | context, finding = state), per state.
    post_test_negative : float
        P(diagnosis | context, finding != positive).
    """

    finding: str
    positive: str
    diagnosis: str
    finding_states: tuple[str, ...]
    context: dict[str, object]
    p_given_diagnosis: np.ndarray
    p_given_other: np.ndarray
    pre_test: float
    post_test: np.ndarray
    post_test_negative: float
    model: ModelInfo

    @property
    def _k(self) -> int:
        return self.finding_states.index(self.positive)

    @property
    def sensitivity(self) -> float:
        """P(positive | diagnosis, context)."""
        return float(self.p_given_diagnosis[self._k])

    @property
    def specificity(self) -> float:
        """P(not positive | other diagnoses, context)."""
        return float(1.0 - self.p_given_other[self._k])

    @property
    def lr_positive(self) -> float:
        """LR+ = P(positive | d) / P(positive | not d), in the context."""
        return float(self.p_given_diagnosis[self._k] / self.p_given_other[self._k])

    @property
    def lr_negative(self) -> float:
        """LR- = P(not positive | d) / P(not positive | not d), in the context."""
        return float((1.0 - self.p_given_diagnosis[self._k]) / (1.0 - self.p_given_other[self._k]))

    @property
    def negative(self) -> str:
        """The label of a negative result: the other state of a two-state finding, or ``not <positive>``."""
        if len(self.finding_states) == 2:
            return self.finding_states[1 - self._k]
        return f"not {self.positive}"

    def to_frame(self) -> pd.DataFrame:
        """Two rows, ``result`` positive and negative. Columns: ``result, finding, state, diagnosis,
        p_given_diagnosis, p_given_other, lr, pre_test, post_test``."""
        k = self._k
        return pd.DataFrame({
            "result": ["positive", "negative"], "finding": self.finding, "state": [self.positive, self.negative],
            "diagnosis": self.diagnosis,
            "p_given_diagnosis": [self.p_given_diagnosis[k], 1.0 - self.p_given_diagnosis[k]],
            "p_given_other": [self.p_given_other[k], 1.0 - self.p_given_other[k]],
            "lr": [self.lr_positive, self.lr_negative], "pre_test": self.pre_test,
            "post_test": [float(self.post_test[k]), self.post_test_negative],
        })

    def to_state_frame(self) -> pd.DataFrame:
        """One row per state of the finding: ``state, p_given_diagnosis, p_given_other, lr, pre_test, post_test``."""
        with np.errstate(divide="ignore", invalid="ignore"):
            lr = self.p_given_diagnosis / self.p_given_other
        return pd.DataFrame({"state": list(self.finding_states), "p_given_diagnosis": self.p_given_diagnosis,
                             "p_given_other": self.p_given_other, "lr": lr, "pre_test": self.pre_test,
                             "post_test": self.post_test})

    def __repr__(self) -> str:
        return (f"<LikelihoodRatio {self.finding}={self.positive} for {self.diagnosis}: LR+ {self.lr_positive:.3g}, "
                f"LR- {self.lr_negative:.3g}; pre-test {self.pre_test:.3f} -> {self.post_test[self._k]:.3f} if "
                f"positive, {self.post_test_negative:.3f} if negative>")

    def __str__(self) -> str:
        return "\n".join([
            f"Likelihood ratios of {self.finding}={self.positive} for {self.diagnosis} (context: {_label(self.context)})",
            frame_text(self.to_frame()), "",
            f"LR+ {self.lr_positive:.3g}, LR- {self.lr_negative:.3g}: pre-test {self.pre_test:.3f} -> "
            f"{self.post_test[self._k]:.3f} if {self.positive}, {self.post_test_negative:.3f} if {self.negative}",
            f"model: {self.model.short}", DISCLAIMER])

    def _html_body(self) -> str:
        return (f"<div class='bmes-result'><p><b>Likelihood ratios of {html.escape(self.finding)}="
                f"{html.escape(self.positive)} for {html.escape(self.diagnosis)}</b></p>{_frame_html(self.to_frame())}"
                f"{_evidence_html(self.context)}{_footer_html(self.model)}</div>")

    def plot(self, ax: "Axes | None" = None) -> "Axes":
        """Fagan nomogram: pre-test probability, likelihood ratio, post-test probability on one straight line,
        for the positive and the negative result. Returns the Axes."""
        from .plotting import fagan_plot

        return fagan_plot(self.to_frame(), title=f"{self.finding}={self.positive} for {self.diagnosis}", ax=ax)


def likelihood_ratio(model: "BmesModel", finding: str, diagnosis: str, *, positive: str | None = None,
                     context: Mapping[str, object] | None = None) -> LikelihoodRatio:
    """See :meth:`bmes_bayes.BmesModel.likelihood_ratio`."""
    target = diagnosis_variable(model.network)
    _check_variable(model, finding, "variable")
    if finding == target:
        raise EvidenceError(f"{finding} is the diagnosis itself; give a finding (see model.variables)")
    d = _check_state(model, target, diagnosis)
    ctx = model.resolve(context)
    if finding in ctx.labels:
        raise EvidenceError(f"{finding} is already in the context ({finding}={ctx.labels[finding]}); "
                            f"remove it from the context to see its likelihood ratio")
    fstates = model.network[finding].states
    if positive is None:
        if len(fstates) != 2:
            raise EvidenceError(f"{finding} has {len(fstates)} states ({', '.join(fstates)}); say which result counts "
                                f"as positive, e.g. positive={fstates[-1]!r}")
        positive = fstates[1]
    k = _check_state(model, finding, positive, "positive")
    pf = _dist(model, ctx, finding)                 # P(f = s | ctx)
    pd_ = float(_dist(model, ctx, target)[d])       # P(d | ctx)
    if not 0.0 < pd_ < 1.0:
        raise EvidenceError(f"P({diagnosis} | context) = {pd_:g}: a likelihood ratio needs a diagnosis that is "
                            f"possible but not certain in this context")
    post = np.full(len(fstates), np.nan)
    for j in range(len(fstates)):
        if pf[j] > 0:
            post[j] = _dist(model, _with_hard(model, ctx, finding, j), target)[d]
    joint = np.where(pf > 0, pf * np.nan_to_num(post), 0.0)   # P(f = s, d | ctx)
    p_given_d = joint / pd_
    p_given_other = (pf - joint) / (1.0 - pd_)
    neg = np.ones(len(fstates))
    neg[k] = 0.0
    label = fstates[1 - k] if len(fstates) == 2 else f"not {positive}"
    try:
        post_neg = float(_dist(model, _with_soft(model, ctx, finding, neg, label), target)[d])
    except ImpossibleEvidenceError:
        post_neg = float("nan")
    return LikelihoodRatio(finding=finding, positive=positive, diagnosis=diagnosis, finding_states=fstates,
                           context=ctx.as_dict(), p_given_diagnosis=p_given_d, p_given_other=p_given_other,
                           pre_test=pd_, post_test=post, post_test_negative=post_neg, model=model.info)


# ======================================================================================= which test next
def _outcome_values(model: "BmesModel", ev: Evidence, var: str, target: str, watch: Sequence[int]
                    ) -> tuple[float, float, list[tuple[str, float, np.ndarray]]]:
    """Raw expected entropy reduction (bits), expected absolute change of the watched diagnoses, and per outcome
    (state, P(state | e), P(D | e, state)). Exact, by enumerating the states of ``var``."""
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
        P(diagnosis | evidence) now.
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

    def to_frame(self) -> pd.DataFrame:
        """One row per candidate, best first. Columns: ``rank, finding, stage, observed, entropy_reduction``
        (expected, bits), ``cant_miss_change`` (expected absolute change of the can't-miss probabilities, summed),
        ``cost`` and ``value_per_cost`` (entropy reduction per unit cost; NaN without costs)."""
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

    def outcome_text(self, finding: str, *, limit: int = 3) -> list[str]:
        """What each result of ``finding`` would do: its probability now and the diagnoses that move most."""
        part = self.outcomes[self.outcomes["finding"] == finding]
        lines = []
        for state, sub in part.groupby("state", sort=False):
            sub = sub.reindex(sub["change"].abs().sort_values(ascending=False).index)
            moves = ", ".join(f"{r.diagnosis} {r.probability - r.change:.2f}->{r.probability:.2f}"
                              for r in sub.head(_checks.count(limit, "limit")).itertuples())
            lines.append(f"    if {finding}={state} (P {sub['p_state'].iloc[0]:.2f}): {moves}")
        return lines

    def __str__(self, *, limit: int = 8) -> str:
        cols = ["rank", "finding", "stage", "entropy_reduction", "cant_miss_change", "cost", "value_per_cost"]
        frame = self.frame[~self.frame["observed"]][cols].head(_checks.count(limit, "limit"))
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
            lines += self.outcome_text(self.best)
        return "\n".join(lines)

    def _html_body(self) -> str:
        return (f"<div class='bmes-result'><p><b>Which test next?</b> Expected entropy reduction of the diagnosis "
                f"(now {self.entropy:.2f} bits), ranked by {html.escape(self.rank_by)}</p>"
                f"{_frame_html(self.frame[~self.frame['observed']])}{_evidence_html(self.evidence)}"
                f"{_footer_html(self.model)}</div>")

    def plot(self, ax: "Axes | None" = None, *, limit: int = 12) -> "Axes":
        """Bars of the expected entropy reduction (bits) of the best ``limit`` candidates, with the can't-miss
        change as dots on a second axis. Returns the Axes."""
        from .plotting import next_test_plot

        return next_test_plot(self.frame[~self.frame["observed"]].head(_checks.count(limit, "limit")),
                              entropy=self.entropy, ax=ax)


_RANK_COLUMN = {"information": "entropy_reduction", "cant_miss": "cant_miss_change", "value_per_cost": "value_per_cost"}


def next_test(model: "BmesModel", evidence: Mapping[str, object] | None = None, *,
              costs: Mapping[str, float] | None = None, candidates: Sequence[str] | None = None,
              rank_by: Literal["information", "cant_miss", "value_per_cost"] = "information") -> NextTest:
    """See :meth:`bmes_bayes.BmesModel.next_test`."""
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
    cfg = model.alert_config if model.alert_config.variable == target else AlertConfig(())
    states = net[target].states
    watch = [states.index(d) for d in cfg.diagnoses]
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
                    cant_miss=cfg.diagnoses, rank_by=rank_by, frame=frame, outcomes=outcomes, model=model.info)
