"""Self-contained HTML reports: one case, its evidence, the posterior with credible intervals, the network drawn.

A report is built in two steps that never mix:

1. :func:`build_report` asks the model for results (posterior, uncertainty over the priors, every marginal) and
   returns a frozen :class:`Report` holding them;
2. :meth:`Report.to_html` only renders: a Jinja2 template (autoescaped), figures drawn by the results' own
   ``plot`` methods and embedded as base64 PNG, CSS inline. No external URL is referenced and a
   Content-Security-Policy forbids loading any, so the file reads the same offline, mailed or archived.

Optional sections (phase 2 of issue 5: the tornado, which test next, can't-miss alerts) are hooks: pass any
result object with ``to_html()`` (and optionally ``plot(ax=...)``) as ``tornado=``, ``next_test=`` or ``alerts=``
to :func:`build_report`; :func:`result_section` turns it into a section in a fixed place of the report.

The report never talks to pgmpy; matplotlib and jinja2 are imported when a report is rendered.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._io import write_new
from .results import DISCLAIMER, ModelInfo

if TYPE_CHECKING:  # pragma: no cover
    from .drawing import Marginals
    from .model import BmesModel
    from .results import Posterior
    from .scenarios import Scenario
    from .sensitivity import Uncertainty

__all__ = ["Report", "Section", "Figure", "build_report", "write_reports", "result_section", "canonical_scenarios",
           "default_report_path", "REPORT_FORMAT", "fingerprint_of"]

#: Bump when the rendered report changes for reasons its fingerprint cannot see (code, not inputs).
REPORT_FORMAT = 1

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"

#: Where optional sections go, in order, between the posterior and the network drawing.
OPTIONAL_SECTIONS: tuple[tuple[str, str], ...] = (
    ("alerts", "Can't-miss alerts"),
    ("next_test", "Which test next"),
    ("tornado", "What the answer is sensitive to"),
)


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
        Optional sections by id (``alerts``, ``next_test``, ``tornado``), in :data:`OPTIONAL_SECTIONS`.
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
            "network": render_figure(self.marginals, size=(16.0, 10.0), dpi=100, alt=(
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
        """Write the report to ``path`` atomically; refuse to replace an existing file unless ``overwrite``."""
        path = Path(path)
        if path.exists() and not overwrite:  # checked before rendering: no work for a refused write
            from .exceptions import BmesError

            raise BmesError(f"{path} exists; pass overwrite=True (--force on the command line) to replace it")
        return write_new(path, self.to_html(), overwrite=overwrite)


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


def render_figure(result: Any, *, size: tuple[float, float], alt: str, caption: str = "", dpi: int = 110) -> Figure:
    """``result.plot(ax=...)`` on a fresh Agg figure (no pyplot state), as a compact PNG.

    The image is reduced to a 256-colour palette without dithering (Pillow, which matplotlib requires): flat
    plot colours survive exactly and the file is about a third of the size. No timestamp or software tag is
    written, so the same figure gives the same bytes.
    """
    from matplotlib.figure import Figure as MplFigure
    from PIL import Image

    fig = MplFigure(figsize=size, layout="constrained")
    ax = fig.add_subplot()
    result.plot(ax=ax)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None}, facecolor="white")
    image = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    small = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
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


# ---------------------------------------------------------------------------------------------- building


def canonical_scenarios() -> list[str]:
    """The scenarios whose reports are kept in ``reports/``: every textbook case of the library."""
    from .scenarios import load_all

    return [s.name for s in load_all() if s.kind == "textbook"]


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
                 command: str | None = None) -> Report:
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
    tornado, next_test, alerts : result objects, optional
        Phase-2 sections: anything with ``to_html()`` (and optionally ``plot(ax=...)``).
    command : str, optional
        The command that rebuilds the report, shown in it (default: the ``bmes-bayes report`` call).

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
    uncertainty = model.sensitivity(evidence, n_samples=n_samples, seed=seed, level=level, progress=False)
    marginals = model.marginals(evidence)
    if command is None:
        if case is not None:
            command = f"bmes-bayes report --scenario {case.name}"
        else:
            command = "bmes-bayes report --evidence " + " ".join(_cli_item(k, v) for k, v in evidence.items())
        if (n_samples, seed, level) != (2000, 0, 0.9):
            command += f" --samples {n_samples} --seed {seed} --level {level:g}"
    sections = {}
    for key, result in (("alerts", alerts), ("next_test", next_test), ("tornado", tornado)):
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


def _cli_item(name: str, value: object) -> str:
    if isinstance(value, Mapping):
        return f"{name}=" + ",".join(f"{s}:{x:g}" for s, x in value.items())
    return f"{name}={value}"


def write_reports(model: "BmesModel", names: Sequence[str], directory: str | Path = "reports", *,
                  overwrite: bool = False, **options) -> list[Path]:
    """Build and write the reports of several scenarios to ``directory``/<name>.html."""
    out = []
    for name in names:
        path = default_report_path(scenario=name, directory=directory)
        if path.exists() and not overwrite:
            from .exceptions import BmesError

            raise BmesError(f"{path} exists; pass overwrite=True (--force on the command line) to replace it")
        out.append(build_report(model, scenario=name, **options).write(path, overwrite=overwrite))
    return out
