"""Validation on published cases, scored like a diagnostic-accuracy study.

The case set lives in ``validation/`` (protocol, coding manual, screening logs): ``cases.yaml`` holds each case's
source, the diagnosis its source reports (the reference standard), its split and its findings-only vignette;
``coded.yaml`` holds the evidence that coders, blind to the diagnosis, read from each vignette. The two are joined
only here.

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

import hashlib
import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import _checks
from ._yaml import line_of, load_yaml
from .exceptions import ArgumentError, ArgumentTypeError, EvidenceError, Problem, SpecError, did_you_mean, shown
from .results import DISCLAIMER, ModelInfo, ResultDisplay, _frame_html, _footer_html, frame_text

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from .model import BmesModel

__all__ = ["Case", "CaseSet", "Validation", "load_cases", "validate", "split_of", "validation_dir", "MODELS"]

HALVES = ("tuning", "frozen")
MODELS = ("network", "independent_findings", "context_risk", "flat")
N_BINS = 10
CONFIDENT = 0.9
_CASE_KEYS = ("id", "source", "url", "patient", "source_type", "reported_diagnosis", "diagnosis", "acceptable",
              "reference_standard", "presentation", "presentation_reason", "joint", "age_years", "split", "vignette")
_REQUIRED = ("id", "source", "reported_diagnosis", "diagnosis", "presentation", "split", "vignette")
_CODED_KEYS = ("id", "evidence", "extra", "notes", "coder")
SOURCE_TYPES = ("case_report", "teaching_file", "series_patient")
PRESENTATIONS = ("typical", "atypical")


def split_of(case_id: str) -> str:
    """The protocol's fixed split rule: ``frozen`` when the first byte of sha256(case id) is odd, else ``tuning``."""
    return "frozen" if hashlib.sha256(case_id.encode("utf-8")).digest()[0] % 2 else "tuning"


def validation_dir() -> Path:
    """The shipped validation case set (inside the wheel, or the source checkout)."""
    here = Path(__file__).resolve().parent
    for root in (here / "_data", here.parent):
        if (root / "validation" / "cases.yaml").is_file():
            return root / "validation"
    raise SpecError([Problem(str(here), None, "the validation case set is not installed with the package")],
                    what="validation cases")


@dataclass(frozen=True)
class Case:
    """One published case: the reference standard from its key, the evidence from its blind coding."""

    id: str
    source: str
    diagnosis: str
    acceptable: tuple[str, ...]
    presentation: str
    split: str
    evidence: dict[str, str]
    reported_diagnosis: str
    vignette: str
    extra: dict[str, object]


@dataclass(frozen=True)
class CaseSet:
    """The validation cases, with where they came from."""

    cases: tuple[Case, ...]
    path: str
    dropped: int = 0   # findings dropped because the network lacks their variable (load_cases(drop_unknown=True))

    def __len__(self) -> int:
        return len(self.cases)

    def __iter__(self):
        return iter(self.cases)

    def half(self, name: str) -> tuple[Case, ...]:
        return tuple(c for c in self.cases if c.split == name)

    def to_frame(self) -> pd.DataFrame:
        """One row per case: id, split, diagnosis, acceptable, presentation, joint, age group, number of findings."""
        return pd.DataFrame([{
            "id": c.id, "split": c.split, "diagnosis": c.diagnosis, "acceptable": ",".join(c.acceptable),
            "presentation": c.presentation, "joint": c.evidence.get("joint"), "age_group": c.evidence.get("age_group"),
            "n_findings": len(c.evidence), "source": c.source,
        } for c in self.cases])

    def __repr__(self) -> str:
        counts = {h: len(self.half(h)) for h in HALVES}
        return f"<CaseSet: {len(self.cases)} cases ({counts['tuning']} tuning, {counts['frozen']} frozen) from {Path(self.path).name}/>"


def _text(x: object) -> bool:
    return isinstance(x, str) and bool(x.strip())


def load_cases(directory: str | Path | None = None, *, network=None, drop_unknown: bool = False) -> CaseSet:
    """Read ``cases.yaml`` and ``coded.yaml`` from ``directory`` (default: the shipped set) and join them by id.

    Every problem in either file is reported at once with its file and line: unknown or missing keys, a diagnosis
    or evidence outside the network's vocabulary, a split that does not follow :func:`split_of`, duplicate ids,
    a case without coding or coding without a case.

    ``drop_unknown=True`` scores a network that lacks some coded variables (an earlier release, say): evidence on
    variables the network does not have is dropped, and the count is kept in ``CaseSet.dropped``.

    Raises
    ------
    SpecError
        Listing every problem found.
    """
    drop_unknown = _checks.flag(drop_unknown, "drop_unknown")
    if network is None:
        from .spec import load_network
        from .model import default_paths

        network = load_network(default_paths()[0])
    d = _checks.path(directory, "directory") if directory is not None else validation_dir()
    if "diagnosis" not in network:
        raise SpecError([Problem(str(network.path), None, "the network has no 'diagnosis' variable to validate")],
                        what="validation cases")
    problems: list[Problem] = []
    keys_path, coded_path = d / "cases.yaml", d / "coded.yaml"
    keys, p1 = load_yaml(keys_path)
    coded, p2 = load_yaml(coded_path)
    problems += p1 + p2
    dx_states = network["diagnosis"].states
    by_id: dict[str, dict] = {}
    if keys is not None and not isinstance(keys, list):
        problems.append(Problem(str(keys_path), line_of(keys), "must be a list of cases"))
        keys = None
    for item in keys or ():
        line = line_of(item)
        f = str(keys_path)
        if not isinstance(item, dict):
            problems.append(Problem(f, line, "each case must be a mapping"))
            continue
        for k in item:
            if k not in _CASE_KEYS:
                problems.append(Problem(f, line_of(item, k), f"unknown key {k!r}{did_you_mean(k, _CASE_KEYS)}"))
        for k in _REQUIRED:
            if k not in item:
                problems.append(Problem(f, line, f"case {item.get('id', '?')!r}: missing {k!r}"))
        cid = item.get("id")
        if not _text(cid):
            continue
        if cid in by_id:
            problems.append(Problem(f, line, f"duplicate case id {cid!r}"))
            continue
        if not _text(item.get("source")):
            problems.append(Problem(f, line_of(item, "source"), f"case {cid!r}: 'source' must cite the publication"))
        dx = item.get("diagnosis")
        if dx is not None and dx not in dx_states:
            problems.append(Problem(f, line_of(item, "diagnosis"),
                                    f"case {cid!r}: unknown diagnosis {dx!r}{did_you_mean(dx, dx_states)}"))
        alts = item.get("acceptable") or []
        if not isinstance(alts, list) or any(a not in dx_states for a in alts):
            problems.append(Problem(f, line_of(item, "acceptable"), f"case {cid!r}: 'acceptable' must list diagnosis states"))
            alts = []
        if item.get("presentation") not in PRESENTATIONS and "presentation" in item:
            problems.append(Problem(f, line_of(item, "presentation"), f"case {cid!r}: presentation must be typical or atypical"))
        if "source_type" in item and item["source_type"] not in SOURCE_TYPES:
            problems.append(Problem(f, line_of(item, "source_type"),
                                    f"case {cid!r}: source_type must be one of {', '.join(SOURCE_TYPES)}"))
        if "split" in item and item["split"] != split_of(cid):
            problems.append(Problem(f, line_of(item, "split"),
                                    f"case {cid!r}: split is {item['split']!r} but the protocol's rule gives {split_of(cid)!r}"))
        by_id[cid] = dict(item, acceptable=alts)
    coding: dict[str, dict] = {}
    dropped = 0
    if coded is not None and not isinstance(coded, list):
        problems.append(Problem(str(coded_path), line_of(coded), "must be a list of coded cases"))
        coded = None
    from .evidence import resolve_evidence

    for item in coded or ():
        f, line = str(coded_path), line_of(item)
        if not isinstance(item, dict) or not _text(item.get("id")):
            problems.append(Problem(f, line, "each coded case must be a mapping with an 'id'"))
            continue
        for k in item:
            if k not in _CODED_KEYS:
                problems.append(Problem(f, line_of(item, k), f"unknown key {k!r}{did_you_mean(k, _CODED_KEYS)}"))
        cid = item["id"]
        if cid in coding:
            problems.append(Problem(f, line, f"duplicate coded id {cid!r}"))
            continue
        if cid not in by_id and keys is not None:
            problems.append(Problem(f, line, f"coded case {cid!r} has no entry in cases.yaml"))
        ev = item.get("evidence") or {}
        if not isinstance(ev, dict):
            problems.append(Problem(f, line_of(item, "evidence"), f"case {cid!r}: evidence must be a mapping"))
            continue
        if drop_unknown:
            kept = {k: v for k, v in ev.items() if str(k) in network and network[str(k)].role != "diagnosis"}
            dropped += len(ev) - len(kept)
            ev = kept
            item = {**item, "evidence": kept}
        try:
            resolve_evidence(network, {str(k): v for k, v in ev.items()})
        except EvidenceError as exc:
            problems.append(Problem(f, line_of(item, "evidence"), f"case {cid!r}: {exc}"))
            continue
        coding[cid] = item
    if coded is not None:
        for cid, item in by_id.items():
            if cid not in coding and not any(p.message.startswith(f"case {cid!r}") for p in problems):
                problems.append(Problem(str(keys_path), line_of(item), f"case {cid!r} has no coded evidence in coded.yaml"))
    if problems:
        raise SpecError(problems, what="validation cases")
    cases = []
    for cid, item in by_id.items():
        c = coding[cid]
        cases.append(Case(
            id=cid, source=str(item["source"]), diagnosis=item["diagnosis"], acceptable=tuple(item["acceptable"]),
            presentation=item["presentation"], split=item["split"],
            evidence={str(k): str(v) for k, v in (c.get("evidence") or {}).items()},
            reported_diagnosis=str(item["reported_diagnosis"]), vignette=str(item["vignette"]),
            extra=dict(c.get("extra") or {}),
        ))
    return CaseSet(tuple(cases), str(d), dropped)


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
        """Per half and can't-miss cause: its alert threshold, the cases of that cause, the share of them whose
        probability reached the threshold (recall), and the share of the other cases that raised the same alert
        (burden)."""
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
        """Per half: the mean number of can't-miss alerts per case on cases whose cause is not can't-miss, and the
        share of those cases with at least one alert."""
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
        """Cases whose reference diagnosis was not ranked first: id, diagnosis, top, p_top, p_true, rank, and the
        evidence conflict (conf > 0: the coded findings pull against each other; check the coding first)."""
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
        """The reliability diagrams of both halves side by side, as PNG bytes (for the model card and
        ``validate --plot``)."""
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
        """Reliability diagram of the top probability on ``half``: accuracy against confidence per bin, for the
        network and each baseline that is not flat, with the diagonal of perfect calibration."""
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
    cases : CaseSet or path, optional
        Default: the shipped set (``validation/``).
    models : sequence of str
        Which of :data:`MODELS` to score (all by default).
    drop_unknown : bool, default False
        Drop coded evidence on variables ``model`` does not have (to score an earlier release on the same cases).

    Returns
    -------
    Validation
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
    from .conflict import conflict as conflict_of
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
