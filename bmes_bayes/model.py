"""The model: a validated network with its priors, compiled once, answering exact posterior queries."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from ._version import __version__
from . import _checks
from ._deprecation import UNSET
from .compile import DrawnTables, FullTables, TableSource, compile_all
from .inference import Backend, Engine, QueryResult, ZeroEvidence
from .evidence import Evidence, resolve_evidence
from .exceptions import ImpossibleEvidenceError, SpecError, Problem, UnknownNameError, unknown_name_message
from .parameters import Draws, point_draws
from .results import ModelInfo, Posterior, Unasked, Vocabulary
from .spec import NetworkSpec, PriorSpec, RowPrior, load_network, load_priors
from .spec._paths import default_paths

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.axes import Axes

    from .atlas import Atlas
    from .teaching.conflict import Conflict
    from .sensitivity.delta import DeltaUncertainty
    from .results.marginals import Marginals
    from .sensitivity import AdmissibleDeviation, OneWay, SensitivityFunction, Sobol, Tuning, Uncertainty
    from .teaching import Alert, AlertConfig, Explanation, LikelihoodRatio, NextTest, Workup
    from .spec.scenarios import Scenario
    from .sensitivity.function import Covariation

__all__ = ["BmesModel", "load_model", "default_paths"]


def _alert_bytes(path: str) -> bytes:
    """The alert file's bytes for the model's digest (a regular file within the size cap, as when it was loaded)."""
    from . import limits
    from ._read import FileRefused, read_limited

    try:
        return read_limited(path, limits.MAX_FILE_BYTES, what="model file")
    except FileRefused as exc:
        raise SpecError([Problem(path, None, exc.reason)], "can't-miss alert file") from None


class BmesModel:
    """A compiled Bayesian network for the differential diagnosis of bone marrow edema.

    Build one with :func:`load_model`. Inference is exact (tensor contraction over the compiled CPTs) and its
    contraction plans are cached per model (a bounded cache; :meth:`clear_cache`), so repeated queries do not
    rebuild anything.

    Parameters
    ----------
    network : NetworkSpec
        The validated network (:func:`bmes_bayes.spec.network.load_network`).
    priors : PriorSpec
        The validated priors of that network.
    backend : Backend, optional
        The exact inference engine; default the contraction :class:`~bmes_bayes.inference.Engine`.

    Examples
    --------
    >>> import bmes_bayes
    >>> model = bmes_bayes.load_model()
    >>> post = model.posterior({"joint": "hip", "sex": "male", "mri_necrotic_segment": "present"})
    >>> round(float(post.to_series().sum()), 12)
    1.0
    """

    def __init__(self, network: NetworkSpec, priors: PriorSpec, *, backend: "Backend | None" = None):
        self.network = network
        self.priors = priors
        # the exact engine behind every query: the contraction engine unless another backend is given
        # (bmes_bayes.inference.Enumeration, the brute-force reference, answers the same calls)
        self._engine: Backend = backend if backend is not None else Engine(network)
        self._point = point_draws(priors)
        self._tables = FullTables(network, compile_all(priors, network, self._point))
        from .spec import alert_config_for

        self.alert_config = alert_config_for(network, priors)  # can't-miss alerts: priors/teaching/cant_miss.yaml
        self.info = self._identity()
        self._prior_marginals: dict[str, np.ndarray] = {}

    def _identity(self) -> ModelInfo:
        """Name, versions and one hash over everything that shapes a result: network, priors and alert set."""
        alerts = self.alert_config.path
        alert_digest = hashlib.sha256(_alert_bytes(alerts)).hexdigest() if alerts else repr(self.alert_config)
        digest = hashlib.sha256((self.network.digest + self.priors.digest + alert_digest).encode()).hexdigest()
        return ModelInfo(self.network.name, self.network.version, __version__, digest)

    # ------------------------------------------------------------------------------------- vocabulary
    @property
    def variables(self) -> Vocabulary:
        """Every variable the model accepts as evidence or target, with states and descriptions."""
        return Vocabulary(self.network.variables)

    def states(self, variable: str) -> tuple[str, ...]:
        """The states of ``variable``."""
        return self.variables[variable].states

    def cpt(self, node: str) -> pd.DataFrame:
        """The point CPT of ``node`` as a table: one row per parent configuration, one column per state."""
        import pandas as pd

        var = self.variables[node]
        table = self._tables.tables[node][0]
        flat = table.reshape(-1, var.card)
        if var.parents:
            index = pd.MultiIndex.from_product([self.network[p].states for p in var.parents], names=list(var.parents))
        else:
            index = pd.Index(["(no parents)"], name="")
        return pd.DataFrame(flat, index=index, columns=pd.Index(var.states, name=node))

    # ------------------------------------------------------------------------------------- for analyses
    @property
    def tables(self) -> FullTables:
        """The compiled point CPTs (one array per node, leading axis of length 1), read-only.

        What analyses perturb with ``model.tables.with_table(node, table)`` and pass back as ``source`` to
        :meth:`query`.
        """
        return self._tables

    @property
    def point_parameters(self) -> Draws:
        """The point value of every prior parameter, as one draw (``Draws`` with a leading axis of length 1)."""
        return self._point

    def relevant_nodes(self, ev: Evidence, target: str) -> tuple[str, ...]:
        """The nodes that can enter P(target | evidence).

        The ancestral set of the target and the evidence, in network order. Any other node is barren for this query and
        cannot move its answer.
        """
        return self._engine.relevant_nodes(target, frozenset(ev.hard), frozenset(ev.soft))

    def clear_cache(self) -> None:
        """Forget the engine's cached contraction plans and compiled contractions and the cached prior marginals.

        Never needed for correctness and seldom for memory: both engine caches are bounded (least recently used
        first out, ``bmes_bayes.limits.PLAN_CACHE`` and ``CONTRACTION_CACHE`` entries). Results do not change;
        the next queries rebuild what they need.
        """
        self._engine.clear_cache()
        self._prior_marginals.clear()

    # ------------------------------------------------------------------------------------- inference
    def resolve(self, evidence: Mapping[str, object] | None) -> Evidence:
        """Check evidence against the vocabulary (raises :class:`EvidenceError` naming every problem)."""
        return resolve_evidence(self.network, evidence)

    def target_name(self, target: str) -> str:
        """The variable an analysis is about.

        ``target`` itself, or for ``"diagnosis"`` in a network without a variable of that name (an imported one) the
        variable whose role is diagnosis.

        Raises
        ------
        UnknownNameError
            An unknown variable, or not a name (an ``EvidenceError`` and a ``KeyError``; naming the valid ones and
            the closest match).
        """
        if isinstance(target, str) and target in self.network:
            return target
        if target == "diagnosis":
            roles = [v.name for v in self.network.variables if v.role == "diagnosis"]
            if len(roles) == 1:
                return roles[0]
        raise UnknownNameError(unknown_name_message("variable", target, self.network.names, where=" as target"))

    def possible(self, ev: Evidence, source: TableSource | None = None) -> np.ndarray:
        """Whether evidence ``ev`` (from :meth:`resolve`) has non-zero probability under each parameter set.

        The parameter sets are those of ``source`` (the point model by default). A boolean array ``(S,)``, exact (the
        support of every CPT is contracted, no tolerance).
        """
        source = source if source is not None else self._tables
        if not len(ev):
            return np.ones(source.n_samples, dtype=bool)
        return self._engine.possible(source, ev.hard, ev.soft)

    def query(self, ev: Evidence, target: str, source: TableSource | None = None) -> QueryResult:
        """Exact P(target | evidence) for every parameter set of ``source`` (the point model by default).

        The low-level, stable entry point for programs that need only numbers (no alerts, no checks, no result
        object): about as fast as the engine goes.

        Parameters
        ----------
        ev : Evidence
            Checked evidence, from :meth:`resolve` (``model.resolve({"joint": "hip"})``).
        target : str
            A variable of the network.
        source : TableSource, optional
            Where the CPTs come from: the point model (default), or e.g. ``bmes_bayes.compile.DrawnTables`` over
            parameter draws, in which case there is one row per parameter set.

        Returns
        -------
        QueryResult
            ``posterior``: array ``(S, K)``; ``log_evidence``: ``log P(evidence)`` per parameter set ``(S,)``.

        Examples
        --------
        >>> import bmes_bayes
        >>> m = bmes_bayes.load_model()
        >>> res = m.query(m.resolve({"joint": "hip"}), "diagnosis")
        >>> res.posterior.shape
        (1, 9)

        Raises
        ------
        ImpossibleEvidenceError
            Naming a smallest set of evidence variables whose combination has probability zero.
        """
        source = source if source is not None else self._tables
        try:
            return self._engine.query(source, ev.hard, ev.soft, target)
        except ZeroEvidence:
            raise self._impossible(ev, source) from None

    def posterior(self, evidence: Mapping[str, object] | None = None, *, target: str = "diagnosis",
                  checks: bool = True) -> Posterior:
        """Exact posterior of ``target`` given ``evidence``.

        Parameters
        ----------
        evidence : mapping, optional
            ``{variable: state}``; soft evidence as ``{variable: {state: likelihood}}``. See ``model.variables``.
        target : str, default "diagnosis"
            The variable whose distribution is returned.
        checks : bool, default True
            For the diagnosis, also run the two teaching checks: the history items nobody entered that would change
            the top diagnosis (``Posterior.unasked``; one batched exact query) and the evidence conflict
            (``Posterior.conflict``, Jensen's measure; one query per item). A few milliseconds; pass False in loops
            that need the posterior alone.

        Returns
        -------
        Posterior

        Raises
        ------
        EvidenceError
            Unknown variable or state (the message names the valid options and the closest match).
        ImpossibleEvidenceError
            Evidence with probability zero; the message names the conflicting findings.
        """
        target = self.target_name(target)
        run_checks = _checks.flag(checks, "checks")
        ev = self.resolve(evidence)
        res = self.query(ev, target)
        is_dx = target == self.alert_config.variable
        return Posterior(
            target=target,
            states=self.network[target].states,
            probabilities=res.posterior[0],
            evidence=ev.as_dict(),
            log_evidence=float(res.log_evidence[0]),
            model=self.info,
            alerts=self.alert_config.check(self.network[target].states, res.posterior[0]) if is_dx else (),
            unasked=self._unasked(ev, target, res.posterior[0]) if is_dx and run_checks else (),
            conflict=self._conflict_value(ev, target, float(res.log_evidence[0]))
            if is_dx and run_checks and len(ev) > 1 and not ev.soft else None,
        )

    def _unasked(self, ev: Evidence, target: str, probabilities: np.ndarray) -> "tuple[Unasked, ...]":
        """History items (context, risk factors) not in the evidence, one of whose states would change the top.

        Every (item, state) variant is one parameter set of a single batched exact query: in variant s the item's own
        CPT is zero except at that state, so the normalised posterior of set s is P(target | evidence, item=state)
        (checked against one query per variant in the tests).
        Variants the item's CPT rules out given entered parents (pregnancy for a man) are skipped; if the evidence
        still makes some variant impossible, each is queried on its own.
        """
        states = self.network[target].states
        top = int(np.argmax(probabilities))
        variants: list[tuple[str, int]] = []
        for v in self.network.variables:
            if v.role not in ("context", "risk_factor") or v.name in ev.labels:
                continue
            own = self._tables.table(v.name, {p: ev.hard[p] for p in v.parents if p in ev.hard})
            variants += [(v.name, i) for i in range(v.card) if np.any(own[..., i] > 0)]
        if not variants:
            return ()
        try:
            posts: "np.ndarray | list[np.ndarray]" = self._engine.query(self._variant_tables(variants), ev.hard,
                                                                         ev.soft, target).posterior
        except ZeroEvidence:
            posts = []
            for name, i in variants:
                more = Evidence({**ev.hard, name: i}, ev.soft, {**ev.labels, name: self.network[name].states[i]})
                try:
                    posts.append(self.query(more, target).posterior[0])
                except ImpossibleEvidenceError:
                    posts.append(np.full(len(states), np.nan))
        out = []
        for (name, i), p in zip(variants, posts):
            if not np.all(np.isfinite(p)):
                continue
            k = int(np.argmax(p))
            if k != top and p[k] > p[top] + 1e-12:
                out.append(Unasked(name, self.network[name].states[i], states[k], float(p[k])))
        return tuple(out)

    def _variant_tables(self, variants: "list[tuple[str, int]]") -> DrawnTables:
        """The point parameters with one parameter set per (variable, state) variant.

        In set s every row of that variable's own CPT keeps only that state's probability (the others zero), which is
        what entering it as hard evidence does. Compiled on demand, so the log-linear diagnosis stays factored (never a
        full table per variant).
        """
        n = len(variants)
        vals = [np.repeat(v, n, axis=0) for v in self._point.values]
        sets: dict[str, list[tuple[int, int]]] = {}
        for s, (name, i) in enumerate(variants):
            sets.setdefault(name, []).append((s, i))
        for index, param in enumerate(self.priors.parameters):
            if isinstance(param, RowPrior) and param.node in sets:
                for s, i in sets[param.node]:  # P(x | parents) kept, the other states zero: hard evidence x
                    vals[index][s, np.arange(len(param.states)) != i] = 0.0
        return DrawnTables(self.priors, self.network, Draws(self.priors, tuple(vals)))

    def prior_marginal(self, variable: str) -> np.ndarray:
        """P(variable) with no evidence (exact, computed once per model and kept).

        The denominator every evidence-free question shares, such as each item's own probability in the conflict
        measure.
        """
        if variable not in self._prior_marginals:
            _checks.variable(self.network, variable)
            p = self.query(self.resolve(None), variable).posterior[0].copy()
            p.flags.writeable = False
            self._prior_marginals[variable] = p
        return self._prior_marginals[variable]

    def item_log_probabilities(self, ev: Evidence) -> dict[str, float]:
        """The log-probability ln P(e_i) of each entered item on its own, from the prior marginals (no query per item).

        The prior probability of a hard state, or the likelihood-weighted sum for soft evidence. The terms of Jensen's
        conflict measure (:func:`bmes_bayes.teaching.conflict.conflict`).
        """
        out = {}
        with np.errstate(divide="ignore"):
            for name in ev.labels:
                prior = self.prior_marginal(name)
                p = prior[ev.hard[name]] if name in ev.hard else float(np.dot(prior, ev.soft[name]))
                out[name] = float(np.log(p))
        return out

    def _conflict_value(self, ev: Evidence, target: str, log_all: float) -> float:
        """conf(e) = sum ln P(e_i) - ln P(e), given ``log_all`` = ln P(e) from the query already made."""
        return float(sum(self.item_log_probabilities(ev).values()) - log_all)

    def conflict(self, evidence: Mapping[str, object] | None, *, target: str | None = None) -> "Conflict":
        """Jensen's conflict measure of ``evidence`` and each item's share in it (exact).

        The method form of :func:`bmes_bayes.teaching.conflict`, where every parameter is described.
        """
        from .teaching.conflict import conflict

        return conflict(self, evidence, target=target)

    def sensitivity(self, evidence: Mapping[str, object] | None = None, **options: object) -> "Uncertainty":
        """Deprecated name of :meth:`uncertainty` (which computes an :class:`~bmes_bayes.sensitivity.Uncertainty`).

        The same call, with a ``DeprecationWarning``. Sensitivity analyses proper are :meth:`one_way`,
        :meth:`sensitivity_function`, :meth:`admissible_deviation`, :meth:`tune` and :meth:`sobol`.
        """
        import warnings

        warnings.warn("BmesModel.sensitivity() is now BmesModel.uncertainty() (the same call and result); the old "
                      "name will be removed in a later release", DeprecationWarning, stacklevel=2)
        return self.uncertainty(evidence, **options)  # type: ignore[arg-type]

    def uncertainty(self, evidence: Mapping[str, object] | None = None, *, target: str = "diagnosis",
                    n_samples: int = 2000, level: float = 0.9, seed: None | int | np.random.Generator = None,
                    threshold: float = 0.9, progress: bool | None = None) -> "Uncertainty":
        """How far the posterior moves across the plausible range of the priors (Monte-Carlo, exact per draw).

        The method form of :func:`bmes_bayes.sensitivity.uncertainty`, where every parameter is described.
        """
        from .sensitivity.uncertainty import uncertainty

        return uncertainty(self, evidence, target=target, n_samples=n_samples, level=level, seed=seed,
                           threshold=threshold, progress=progress)

    def delta_uncertainty(self, evidence: Mapping[str, object] | None = None, *, target: str = "diagnosis",
                          level: float = 0.9) -> "DeltaUncertainty":
        """A fast preview of :func:`~bmes_bayes.sensitivity.uncertainty`.

        First-order (delta-method) standard deviations and intervals, from one batched exact inference of ``2 x D``
        perturbed parameter sets.

        The method form of :func:`bmes_bayes.sensitivity.delta_uncertainty`, where every parameter is described.
        """
        from .sensitivity.delta import delta_uncertainty

        return delta_uncertainty(self, evidence, target=target, level=level)

    def one_way(self, evidence: Mapping[str, object] | None = None, *, target_state: str | None = None,
                target: str = "diagnosis", plausible: float | None = None, level: object = UNSET) -> "OneWay":
        """One-way sensitivity: the target posterior at both ends of each clinical parameter's plausible range.

        The method form of :func:`bmes_bayes.sensitivity.one_way`, where every parameter is described.
        """
        from .sensitivity.one_way import one_way

        return one_way(self, evidence, target_state=target_state, target=target, plausible=plausible, level=level)

    def sensitivity_function(self, evidence: Mapping[str, object] | None, node: str,
                             parent_states: Mapping[str, str] | None, state: str, *, target_state: str,
                             target: str = "diagnosis",
                             covariation: Covariation = "proportional") -> "SensitivityFunction":
        """The exact sensitivity function of P(target = target_state | evidence) to one CPT entry.

        The method form of :func:`bmes_bayes.sensitivity.sensitivity_function`, where every parameter is described.
        """
        from .sensitivity.function import sensitivity_function

        return sensitivity_function(self, evidence, node, parent_states, state, target_state=target_state,
                                    target=target, covariation=covariation)

    def admissible_deviation(self, evidence: Mapping[str, object] | None = None, *, target: str = "diagnosis",
                             node: str | None = None) -> "AdmissibleDeviation":
        """How far each parameter can move, alone, before the most probable state of ``target`` changes.

        The method form of :func:`bmes_bayes.sensitivity.admissible_deviation`, where every parameter is described.
        """
        from .sensitivity.admissible import admissible_deviation

        return admissible_deviation(self, evidence, target=target, node=node)

    def tune(self, evidence: Mapping[str, object] | None, target_state: str, *, at_least: float,
             target: str = "diagnosis", plausible: float | None = None, level: object = UNSET) -> "Tuning":
        """Single-parameter changes that make P(target = target_state | evidence) at least ``at_least``.

        The method form of :func:`bmes_bayes.sensitivity.tune`, where every parameter is described.
        """
        from .sensitivity.tuning import tune

        return tune(self, evidence, target_state, at_least=at_least, target=target, plausible=plausible, level=level)

    def sobol(self, evidence: Mapping[str, object] | None = None, *, target_state: str | None = None,
              target: str = "diagnosis", n: int = 1024, seed: None | int | np.random.Generator = None,
              groups: Literal['parameter', 'node'] = "parameter", confidence: float | None = None,
              progress: bool | None = None, level: object = UNSET) -> "Sobol":
        """Global sensitivity: first-order and total Sobol indices of a posterior over the uncertain parameters.

        The method form of :func:`bmes_bayes.sensitivity.sobol`, where every parameter is described.
        """
        from .sensitivity.sobol import sobol

        return sobol(self, evidence, target_state=target_state, target=target, n=n, seed=seed, groups=groups,
                     confidence=confidence, progress=progress, level=level)

    def _impossible(self, ev: Evidence, source: TableSource) -> ImpossibleEvidenceError:
        """Shrink impossible evidence to a smallest conflicting set (each member is needed for the conflict)."""
        keep = list(ev.variables)
        for name in list(keep):
            trial = ev.without([n for n in ev.variables if n not in keep or n == name])
            if len(trial) and not self._engine.possible(source, trial.hard, trial.soft).all():
                keep.remove(name)
        conflict = tuple(keep)
        shown = ", ".join(f"{n}={ev.labels[n]}" for n in conflict)
        if len(conflict) == 1:
            msg = f"impossible evidence: {shown} has probability zero under the model"
        else:
            msg = f"impossible evidence: {shown} cannot occur together (the model gives this combination probability zero)"
        return ImpossibleEvidenceError(msg, conflict)

    def __repr__(self) -> str:
        roles: dict[str, int] = {}
        for v in self.network.variables:
            roles[v.role] = roles.get(v.role, 0) + 1
        n_params = len(self.priors.parameters)
        return (f"<BmesModel {self.network.name} {self.network.version}: {len(self.network.variables)} variables, "
                f"{n_params} parameters, model {self.info.digest[:12]}>")

    def _repr_html_(self) -> str:
        import html

        return (f"<p><b>{html.escape(self.network.title)}</b><br>{html.escape(repr(self))}</p>"
                + self.variables.to_html())

    # ------------------------------------------------------------------------------------- drawing
    def atlas(self, grid: object, *, fixed: Mapping[str, object] | None = None, target: str = "diagnosis",
              n_samples: int = 500, seed: int | None = 0, level: float = 0.9, workers: object = None,
              block_size: int = 8, keep_draws: bool = False) -> "Atlas":
        """Summaries of P(target | evidence) over a grid of evidence sets x the same parameter draws.

        The method form of :func:`bmes_bayes.atlas.atlas`, where every parameter is described.
        """
        from .atlas import atlas

        return atlas(self, grid, fixed=fixed, target=target, n_samples=n_samples, seed=seed, level=level,
                     workers=workers, block_size=block_size, keep_draws=keep_draws)

    def marginals(self, evidence: Mapping[str, object] | None = None) -> "Marginals":
        """Exact posterior marginal of every variable given ``evidence`` (one query per variable).

        Returns
        -------
        Marginals
            With ``.to_frame()`` (long format) and ``.plot()`` (the network drawn).
        """
        from .results.marginals import Marginals

        ev = self.resolve(evidence)
        probs = {v.name: self.posterior(evidence, target=v.name, checks=False).probabilities
                 for v in self.network.variables}
        observed = {n: self.network[n].states[i] for n, i in ev.hard.items()}
        soft = {n: ev.labels[n] for n in ev.soft}
        return Marginals(self.network.variables, probs, observed, soft, self.info)

    def draw(self, evidence: Mapping[str, object] | None = None, *, ax: "Axes | None" = None) -> "Axes":
        """The network laid out by role, each variable with its posterior as small bars, observed findings marked.

        Parameters
        ----------
        evidence : mapping, optional
            As for :meth:`posterior`.
        ax : matplotlib Axes, optional
            Default: a new 16 x 10 inch figure.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import bmes_bayes
        >>> ax = bmes_bayes.load_model().draw({"joint": "hip", "mri_necrotic_segment": "present"})
        """
        from .plotting.network import draw_network

        return draw_network(self.marginals(evidence), ax=ax)

    # ------------------------------------------------------------------------------------- teaching
    def workup(self, stages: 'Scenario | Sequence[object]', *, n_samples: int = 500,
               seed: None | int | np.random.Generator = None, level: float = 0.9) -> "Workup":
        """The posterior of the diagnosis after each stage of a work-up, with credible bands.

        The method form of :func:`bmes_bayes.teaching.workup`, where every parameter is described.
        """
        from .teaching.workup import workup

        return workup(self, stages, n_samples=n_samples, seed=seed, level=level)

    def explain(self, evidence: Mapping[str, object] | None, *, target_state: str | None = None) -> "Explanation":
        """Why the model believes what it believes: each observed item's weight of evidence, and what-if.

        The method form of :func:`bmes_bayes.teaching.explain`, where every parameter is described.
        """
        from .teaching.explain import explain

        return explain(self, evidence, target_state=target_state)

    def likelihood_ratio(self, finding: str, diagnosis: str, evidence: Mapping[str, object] | None = None, *,
                         positive: str | None = None, context: object = UNSET) -> "LikelihoodRatio":
        """Positive and negative likelihood ratios of a finding for a diagnosis, in a context.

        The context is the evidence already known; the result carries the pre- and post-test probabilities.

        The method form of :func:`bmes_bayes.teaching.likelihood_ratio`, where every parameter is described.
        """
        from .teaching.likelihood_ratio import likelihood_ratio

        return likelihood_ratio(self, finding, diagnosis, evidence, positive=positive, context=context)

    def next_test(self, evidence: Mapping[str, object] | None = None, *, costs: Mapping[str, float] | None = None,
                  candidates: Sequence[str] | None = None,
                  rank_by: Literal['information', 'cant_miss', 'value_per_cost'] = "information") -> "NextTest":
        """Which test next: unobserved findings ranked by the expected reduction of the entropy of the diagnosis.

        The method form of :func:`bmes_bayes.teaching.next_test`, where every parameter is described.
        """
        from .teaching.next_test import next_test

        return next_test(self, evidence, costs=costs, candidates=candidates, rank_by=rank_by)

    def alerts(self, evidence: Mapping[str, object] | None = None, *,
               config: 'AlertConfig | str | Path | None' = None) -> "tuple[Alert, ...]":
        """Can't-miss diagnoses at or above their threshold given ``evidence``, whatever their rank.

        The method form of :func:`bmes_bayes.teaching.alerts`, where every parameter is described.
        """
        from .teaching.alerts import alerts

        return alerts(self, evidence, config=config)

    def with_alerts(self, config: "AlertConfig | str | Path") -> "BmesModel":
        """A copy of the model (sharing its compiled tables) that uses another can't-miss alert set.

        Parameters
        ----------
        config : AlertConfig or path
            An :class:`~bmes_bayes.teaching.AlertConfig` or a YAML file in the format of
            ``priors/teaching/cant_miss.yaml`` (validated against this network).
        """
        import copy

        from .spec import AlertConfig, load_alert_config

        cfg = config if isinstance(config, AlertConfig) else load_alert_config(_checks.path(config, "config"),
                                                                               network=self.network)
        new = copy.copy(self)
        new.alert_config = cfg
        new.info = new._identity()
        return new


def load_model(path: str | Path | None = None, *, priors: str | Path | None = None) -> BmesModel:
    """Load, validate and compile a model.

    Parameters
    ----------
    path : path, optional
        A network YAML file, or a directory holding ``networks/<one file>.yaml`` and ``priors/``.
        Default: the network and priors shipped with the package.
    priors : path, optional
        A prior YAML file or directory. Default: ``priors/`` beside the network's directory.

    Returns
    -------
    BmesModel
        The compiled model.

    Raises
    ------
    SpecError
        Listing every problem in the network and prior files, each with file and line.
    ArgumentTypeError
        A path that is not a ``str`` or ``os.PathLike``.
    """
    if priors is not None:
        priors = _checks.path(priors, "priors")
    if path is None:
        net_path, prior_path = default_paths()
    else:
        p = _checks.path(path, "path")
        try:
            p.stat()
        except (OSError, ValueError) as exc:  # missing, a name too long, an embedded NUL...
            raise SpecError([Problem(str(p), None, "no such file or directory" if isinstance(exc, FileNotFoundError)
                                     else f"cannot use this path: {exc}")]) from None
        if p.is_dir():
            nets = sorted((p / "networks").glob("*.yaml"))
            if len(nets) != 1:
                raise SpecError([Problem(str(p), None, f"expected one networks/*.yaml, found {len(nets)}")])
            net_path, prior_path = nets[0], p / "priors"
        else:  # a file; one that is not a regular file (a device, a FIFO) is refused when it is read
            net_path, prior_path = p, p.resolve().parent.parent / "priors"
    if priors is not None:
        prior_path = Path(priors)
    network = load_network(net_path)
    spec = load_priors(prior_path, network)
    return BmesModel(network, spec)

