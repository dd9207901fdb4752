"""Self-contained HTML reports: one case, its evidence, the posterior with credible intervals, the network drawn.

A report is built in two steps that never mix:

1. :func:`build_report` asks the model for results (posterior, uncertainty over the priors, every marginal) and
   returns a frozen :class:`Report` holding them;
2. :meth:`Report.to_html` only renders: a Jinja2 template (autoescaped), figures drawn by the results' own
   ``plot`` methods and embedded as base64 PNG, CSS inline. No external URL is referenced and a
   Content-Security-Policy forbids loading any, so the file reads the same offline, mailed or archived.

The sections after the posterior (can't-miss alerts, the work-up trajectory, which test next, the tornado) are
passed in: :func:`complete_report` (what ``bmes-bayes report`` runs) computes each with the model's own method
(``model.alert_config.assess``, ``model.workup``, ``model.next_test``, ``model.one_way``) and turns it into a
:class:`Section` with a compact table and the result's own plot; :func:`build_report` places whatever it is given
(a :class:`Section`, or any result with ``to_html()`` and optionally ``plot(ax=...)``) in a fixed order.

The report never talks to pgmpy; matplotlib and jinja2 are imported when a report is rendered.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._io import check_target, write_output
from .results import DISCLAIMER, ModelInfo

if TYPE_CHECKING:  # pragma: no cover
    from .drawing import Marginals
    from .model import BmesModel
    from .results import Posterior
    from .scenarios import Scenario
    from .sensitivity import Uncertainty

__all__ = ["Report", "Section", "Figure", "build_report", "complete_report", "write_reports", "result_section",
           "alerts_section", "workup_section", "next_test_section", "tornado_section", "canonical_scenarios",
           "CANONICAL_SCENARIOS", "default_report_path", "REPORT_FORMAT", "fingerprint_of"]

#: Bump when the rendered report changes for reasons its fingerprint cannot see (code, not inputs).
#: 2: alerts, work-up, which-test-next and tornado sections; one canonical scenario per diagnosis.
REPORT_FORMAT = 2

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"

#: Where optional sections go, in order, between the posterior and the network drawing: what must not be missed,
#: how the answer was reached, what to do next, and how far the answer rests on uncertain numbers.
OPTIONAL_SECTIONS: tuple[tuple[str, str], ...] = (
    ("alerts", "Can't-miss alerts"),
    ("workup", "The work-up, stage by stage"),
    ("next_test", "Which test next"),
    ("tornado", "What the answer is sensitive to"),
)

#: Colours kept in each embedded PNG (the most frequent ones; see :func:`render_figure`).
PALETTE_COLOURS = 64

#: Rows shown in the tables (and bars in the plots) of the tornado and which-test-next sections.
TOP_ROWS = 12
#: Plausible range of each parameter in the tornado (central probability of its prior).
TORNADO_LEVEL = 0.95


@dataclass(frozen=True)
class Figure:
    """A PNG embedded in the report."""

    png: bytes
    alt: str
    caption: str = ""

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


@dataclass(frozen=True)
class Section:
    """One optional section: a heading, an intro sentence, a trusted HTML body and figures.

    ``body`` must already be safe HTML (a result's own escaped ``to_html()``); everything else is escaped by the
    template.
    """

    id: str
    title: str
    body: str
    intro: str = ""
    figures: tuple[Figure, ...] = ()


@dataclass(frozen=True)
class EvidenceItem:
    variable: str
    state: str
    description: str
    soft: bool = False


@dataclass(frozen=True, eq=False)
class Report:
    """Everything one report shows, as results; :meth:`to_html` renders it without computing anything.

    Attributes
    ----------
    title, subtitle : str
    evidence : tuple of (stage, tuple of EvidenceItem)
        The evidence in work-up order: the scenario's stages, or each variable's stage in the network.
    scenario : Scenario or None
    posterior : Posterior
    uncertainty : Uncertainty
        Credible intervals over parameter sets drawn from the priors.
    marginals : Marginals
        Every variable's marginal, for the network drawing.
    model : ModelInfo
    priors_digest, network_digest : str
        sha256 of the prior files and of the network file.
    command : str
        The command that rebuilds this report.
    fingerprint : str
        sha256 of everything the report is built from (see :func:`fingerprint_of`).
    sections : dict
        Optional sections by id (``alerts``, ``workup``, ``next_test``, ``tornado``), in :data:`OPTIONAL_SECTIONS`.
    """

    title: str
    subtitle: str
    evidence: tuple[tuple[str, tuple[EvidenceItem, ...]], ...]
    scenario: "Scenario | None"
    posterior: "Posterior"
    uncertainty: "Uncertainty"
    marginals: "Marginals"
    model: ModelInfo
    priors_digest: str
    network_digest: str
    command: str
    fingerprint: str
    sections: dict[str, Section] = field(default_factory=dict)

    def __repr__(self) -> str:
        top = self.uncertainty.top
        return (f"<Report {self.title!r}: {sum(len(items) for _, items in self.evidence)} findings; top = {top}; "
                f"{len(self.sections)} optional section{'s' if len(self.sections) != 1 else ''}>")

    # ------------------------------------------------------------------------------------------ render
    def figures(self) -> dict[str, Figure]:
        """The figures of the fixed sections, drawn by the results' own ``plot`` methods."""
        n = self.uncertainty.n_samples
        return {
            "posterior": render_figure(self.uncertainty, size=(7.5, 4.2), alt=(
                f"Posterior probability of each diagnosis with its {self.uncertainty.level:.0%} credible interval "
                f"over {n} parameter sets")),
            "network": render_figure(self.marginals, size=(16.0, 10.0), dpi=90, alt=(
                "The network: context, risk factors, diagnosis and findings, each with its posterior as bars; "
                "observed findings in amber")),
        }

    def to_html(self) -> str:
        """The whole report as one self-contained HTML document (UTF-8 text)."""
        env = _environment()
        template = env.get_template("report.html.j2")
        frame = self.uncertainty.to_frame()
        target = self.uncertainty.target
        rows = [{"state": r[target], "point": r["point"], "lower": r["lower"], "upper": r["upper"],
                 "p_top": r["p_top"]} for r in frame.to_dict("records")]
        ordered = [self.sections[key] for key, _ in OPTIONAL_SECTIONS if key in self.sections]
        return template.render(
            report=self, rows=rows, figures=self.figures(), sections=ordered, disclaimer=DISCLAIMER,
            level=self.uncertainty.level, n_samples=self.uncertainty.n_samples, seed=self.uncertainty.seed,
            threshold=self.uncertainty.threshold, verdict=self.uncertainty.verdict, target=target,
            stage_titles=STAGE_TITLES,
        )

    def _repr_html_(self) -> str:
        """In Jupyter: the report in a sandboxed frame (its CSS stays out of the notebook's)."""
        import html

        try:
            doc = self.to_html()
        except Exception:  # a display must never fail
            return f"<pre>{html.escape(repr(self))}</pre>"
        return (f'<iframe sandbox="" style="width:100%;height:900px;border:1px solid #ccc" '
                f'srcdoc="{html.escape(doc, quote=True)}"></iframe>')

    def write(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write the report to ``path`` atomically; refuse to replace an existing file unless ``overwrite``, and
        anything but a regular file (see :func:`bmes_bayes._io.check_target`)."""
        check_target(path, overwrite=overwrite)  # before rendering: no work for a refused write
        return write_output(path, self.to_html(), overwrite=overwrite)


STAGE_TITLES = {"history": "History", "examination": "Examination", "xray_and_labs": "X-ray and laboratory tests",
                "mri": "MRI", "immediate_checks": "Immediate checks (joint aspirate)",
                "followup": "Follow-up (3-6 months)", "diagnosis": "Diagnosis", "": "Other"}


def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(str(TEMPLATE_DIR)), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["pct"] = lambda x: f"{100 * float(x):.1f}%"
    env.filters["prob"] = lambda x: f"{float(x):.3f}"
    env.filters["label"] = lambda s: str(s).replace("_", " ")
    return env


def render_figure(result: Any, *, size: tuple[float, float], alt: str, caption: str = "", dpi: int = 110,
                  options: Mapping[str, Any] | None = None) -> Figure:
    """``result.plot(ax=..., **options)`` on a fresh Agg figure (no pyplot state), as a compact PNG.

    The image is reduced to a palette of its :data:`PALETTE_COLOURS` most frequent colours, every other pixel
    mapped to the nearest of them without dithering (Pillow, which matplotlib requires). A plot's flat colours are
    its most frequent ones, so they survive exactly (median cut merges them); only anti-aliasing shades are
    rounded, and the file is about a third of the size. No timestamp or software tag is written, so the same
    figure gives the same bytes.
    """
    import numpy as np
    from matplotlib.figure import Figure as MplFigure
    from PIL import Image

    fig = MplFigure(figsize=size, layout="constrained")
    ax = fig.add_subplot()
    result.plot(ax=ax, **dict(options or {}))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None}, facecolor="white")
    image = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    pixels = np.asarray(image)
    rgb = pixels.reshape(-1, 3).astype(np.int64)
    keys, inverse, counts = np.unique((rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2], return_inverse=True,
                                      return_counts=True)
    colours = np.stack([(keys >> 16) & 255, (keys >> 8) & 255, keys & 255], axis=1)
    palette = colours[np.argsort(-counts, kind="stable")[:PALETTE_COLOURS]]
    # nearest palette colour of every distinct colour (exact, unlike Pillow's quantize(palette=), which rounds)
    nearest = ((colours[:, None, :] - palette[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    small = Image.fromarray(nearest[inverse.ravel()].reshape(pixels.shape[:2]).astype(np.uint8), mode="P")
    small.putpalette(palette.astype(np.uint8).ravel().tolist())
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return Figure(out.getvalue(), alt=alt, caption=caption)


def result_section(key: str, result: Any, *, title: str | None = None, intro: str = "",
                   figure_size: tuple[float, float] = (7.5, 4.2)) -> Section:
    """An optional section from any result with ``to_html()`` (and, if it has one, ``plot(ax=...)``).

    Phase-2 hook: the tornado, next-test and alert results plug in here unchanged.
    """
    titles = dict(OPTIONAL_SECTIONS)
    if key not in titles:
        raise ValueError(f"unknown section {key!r}; expected one of {', '.join(titles)}")
    figures: tuple[Figure, ...] = ()
    if callable(getattr(result, "plot", None)):
        figures = (render_figure(result, size=figure_size, alt=title or titles[key]),)
    return Section(id=key, title=title or titles[key], body=result.to_html(), intro=intro, figures=figures)


# ---------------------------------------------------------------------------------------------- sections
# Each builder renders one result (computed elsewhere) as a Section: a compact table from the result's to_frame(),
# its verdict, and its own plot. Nothing is computed here.

def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _label(value: object) -> str:
    return str(value).replace("_", " ")


def _table(rows: Sequence[Sequence[str]], header: Sequence[str], *, numeric: Sequence[int] = (),
           row_classes: Sequence[str] | None = None, css: str = "") -> str:
    """An HTML table from cells that are already escaped HTML; ``numeric`` columns right-aligned."""
    num = set(numeric)

    def cell(tag: str, i: int, content: str, extra: str = "") -> str:
        cls = ' class="num"' if i in num else ""
        return f"<{tag}{extra}{cls}>{content}</{tag}>"

    head = "".join(cell("th", i, h, ' scope="col"') for i, h in enumerate(header))
    body = []
    for r, cells in enumerate(rows):
        cls = row_classes[r] if row_classes else ""
        attr = f' class="{cls}"' if cls else ""
        body.append(f"<tr{attr}>" + "".join(cell("td", i, c) for i, c in enumerate(cells)) + "</tr>")
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _p(x: float) -> str:
    """A probability for a table: 3 decimals, or '<0.001' (never a misleading 0.000)."""
    x = float(x)
    return "&lt;0.001" if 0 < x < 0.0005 else f"{x:.3f}"


def alerts_section(check: Any) -> Section:
    """The can't-miss section from an :class:`~bmes_bayes.teaching.AlertCheck`: every can't-miss diagnosis against
    its threshold, with the reasoning of those that fire."""
    frame = check.to_frame()
    title = dict(OPTIONAL_SECTIONS)["alerts"]
    if frame.empty:
        return Section(id="alerts", title=title, body=f"<p>{_esc(check.verdict)}</p>")
    rows, classes = [], []
    for r in frame.itertuples():
        rows.append([_esc(_label(r.diagnosis)), f"{r.threshold:g}", _p(r.probability),
                     f"{_p(r.lower)}&ndash;{_p(r.upper)}", f"{r.p_alert:.0%}",
                     "<strong>ALERT</strong>" if r.alert else "below threshold"])
        classes.append("alert" if r.alert else "")
    body = [f'<p class="verdict">{_esc(check.verdict)}</p>',
            _table(rows, ["Can't-miss diagnosis", "Threshold", "P", f"{check.level:.0%} interval",
                          "Fires in", "Status"], numeric=(1, 2, 3, 4), row_classes=classes, css="alerts")]
    fired = [r for r in frame.itertuples() if r.alert]
    if fired:
        items = "".join(f"<li><strong>{_esc(_label(r.diagnosis))}</strong>: {_esc(r.reasoning)}</li>" for r in fired)
        body.append('<p class="label-line">Why each alert matters and how to exclude it:</p>'
                    f'<ul class="reasons">{items}</ul>')
    intro = ("A can't-miss diagnosis is flagged whenever its probability reaches its testing threshold, whatever its "
             "rank (thresholds and reasoning: priors/teaching/cant_miss.yaml, expert judgement after Pauker and "
             f"Kassirer 1980). \"Fires in\" is the share of the {check.n_samples} parameter sets drawn from the priors "
             "in which the alert would fire.")
    n = len(frame)
    figure = render_figure(check, size=(7.5, 0.45 * max(n, 3) + 1.6), alt=(
        "Each can't-miss diagnosis: its probability with credible interval against its alert threshold, log scale"))
    return Section(id="alerts", title=title, body="\n".join(body), intro=intro, figures=(figure,))


def workup_section(work: Any) -> Section:
    """The work-up section from a :class:`~bmes_bayes.teaching.Workup`: the posterior after each stage."""
    frame = work.to_frame()
    order = list(work.final.to_frame()["state"])
    stages = list(zip(work.stages, range(1, len(work.stages) + 1)))
    header = ["Diagnosis"] + [f"{i}. {_esc(STAGE_TITLES.get(st, _label(st)))}" for st, i in stages]
    cells = {(r.diagnosis, r.stage_index): r for r in frame.itertuples()}
    rows = []
    for d in order:
        row = [_esc(_label(d))]
        for _, i in stages:
            r = cells[(d, i)]
            text = f"{r.probability:.2f} <small>({r.lower:.2f}&ndash;{r.upper:.2f})</small>"
            row.append(f'<span class="alert">{text} !</span>' if r.alert else text)
        rows.append(row)
    top, p = work.final.top
    first = work.posteriors[0][top]
    intro = (f"P(diagnosis | evidence so far) after each stage of the case, with {work.level:.0%} bands over the same "
             f"{work.n_samples} parameter sets at every stage (seed {work.seed}); ! marks a can't-miss alert. "
             f"{_label(top)} goes from {first:.2f} after the first stage to {p:.2f} at the end.")
    figure = render_figure(work, size=(8.6, 4.6), alt=(
        "Work-up trajectory: each diagnosis across the stages, with credible bands for the most probable and red "
        "rings where a can't-miss alert fires"))
    return Section(id="workup", title=dict(OPTIONAL_SECTIONS)["workup"],
                   body=_table(rows, header, numeric=tuple(range(1, len(stages) + 1)), css="workup"),
                   intro=intro, figures=(figure,))


def next_test_section(nxt: Any, *, limit: int = TOP_ROWS) -> Section:
    """The which-test-next section from a :class:`~bmes_bayes.teaching.NextTest`: the best candidates and what
    each result of the best one would do."""
    frame = nxt.to_frame()
    frame = frame[~frame["observed"]].head(limit)
    title = dict(OPTIONAL_SECTIONS)["next_test"]
    intro = (f"Findings and history questions not yet known, ranked by the expected reduction of the uncertainty "
             f"(entropy) of the diagnosis, now {nxt.entropy:.2f} bits, and by the expected change of the can't-miss "
             f"probabilities ({', '.join(_label(c) for c in nxt.cant_miss) or 'none set'}). Exact, on the point model.")
    if frame.empty:
        return Section(id="next_test", title=title, body="<p>Nothing is left to observe.</p>", intro=intro)
    rows = [[str(r.rank), f"<code>{_esc(r.finding)}</code>", _esc(STAGE_TITLES.get(r.stage, _label(r.stage))),
             f"{r.entropy_reduction:.3f}", f"{r.cant_miss_change:.3f}"] for r in frame.itertuples()]
    body = [_table(rows, ["Rank", "Test or question", "Stage", "Entropy reduction (bits)", "Can't-miss change"],
                   numeric=(0, 3, 4), css="next-test")]
    best = nxt.best
    out = nxt.outcomes[nxt.outcomes["finding"] == best]
    lines = []
    for state, sub in out.groupby("state", sort=False):
        sub = sub.reindex(sub["change"].abs().sort_values(ascending=False).index).head(3)
        moves = ", ".join(f"{_esc(_label(r.diagnosis))} {r.probability - r.change:.2f}&nbsp;&rarr;&nbsp;"
                          f"{r.probability:.2f}" for r in sub.itertuples())
        lines.append(f"<li>if <code>{_esc(best)}={_esc(state)}</code> (P {sub['p_state'].iloc[0]:.2f} now): "
                     f"{moves}</li>")
    body.append(f'<p class="label-line">What each result of the best candidate, <code>{_esc(best)}</code>, would do '
                f'to the most affected diagnoses:</p><ul class="outcomes">{"".join(lines)}</ul>')
    figure = render_figure(nxt, size=(7.5, 0.3 * max(len(frame), 3) + 1.7), options={"limit": limit}, alt=(
        f"Which test next: expected entropy reduction of the best {len(frame)} candidates (bars) and expected "
        "change of the can't-miss probabilities (diamonds)"))
    return Section(id="next_test", title=title, body="\n".join(body), intro=intro, figures=(figure,))


def tornado_section(one_way: Any, *, limit: int = TOP_ROWS) -> Section:
    """The tornado section from a :class:`~bmes_bayes.sensitivity.OneWay`: the parameters whose plausible range
    moves the answer most."""
    full = one_way.to_frame()
    frame = full.head(limit)
    target = one_way.target_state
    rows, classes = [], []
    for r in frame.itertuples():
        flip = [f"{_esc(_label(t))} at the {end} end" for t, end in ((r.top_low, "low"), (r.top_high, "high"))
                if t != one_way.point_top]
        span = f"{r.low_value:.3g}&ndash;{r.high_value:.3g} <small>({r.point_value:.3g})</small>"
        rows.append([_esc(r.parameter), span, _p(r.p_low), _p(r.p_high), f"{r.swing:.3f}", "; ".join(flip) or "no"])
        classes.append("flip" if flip else "")
    intro = (f"P({_label(target)} | evidence) = {one_way.point:.2f} under the point model. Each uncertain parameter "
             f"is moved alone to both ends of its {one_way.level:.0%} plausible range (the rest of its row co-varied "
             f"proportionally), the others kept at their point values; the {len(frame)} with the largest swing of the "
             f"{len(full)} that can move this answer.")
    body = [f'<p class="verdict">{_esc(one_way.verdict)}</p>',
            _table(rows, ["Parameter", f"{one_way.level:.0%} range (point)", "P at low end", "P at high end",
                          "Swing", "First place changes?"], numeric=(1, 2, 3, 4), row_classes=classes,
                   css="tornado")]
    figure = render_figure(one_way, size=(8.6, 0.32 * max(len(frame), 3) + 1.8), options={"n": limit}, alt=(
        f"Tornado: P({_label(target)} | evidence) at the low and high end of each parameter's plausible range, "
        "widest on top; the line is the point model"))
    return Section(id="tornado", title=dict(OPTIONAL_SECTIONS)["tornado"], body="\n".join(body), intro=intro,
                   figures=(figure,))


# ---------------------------------------------------------------------------------------------- building

#: The reports kept in ``reports/``: one textbook case per diagnosis (none for traumatic fracture: the library's
#: traumatic-fracture cases are all challenge cases).
CANONICAL_SCENARIOS: tuple[str, ...] = (
    "classic-toh",                            # transient bone marrow edema syndrome
    "steroid-osteonecrosis-sle",              # osteonecrosis (the demo case)
    "febrile-osteomyelitis-abscess",          # infection
    "femoral-neck-stress-fracture-recruit",   # stress fracture
    "sonk-sifk-classic",                      # subchondral insufficiency fracture
    "knee-oa-classic",                        # osteoarthritis
    "metastasis-classic",                     # tumour
    "tophaceous-gout-ankle",                  # inflammatory arthritis
)


def canonical_scenarios() -> list[str]:
    """The scenarios whose reports are kept in ``reports/``: one textbook case per diagnosis that has one."""
    return list(CANONICAL_SCENARIOS)


def _evidence_key(evidence: Mapping[str, object]) -> str:
    return json.dumps({k: evidence[k] for k in sorted(evidence)}, sort_keys=True, default=str)


def default_report_path(*, scenario: str | None = None, evidence: Mapping[str, object] | None = None,
                        directory: str | Path = "reports") -> Path:
    """``reports/<scenario>.html``, or ``reports/evidence-<hash>.html`` for free evidence."""
    if scenario is not None:
        return Path(directory) / f"{scenario}.html"
    digest = hashlib.sha256(_evidence_key(evidence or {}).encode()).hexdigest()[:10]
    return Path(directory) / f"evidence-{digest}.html"


def fingerprint_of(model: "BmesModel", *, scenario: "Scenario | None" = None,
                   evidence: Mapping[str, object] | None = None, n_samples: int, seed: int, level: float) -> str:
    """sha256 over what a report is built from: model files, package version, the case, options, templates."""
    h = hashlib.sha256()
    templates = sorted(TEMPLATE_DIR.glob("*"))
    parts = {
        "format": REPORT_FORMAT, "model": model.info.digest, "package": model.info.package_version,
        "case": (hashlib.sha256(Path(scenario.path).read_bytes()).hexdigest() if scenario is not None
                 else _evidence_key(evidence or {})),
        "options": [n_samples, seed, level],
        "templates": {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in templates if p.is_file()},
    }
    h.update(json.dumps(parts, sort_keys=True).encode())
    return h.hexdigest()


def _items(model: "BmesModel", evidence: Mapping[str, object], labels: Mapping[str, object]) -> list[EvidenceItem]:
    out = []
    for name in evidence:
        v = model.network[name]
        soft = isinstance(evidence[name], (Mapping, list, tuple))
        out.append(EvidenceItem(name, str(labels.get(name, evidence[name])), v.description, soft))
    return out


def build_report(model: "BmesModel", evidence: Mapping[str, object] | None = None, *,
                 scenario: "str | Scenario | None" = None, n_samples: int = 2000, seed: int = 0,
                 level: float = 0.9, tornado: Any = None, next_test: Any = None, alerts: Any = None,
                 workup: Any = None, command: str | None = None, uncertainty: Any = None) -> Report:
    """Compute everything a report shows, for a scenario (by name or object) or for ``evidence``.

    Parameters
    ----------
    model : BmesModel
    evidence : mapping, optional
        Free evidence (as for :meth:`BmesModel.posterior`); not with ``scenario``.
    scenario : str or Scenario, optional
        A case of the scenario library: its evidence by stage, narrative and source.
    n_samples, seed, level
        The credible intervals: parameter sets drawn from the priors, their seed and the credible level.
    tornado, next_test, alerts, workup : Section or result object, optional
        The sections after the posterior: a :class:`Section` (see :func:`tornado_section` and the others), or
        anything with ``to_html()`` (and optionally ``plot(ax=...)``). :func:`complete_report` computes them all.
    command : str, optional
        The command that rebuilds the report, shown in it (default: the ``bmes-bayes report`` call).
    uncertainty : Uncertainty, optional
        The credible intervals, when the caller has them already (``model.sensitivity(evidence, n_samples=...,
        seed=..., level=...)``, or the last stage of the scenario's work-up, which is the same); computed otherwise.

    Returns
    -------
    Report

    Raises
    ------
    BmesError
        Unknown scenario, bad evidence (naming the problem), or both ``scenario`` and ``evidence`` given.
    """
    from .exceptions import BmesError
    from .scenarios import Scenario, load

    if scenario is not None and evidence:
        raise BmesError("give a scenario or evidence, not both")
    case: Scenario | None = None
    if scenario is not None:
        case = scenario if isinstance(scenario, Scenario) else load(scenario, network=model.network)
        evidence = case.evidence
    evidence = dict(evidence or {})
    posterior = model.posterior(evidence)
    labels = posterior.evidence
    if case is not None:
        grouped = [(st.stage, tuple(_items(model, st.evidence, labels))) for st in case.stages]
    else:
        from .spec import STAGES

        order = {s: i for i, s in enumerate(STAGES)}
        by_stage: dict[str, list[EvidenceItem]] = {}
        for item in _items(model, evidence, labels):
            by_stage.setdefault(model.network[item.variable].stage or "", []).append(item)
        grouped = [(s, tuple(by_stage[s])) for s in sorted(by_stage, key=lambda s: order.get(s, len(order)))]
    if uncertainty is None:
        uncertainty = model.sensitivity(evidence, n_samples=n_samples, seed=seed, level=level, progress=False)
    elif (uncertainty.n_samples, uncertainty.seed, uncertainty.level, uncertainty.evidence) != (
            n_samples, seed, level, posterior.evidence):
        raise BmesError("the uncertainty given was computed for other evidence, draws, seed or level")
    marginals = model.marginals(evidence)
    if command is None:
        if case is not None:
            command = f"bmes-bayes report --scenario {case.name}"
        else:
            command = "bmes-bayes report --evidence " + " ".join(_cli_item(k, v) for k, v in evidence.items())
        if (n_samples, seed, level) != (2000, 0, 0.9):
            command += f" --samples {n_samples} --seed {seed} --level {level:g}"
    sections = {}
    for key, result in (("alerts", alerts), ("workup", workup), ("next_test", next_test), ("tornado", tornado)):
        if result is not None:
            sections[key] = result if isinstance(result, Section) else result_section(key, result)
    return Report(
        title=case.title if case is not None else "Differential diagnosis for the evidence given",
        subtitle=(f"Scenario {case.name} ({case.kind} case)" if case is not None else
                  f"{len(evidence)} finding{'s' if len(evidence) != 1 else ''} entered"),
        evidence=tuple(grouped), scenario=case, posterior=posterior, uncertainty=uncertainty,
        marginals=marginals, model=model.info, priors_digest=model.priors.digest,
        network_digest=model.network.digest, command=command,
        fingerprint=fingerprint_of(model, scenario=case, evidence=evidence, n_samples=n_samples, seed=seed,
                                   level=level),
        sections=sections,
    )


def complete_report(model: "BmesModel", evidence: Mapping[str, object] | None = None, *,
                    scenario: "str | Scenario | None" = None, n_samples: int = 2000, seed: int = 0,
                    level: float = 0.9, command: str | None = None) -> Report:
    """The full report, as ``bmes-bayes report`` writes it: :func:`build_report` with every section computed.

    Can't-miss alerts (``model.alert_config.assess`` on the credible intervals), the work-up trajectory for a
    scenario (``model.workup`` with the report's ``n_samples``, ``seed`` and ``level``: its last stage is the
    report's posterior), which test next (``model.next_test``) and the tornado of the most probable diagnosis
    (``model.one_way`` over each parameter's 95% range).

    Parameters and errors as for :func:`build_report`.

    Returns
    -------
    Report

    Examples
    --------
    >>> import bmes_bayes
    >>> from bmes_bayes.report import complete_report
    >>> rep = complete_report(bmes_bayes.load_model(), scenario="classic-toh", n_samples=50)
    >>> list(rep.sections)
    ['alerts', 'workup', 'next_test', 'tornado']
    """
    from .exceptions import BmesError
    from .scenarios import Scenario, load

    if scenario is not None and evidence:
        raise BmesError("give a scenario or evidence, not both")
    case = None
    if scenario is not None:
        case = scenario if isinstance(scenario, Scenario) else load(scenario, network=model.network)
        evidence = case.evidence
    evidence = dict(evidence or {})
    sections = {}
    if case is not None:  # the work-up's last stage is the whole evidence under the same draws: computed once
        work = model.workup(case, n_samples=n_samples, seed=seed, level=level)
        sections["workup"] = workup_section(work)
        uncertainty = work.uncertainty(-1)
    else:
        uncertainty = model.sensitivity(evidence, n_samples=n_samples, seed=seed, level=level, progress=False)
    sections.update({
        "alerts": alerts_section(model.alert_config.assess(uncertainty)),
        "next_test": next_test_section(model.next_test(evidence)),
        "tornado": tornado_section(model.one_way(evidence, level=TORNADO_LEVEL)),
    })
    return build_report(model, None if case is not None else evidence, scenario=case, n_samples=n_samples,
                        seed=seed, level=level, command=command, uncertainty=uncertainty, **sections)


def _cli_item(name: str, value: object) -> str:
    if isinstance(value, Mapping):
        return f"{name}=" + ",".join(f"{s}:{x:g}" for s, x in value.items())
    return f"{name}={value}"


def write_reports(model: "BmesModel", names: Sequence[str], directory: str | Path = "reports", *,
                  overwrite: bool = False, **options) -> list[Path]:
    """Build (:func:`complete_report`) and write the reports of several scenarios to ``directory``/<name>.html."""
    paths = [check_target(default_report_path(scenario=name, directory=directory), overwrite=overwrite)
             for name in names]  # every target before the first report is built
    return [complete_report(model, scenario=name, **options).write(path, overwrite=overwrite)
            for name, path in zip(names, paths)]
