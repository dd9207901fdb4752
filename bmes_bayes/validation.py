"""Validation on published cases, scored like a diagnostic-accuracy study.

The case set lives in ``validation/`` (protocol, coding manual, screening logs): ``cases.yaml`` holds each case's
source, the diagnosis its source reports (the reference standard), its split and its findings-only vignette;
``coded.yaml`` holds the evidence that coders, blind to the diagnosis, read from each vignette. The two are read and
joined only in :func:`bmes_bayes.spec.cases.load_cases` (re-exported here).

:func:`validate` scores the model on both halves (``tuning``: may be looked at while revising the network;
``frozen``: scored and reported, never tuned on) against baselines computed in the same run:

- ``flat``: every diagnosis equally likely, whatever the evidence;
- ``context_risk``: the network given the context and risk factors only (no findings);
- ``independent_findings``: the network's prior given context and risk factors, times each finding's own likelihood
  ratio, as if the findings were independent given the cause (naive Bayes over the network's own marginals). It
  equals the network exactly when no finding depends on another; where the network models such dependence, the gap
  between the two is what that modelling buys.

Scores: top-1, top-3 (also counting the source's acceptable alternatives), recall per diagnosis, multi-class Brier
score, log-loss, expected calibration error (ECE) of the top probability over 10 equal-width bins with its
reliability diagram, wrong answers given with P >= 0.9, and for each can't-miss cause the recall at its alert
threshold together with the alert burden (the share of cases of other causes that raise the same alert).

>>> import bmes_bayes
>>> from bmes_bayes import validation
>>> v = validation.validate(bmes_bayes.load_model())
>>> sorted(v.summary()["half"].unique())
['frozen', 'tuning']
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .exceptions import ArgumentError, ArgumentTypeError, did_you_mean, shown
from .results import DISCLAIMER, ModelInfo, ResultDisplay, _frame_html, _footer_html, frame_text
from .spec.cases import HALVES, PRESENTATIONS, SOURCE_TYPES, Case, CaseSet, load_cases, split_of, validation_dir

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from .model import BmesModel

__all__ = ["Case", "CaseSet", "Validation", "load_cases", "validate", "split_of", "validation_dir", "MODELS", "HALVES",
           "PRESENTATIONS", "SOURCE_TYPES"]

MODELS = ("network", "independent_findings", "context_risk", "flat")
N_BINS = 10
CONFIDENT = 0.9


# ------------------------------------------------------------------------------------------------- scoring
def _prior_evidence(model: "BmesModel", evidence: Mapping[str, str]) -> dict[str, str]:
    roles = ("context", "risk_factor")
    return {k: v for k, v in evidence.items() if model.network[k].role in roles}


def _predict(model: "BmesModel", evidence: Mapping[str, str], which: str) -> tuple[np.ndarray, str]:
    """P(diagnosis | evidence) under one of :data:`MODELS`; ``status`` is "ok" or "impossible"."""
    from .exceptions import ImpossibleEvidenceError

    k = model.network["diagnosis"].card

    def post(ev: Mapping[str, str]) -> np.ndarray:  # the exact posterior alone (no alerts or unasked-history notes)
        return np.asarray(model.query(model.resolve(ev), "diagnosis").posterior[0], dtype=float)

    if which == "flat":
        return np.full(k, 1.0 / k), "ok"
    try:
        if which == "network":
            return post(evidence), "ok"
        base_ev = _prior_evidence(model, evidence)
        base = post(base_ev)
        if which == "context_risk":
            return base, "ok"
        # findings as independent given the cause: P(d | ctx) * prod_i P(d | ctx, f_i) / P(d | ctx)
        log_p = np.log(base)
        for name, state in evidence.items():
            if name in base_ev:
                continue
            one = post({**base_ev, name: state})
            with np.errstate(divide="ignore"):
                log_p = log_p + np.log(one) - np.log(base)
        if not np.isfinite(log_p).any():
            raise ImpossibleEvidenceError("no diagnosis explains every finding")
        p = np.exp(log_p - np.max(log_p[np.isfinite(log_p)]))
        return p / p.sum(), "ok"
    except ImpossibleEvidenceError:
        return np.full(k, 1.0 / k), "impossible"


def _ece(conf: np.ndarray, correct: np.ndarray, bins: int = N_BINS) -> float:
    if len(conf) == 0:
        return float("nan")
    idx = np.minimum((conf * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            total += m.sum() / len(conf) * abs(correct[m].mean() - conf[m].mean())
    return float(total)


@dataclass(frozen=True, eq=False)
class Validation(ResultDisplay):
    """Scores of the model and its baselines on the validation cases.

    ``predictions`` has one row per case and model: id, half, model, diagnosis (the reference standard), the
    acceptable alternatives, presentation, top, p_top, p_true, rank, status, conflict (Jensen's conflict of the case's
    coded evidence under the network, :mod:`bmes_bayes.conflict`), and one column per diagnosis state.
    Every table below is computed from it.
    """

    predictions: pd.DataFrame
    states: tuple[str, ...]
    alert_thresholds: tuple[tuple[str, float], ...]
    model: ModelInfo
    dropped: int = 0            # coded findings the model's network could not use (drop_unknown=True)

    # ---------------------------------------------------------------------------------- tables
    def summary(self) -> pd.DataFrame:
        """Per half and model: n, top1, top1_alt, top3, brier, log_loss, ece, wrong_p90, impossible."""
        rows = []
        for (half, name), g in self._groups():
            p = g[list(self.states)].to_numpy()
            truth = np.array([self.states.index(d) for d in g["diagnosis"]])
            onehot = np.eye(len(self.states))[truth]
            correct = (g["top"] == g["diagnosis"]).to_numpy()
            correct_alt = correct | np.array([t in a.split(",") for t, a in zip(g["top"], g["acceptable"])])
            rows.append({
                "half": half, "model": name, "n": len(g),
                "top1": correct.mean(), "top1_alt": correct_alt.mean(), "top3": (g["rank"] <= 3).mean(),
                "brier": float(((p - onehot) ** 2).sum(axis=1).mean()),
                "log_loss": float(-np.log(np.clip(g["p_true"].to_numpy(), 1e-15, 1)).mean()),
                "ece": _ece(g["p_top"].to_numpy(), correct),
                "wrong_p90": int(((g["p_top"] >= CONFIDENT) & ~correct).sum()),
                "impossible": int((g["status"] == "impossible").sum()),
            })
        return pd.DataFrame(rows)

    def to_frame(self) -> pd.DataFrame:
        """The summary table (see :meth:`summary`)."""
        return self.summary()

    def recall(self, model: str = "network") -> pd.DataFrame:
        """Per half and diagnosis: number of cases, top-1 recall and top-3 recall of ``model``."""
        g = self.predictions[self.predictions["model"] == model]
        out = (g.assign(top1=g["top"] == g["diagnosis"], top3=g["rank"] <= 3)
                .groupby(["half", "diagnosis"], sort=False)
                .agg(n=("id", "size"), top1=("top1", "mean"), top3=("top3", "mean")).reset_index())
        key = {**{h: i for i, h in enumerate(HALVES)}, **{s: i for i, s in enumerate(self.states)}}
        return out.sort_values(["half", "diagnosis"], key=lambda col: col.map(key)).reset_index(drop=True)

    def cant_miss(self, model: str = "network") -> pd.DataFrame:
        """Per half and can't-miss cause.

        Its alert threshold, the cases of that cause, the share of them whose probability reached the threshold
        (recall), and the share of the other cases that raised the same alert (burden).
        """
        rows = []
        g = self.predictions[self.predictions["model"] == model]
        for half in HALVES:
            h = g[g["half"] == half]
            for cause, thr in self.alert_thresholds:
                own = h[h["diagnosis"] == cause]
                other = h[h["diagnosis"] != cause]
                rows.append({"half": half, "cause": cause, "threshold": thr, "n": len(own),
                             "recall": float((own[cause] >= thr).mean()) if len(own) else float("nan"),
                             "missed": int((own[cause] < thr).sum()),
                             "burden": float((other[cause] >= thr).mean()) if len(other) else float("nan")})
        return pd.DataFrame(rows)

    def alert_burden(self, model: str = "network") -> pd.DataFrame:
        """Per half.

        The mean number of can't-miss alerts per case on cases whose cause is not can't-miss, and the share of those
        cases with at least one alert.
        """
        g = self.predictions[self.predictions["model"] == model]
        causes = [c for c, _ in self.alert_thresholds]
        rows = []
        for half in HALVES:
            h = g[(g["half"] == half) & ~g["diagnosis"].isin(causes)]
            fired = np.column_stack([h[c].to_numpy() >= t for c, t in self.alert_thresholds]) if len(h) else np.zeros((0, 1))
            rows.append({"half": half, "n": len(h), "alerts_per_case": float(fired.sum(axis=1).mean()) if len(h) else float("nan"),
                         "share_with_alert": float(fired.any(axis=1).mean()) if len(h) else float("nan")})
        return pd.DataFrame(rows)

    def reliability(self, half: str = "frozen", model: str = "network") -> pd.DataFrame:
        """Reliability of the top probability: per bin of width 0.1, n, mean confidence and accuracy."""
        g = self._one(half, model)
        conf = g["p_top"].to_numpy()
        correct = (g["top"] == g["diagnosis"]).to_numpy()
        idx = np.minimum((conf * N_BINS).astype(int), N_BINS - 1)
        rows = []
        for b in range(N_BINS):
            m = idx == b
            rows.append({"bin": f"{b / N_BINS:.1f}-{(b + 1) / N_BINS:.1f}", "lower": b / N_BINS, "n": int(m.sum()),
                         "confidence": float(conf[m].mean()) if m.any() else float("nan"),
                         "accuracy": float(correct[m].mean()) if m.any() else float("nan")})
        return pd.DataFrame(rows)

    def misses(self, half: str = "frozen", model: str = "network") -> pd.DataFrame:
        """Cases whose reference diagnosis was not ranked first.

        Id, diagnosis, top, p_top, p_true, rank, and the evidence conflict (conf > 0: the coded findings pull against
        each other; check the coding first).
        """
        g = self._one(half, model)
        g = g[g["top"] != g["diagnosis"]]
        return g[["id", "diagnosis", "acceptable", "presentation", "top", "p_top", "p_true", "rank", "conflict",
                  "status"]].reset_index(drop=True)

    def _groups(self):
        order = {m: i for i, m in enumerate(MODELS)}
        keys = sorted(self.predictions.groupby(["half", "model"]).groups, key=lambda hm: (HALVES.index(hm[0]), order.get(hm[1], 99)))
        for key in keys:
            yield key, self.predictions[(self.predictions["half"] == key[0]) & (self.predictions["model"] == key[1])]

    def _one(self, half: str, model: str) -> pd.DataFrame:
        if half not in HALVES:
            raise ArgumentError(f"unknown half {shown(half)}{did_you_mean(half, HALVES)}; valid: {', '.join(HALVES)}")
        if model not in set(self.predictions["model"]):
            raise ArgumentError(f"unknown model {shown(model)}{did_you_mean(model, MODELS)}; valid: {', '.join(MODELS)}")
        return self.predictions[(self.predictions["half"] == half) & (self.predictions["model"] == model)]

    # ---------------------------------------------------------------------------------- display
    def to_dict(self) -> dict:
        """Everything as plain data (for ``--json``)."""
        def records(f: pd.DataFrame) -> list[dict]:
            return [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
                    for r in f.to_dict(orient="records")]

        return {
            "model": self.model.short,
            "summary": records(self.summary()),
            "recall": records(self.recall()),
            "cant_miss": records(self.cant_miss()),
            "alert_burden": records(self.alert_burden()),
            "reliability": {h: records(self.reliability(h)) for h in HALVES},
            "misses": {h: records(self.misses(h)) for h in HALVES},
            "dropped_findings": self.dropped,
            "disclaimer": DISCLAIMER,
        }

    def __repr__(self) -> str:
        s = self.summary()
        net = s[s["model"] == "network"].set_index("half")
        parts = [f"{h} n={int(net.loc[h, 'n'])} top1 {net.loc[h, 'top1']:.2f} top3 {net.loc[h, 'top3']:.2f} "
                 f"ECE {net.loc[h, 'ece']:.3f}" for h in HALVES if h in net.index]
        return f"<Validation: {' | '.join(parts)}>"

    def __str__(self) -> str:
        lines = [f"Validation on published cases ({self.model.short})", ""]
        if self.dropped:
            lines += [f"({self.dropped} coded findings dropped: this network has no variable for them)", ""]
        lines += [
                 "Scores (network and baselines; tuning half may be tuned on, frozen half never):",
                 frame_text(self.summary()), "",
                 "Top-1 and top-3 recall per diagnosis (network):", frame_text(self.recall()), "",
                 "Can't-miss causes at their alert thresholds (network): recall on their own cases, burden on the others:",
                 frame_text(self.cant_miss()), "",
                 "Alerts on cases whose cause is not can't-miss (network):", frame_text(self.alert_burden())]
        for h in HALVES:
            m = self.misses(h)
            lines += ["", f"Misses, {h} half ({len(m)}):", frame_text(m) if len(m) else "  none"]
        lines += ["", DISCLAIMER]
        return "\n".join(lines)

    def _html_body(self) -> str:
        parts = [f"<p><b>Validation</b> on {self.predictions['id'].nunique()} published cases</p>",
                 _frame_html(self.summary()), "<p><b>Recall per diagnosis</b> (network)</p>", _frame_html(self.recall()),
                 "<p><b>Can't-miss causes</b> at their alert thresholds</p>", _frame_html(self.cant_miss())]
        for h in HALVES:
            parts += [f"<p><b>Misses, {html.escape(h)} half</b></p>", _frame_html(self.misses(h))]
        parts.append(_footer_html(self.model))
        return "".join(parts)

    def reliability_png(self) -> bytes:
        """The reliability diagrams of both halves side by side, as PNG bytes.

        For the model card and ``validate --plot``.
        """
        import io

        from matplotlib.figure import Figure

        fig = Figure(figsize=(10.4, 4.6))
        for ax, half in zip(fig.subplots(1, 2), HALVES):
            self.plot(ax, half=half)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=90, metadata={"Software": None})
        return buf.getvalue()

    def plot(self, ax: "Axes | None" = None, *, half: str = "frozen") -> "Axes":
        """Reliability diagram of the top probability on ``half``.

        Accuracy against confidence per bin, for the network and each baseline that is not flat, with the diagonal of
        perfect calibration.
        """
        from .plotting import reliability_plot

        frames = {m: self.reliability(half, m) for m in MODELS if m != "flat" and m in set(self.predictions["model"])}
        ece = self.summary().set_index(["half", "model"])["ece"]
        return reliability_plot(frames, ece={m: float(ece[(half, m)]) for m in frames},
                                title=f"Reliability of the top diagnosis, {half} half", ax=ax)


def validate(model: "BmesModel", cases: CaseSet | str | Path | None = None, *,
             models: Sequence[str] = MODELS, drop_unknown: bool = False) -> Validation:
    """Score ``model`` and the baselines on the validation cases (both halves).

    Parameters
    ----------
    model : BmesModel
        The model to score (its network must fit the cases, unless ``drop_unknown``).
    cases : CaseSet or path, optional
        Default: the shipped set (``validation/``).
    models : sequence of str
        Which of :data:`MODELS` to score (all by default).
    drop_unknown : bool, default False
        Drop coded evidence on variables ``model`` does not have (to score an earlier release on the same cases).

    Returns
    -------
    Validation
        The predictions of every model scored on every case; the summaries are computed from them.
    """
    if isinstance(models, (str, bytes)) or not isinstance(models, Iterable):
        raise ArgumentTypeError(f"models must be a list of model names ({', '.join(MODELS)}), got {shown(models)}")
    models = tuple(models)
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise ArgumentError(f"unknown model {shown(unknown[0])}{did_you_mean(unknown[0], MODELS)}; valid: "
                            f"{', '.join(MODELS)}")
    if not isinstance(cases, CaseSet):
        cases = load_cases(cases, network=model.network, drop_unknown=drop_unknown)
    from .teaching.conflict import conflict as conflict_of
    from .exceptions import ImpossibleEvidenceError

    states = model.network["diagnosis"].states
    rows = []
    for c in cases:
        try:  # Jensen's conflict of the coded evidence: a miss with conf > 0 may be a coding error or an atypical case
            conf = conflict_of(model, c.evidence, target="diagnosis").value
        except ImpossibleEvidenceError:
            conf = float("inf")
        for name in models:
            p, status = _predict(model, c.evidence, name)
            order = np.argsort(-p, kind="stable")
            truth = states.index(c.diagnosis)
            rows.append({"id": c.id, "half": c.split, "model": name, "diagnosis": c.diagnosis,
                         "acceptable": ",".join(c.acceptable), "presentation": c.presentation,
                         "top": states[order[0]], "p_top": float(p[order[0]]), "p_true": float(p[truth]),
                         "rank": int(np.where(order == truth)[0][0]) + 1, "status": status, "conflict": conf,
                         **{s: float(v) for s, v in zip(states, p)}})
    thresholds = tuple((r.diagnosis, float(r.threshold)) for r in model.alert_config.rules)
    return Validation(pd.DataFrame(rows), tuple(states), thresholds, model.info, cases.dropped)
