"""Building a report: every result it shows computed once, from the model, into a frozen :class:`Report` record.

:func:`complete_report` (what ``bmes-bayes report`` runs) asks the model for each result exactly once: the
posterior, the credible intervals (for a scenario, the last stage of its work-up, whose parameter draws every stage
shares; else ``model.sensitivity``), every marginal, the can't-miss check on those intervals, which test next and
the tornado. :func:`build_report` computes the fixed part and places whatever sections it is given. Rendering
(:mod:`bmes_bayes.report.render`) reads the record and never calls the model.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._io import check_target, write_output
from ..display import ModelInfo
from .render import TEMPLATE_DIR, Figure, Section, render_figures, render_html, render_sections

if TYPE_CHECKING:  # pragma: no cover
    from ..model import BmesModel
    from ..results import Marginals, Posterior
    from ..scenarios import Scenario
    from ..sensitivity import Uncertainty

__all__ = ["Report", "EvidenceItem", "build_report", "complete_report", "write_reports", "canonical_scenarios",
           "CANONICAL_SCENARIOS", "default_report_path", "REPORT_FORMAT", "TORNADO_LEVEL", "fingerprint_of"]

#: Bump when the rendered report changes for reasons its fingerprint cannot see (code, not inputs).
#: 2: alerts, work-up, which-test-next and tornado sections; one canonical scenario per diagnosis.
REPORT_FORMAT = 2

#: Plausible range of each parameter in the tornado (central probability of its prior).
TORNADO_LEVEL = 0.95


@dataclass(frozen=True)
class EvidenceItem:
    """One item of evidence as the report lists it.

    The variable, its state (or a soft finding in words), what the variable means, and whether the evidence is soft.
    """

    variable: str
    state: str
    description: str
    soft: bool = False



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


@dataclass(frozen=True, eq=False)
class Report:
    """Everything one report shows, as computed results; :meth:`to_html` renders it without calling the model.

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
    analyses : mapping
        The analysis results :func:`complete_report` computed, by section id: ``alerts`` (an ``AlertCheck``),
        ``workup`` (a ``Workup``, for a scenario), ``next_test`` (a ``NextTest``), ``tornado`` (a ``OneWay``).
    given : mapping
        Sections given to :func:`build_report`, by section id: a :class:`Section`, or any result with ``to_html()``
        (and optionally ``plot(ax=...)``).
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
    analyses: Mapping[str, Any] = field(default_factory=dict)
    given: Mapping[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        top = self.uncertainty.top
        n = len(set(self.analyses) | set(self.given))
        return (f"<Report {self.title!r}: {sum(len(items) for _, items in self.evidence)} findings; top = {top}; "
                f"{n} optional section{'s' if n != 1 else ''}>")

    # ------------------------------------------------------------------------------------------ render
    @cached_property
    def sections(self) -> dict[str, Section]:
        """The optional sections, by id, in the order they are shown (rendered once, from the results held)."""
        return render_sections(self)

    def figures(self) -> dict[str, Figure]:
        """The figures of the fixed sections, drawn by the results' own ``plot`` methods."""
        return render_figures(self)

    def to_html(self, *, parallel: bool = False) -> str:
        """The whole report as one self-contained HTML document (UTF-8 text).

        See :func:`bmes_bayes.report.render.render_html` (and its ``parallel``).
        """
        return render_html(self, parallel=parallel)

    def _repr_html_(self) -> str:
        """In Jupyter: the report in a sandboxed frame (its CSS stays out of the notebook's)."""
        import html

        try:
            doc = self.to_html()
        except Exception:  # a display must never fail
            return f"<pre>{html.escape(repr(self))}</pre>"
        return (f'<iframe sandbox="" style="width:100%;height:900px;border:1px solid #ccc" '
                f'srcdoc="{html.escape(doc, quote=True)}"></iframe>')

    def write(self, path: str | Path, *, overwrite: bool = False, parallel: bool = False) -> Path:
        """Write the report to ``path`` atomically.

        Refuse to replace an existing file unless ``overwrite``, and anything but a regular file (see
        :func:`bmes_bayes._io.check_target`).

        Parameters
        ----------
        path : str or Path
        overwrite : bool, default False
        parallel : bool, default False
            Render in two processes (see :func:`bmes_bayes.report.render.render_html`); the bytes are the same.

        Returns
        -------
        Path
            Where the report was written.

        Raises
        ------
        BmesError
            The target exists (without ``overwrite``) or is not a regular file.
        """
        check_target(path, overwrite=overwrite)  # before rendering: no work for a refused write
        return write_output(path, self.to_html(parallel=parallel), overwrite=overwrite)



def _case(model: "BmesModel", evidence: Mapping[str, object] | None,
          scenario: "str | Scenario | None") -> tuple["Scenario | None", dict[str, object]]:
    """The scenario (loaded by name) and the evidence of a report; refuses both at once."""
    from ..exceptions import BmesError
    from ..scenarios import Scenario, load

    if scenario is not None and evidence:
        raise BmesError("give a scenario or evidence, not both")
    if scenario is None:
        return None, dict(evidence or {})
    case = scenario if isinstance(scenario, Scenario) else load(scenario, network=model.network)
    return case, dict(case.evidence)


def _assemble(model: "BmesModel", case: "Scenario | None", evidence: dict[str, object], *, n_samples: int,
              seed: int, level: float, command: str | None, uncertainty: Any, analyses: Mapping[str, Any],
              given: Mapping[str, Any]) -> Report:
    """The record: the posterior and the marginals computed here (once each), the intervals computed unless given."""
    from ..exceptions import BmesError

    posterior = model.posterior(evidence)
    labels = posterior.evidence
    if case is not None:
        grouped = [(st.stage, tuple(_items(model, st.evidence, labels))) for st in case.stages]
    else:
        from ..spec import STAGES

        order = {s: i for i, s in enumerate(STAGES)}
        by_stage: dict[str, list[EvidenceItem]] = {}
        for item in _items(model, evidence, labels):
            by_stage.setdefault(model.network[item.variable].stage or "", []).append(item)
        grouped = [(s, tuple(by_stage[s])) for s in sorted(by_stage, key=lambda s: order.get(s, len(order)))]
    if uncertainty is None:
        uncertainty = model.uncertainty(evidence, n_samples=n_samples, seed=seed, level=level, progress=False)
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
    return Report(
        title=case.title if case is not None else "Differential diagnosis for the evidence given",
        subtitle=(f"Scenario {case.name} ({case.kind} case)" if case is not None else
                  f"{len(evidence)} finding{'s' if len(evidence) != 1 else ''} entered"),
        evidence=tuple(grouped), scenario=case, posterior=posterior, uncertainty=uncertainty,
        marginals=marginals, model=model.info, priors_digest=model.priors.digest,
        network_digest=model.network.digest, command=command,
        fingerprint=fingerprint_of(model, scenario=case, evidence=evidence, n_samples=n_samples, seed=seed,
                                   level=level),
        analyses=dict(analyses), given=dict(given),
    )


def build_report(model: "BmesModel", evidence: Mapping[str, object] | None = None, *,
                 scenario: "str | Scenario | None" = None, n_samples: int = 2000, seed: int = 0,
                 level: float = 0.9, tornado: Any = None, next_test: Any = None, alerts: Any = None,
                 workup: Any = None, command: str | None = None, uncertainty: Any = None) -> Report:
    """Compute the fixed part of a report (posterior, credible intervals, marginals).

    For a scenario (by name or object) or for ``evidence``, and place the sections given.

    Parameters
    ----------
    model : BmesModel
        The compiled model (:func:`~bmes_bayes.load_model`).
    evidence : mapping, optional
        Free evidence (as for :meth:`BmesModel.posterior`); not with ``scenario``.
    scenario : str or Scenario, optional
        A case of the scenario library: its evidence by stage, narrative and source.
    n_samples, seed, level
        The credible intervals: parameter sets drawn from the priors, their seed and the credible level.
    tornado, next_test, alerts, workup : Section or result object, optional
        The sections after the posterior: a :class:`Section` (see :func:`~bmes_bayes.report.tornado_section` and
        the others), or anything with ``to_html()`` (and optionally ``plot(ax=...)``). :func:`complete_report`
        computes them all.
    command : str, optional
        The command that rebuilds the report, shown in it (default: the ``bmes-bayes report`` call).
    uncertainty : Uncertainty, optional
        The credible intervals, when the caller has them already (``model.uncertainty(evidence, n_samples=...,
        seed=..., level=...)``, or the last stage of the scenario's work-up, which is the same); computed otherwise.

    Returns
    -------
    Report
        The computed report; ``.to_html()`` renders it and ``.write(path)`` writes it.

    Raises
    ------
    BmesError
        Unknown scenario, bad evidence (naming the problem), both ``scenario`` and ``evidence`` given, or an
        ``uncertainty`` computed for other evidence or options.
    """
    case, evidence = _case(model, evidence, scenario)
    given = {key: result for key, result in (("alerts", alerts), ("workup", workup), ("next_test", next_test),
                                             ("tornado", tornado)) if result is not None}
    return _assemble(model, case, evidence, n_samples=n_samples, seed=seed, level=level, command=command,
                     uncertainty=uncertainty, analyses={}, given=given)


def complete_report(model: "BmesModel", evidence: Mapping[str, object] | None = None, *,
                    scenario: "str | Scenario | None" = None, n_samples: int = 2000, seed: int = 0,
                    level: float = 0.9, command: str | None = None) -> Report:
    """The full report, as ``bmes-bayes report`` writes it: every result computed once, then held in the record.

    Can't-miss alerts (``model.alert_config.assess`` on the credible intervals), the work-up trajectory for a
    scenario (``model.workup`` with the report's ``n_samples``, ``seed`` and ``level``: its last stage is the
    report's credible intervals, so the parameter sets are drawn once), which test next (``model.next_test``) and
    the tornado of the most probable diagnosis (``model.one_way`` over each parameter's 95% range).

    Parameters
    ----------
    model : BmesModel
    evidence : mapping, optional
        Free evidence; not with ``scenario``.
    scenario : str or Scenario, optional
    n_samples, seed, level
        As for :func:`build_report`.
    command : str, optional
        As for :func:`build_report`.

    Returns
    -------
    Report

    Raises
    ------
    BmesError
        As for :func:`build_report`.

    Examples
    --------
    >>> import bmes_bayes
    >>> from bmes_bayes.report import complete_report
    >>> rep = complete_report(bmes_bayes.load_model(), scenario="classic-toh", n_samples=50)
    >>> list(rep.sections)
    ['alerts', 'workup', 'next_test', 'tornado']
    """
    case, evidence = _case(model, evidence, scenario)
    analyses: dict[str, Any] = {}
    if case is not None:  # the work-up's last stage is the whole evidence under the same draws: computed once
        analyses["workup"] = model.workup(case, n_samples=n_samples, seed=seed, level=level)
        uncertainty = analyses["workup"].uncertainty(-1)
    else:
        uncertainty = model.uncertainty(evidence, n_samples=n_samples, seed=seed, level=level, progress=False)
    analyses["alerts"] = model.alert_config.assess(uncertainty)
    analyses["next_test"] = model.next_test(evidence)
    analyses["tornado"] = model.one_way(evidence, plausible=TORNADO_LEVEL)
    return _assemble(model, case, evidence, n_samples=n_samples, seed=seed, level=level, command=command,
                     uncertainty=uncertainty, analyses=analyses, given={})


def _cli_item(name: str, value: object) -> str:
    if isinstance(value, Mapping):
        return f"{name}=" + ",".join(f"{s}:{x:g}" for s, x in value.items())
    return f"{name}={value}"


def write_reports(model: "BmesModel", names: Sequence[str], directory: str | Path = "reports", *,
                  overwrite: bool = False, parallel: bool = False, **options) -> list[Path]:
    """Build (:func:`complete_report`) and write the reports of several scenarios to ``directory``/<name>.html.

    Parameters
    ----------
    model : BmesModel
    names : sequence of str
        Scenario names.
    directory : str or Path, default "reports"
    overwrite : bool, default False
        Every target is checked before the first report is built.
    parallel : bool, default False
        As for :meth:`Report.write`.
    **options
        ``n_samples``, ``seed``, ``level`` and ``command``, as for :func:`complete_report`.

    Returns
    -------
    list of Path
    """
    paths = [check_target(default_report_path(scenario=name, directory=directory), overwrite=overwrite)
             for name in names]  # every target before the first report is built
    return [complete_report(model, scenario=name, **options).write(path, overwrite=overwrite, parallel=parallel)
            for name, path in zip(names, paths)]
