"""The model: a validated network with its priors, compiled once, answering exact posterior queries."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from . import __version__
from . import _checks
from .compile import DrawnTables, FullTables, TableSource, compile_all
from .inference import Backend, Engine, QueryResult, ZeroEvidence
from .evidence import Evidence, resolve_evidence
from .exceptions import ImpossibleEvidenceError, SpecError, Problem, UnknownNameError, unknown_name_message
from .parameters import Draws, point_draws
from .results import ModelInfo, Posterior, Unasked, Vocabulary
from .spec import NetworkSpec, PriorSpec, RowPrior, load_network, load_priors

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from .atlas import Atlas
    from .conflict import Conflict
    from .delta import DeltaUncertainty
    from .drawing import Marginals
    from .sensitivity import AdmissibleDeviation, OneWay, SensitivityFunction, Sobol, Tuning, Uncertainty
    from .teaching import Alert, AlertConfig, Explanation, LikelihoodRatio, NextTest, Workup

__all__ = ["BmesModel", "load_model", "default_paths"]


def default_paths() -> tuple[Path, Path]:
    """The shipped network file and prior directory (inside the wheel, or the source checkout)."""
    here = Path(__file__).resolve().parent
    for root in (here / "_data", here.parent):
        net = root / "networks" / "bmes.yaml"
        if net.is_file() and (root / "priors").is_dir():
            return net, root / "priors"
    raise SpecError([Problem(str(here), None, "the default network and priors are not installed with the package")])


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
        from .teaching import alert_config_for

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
        """The compiled point CPTs (one array per node, leading axis of length 1), read-only: what analyses perturb
        with ``model.tables.with_table(node, table)`` and pass back as ``source`` to :meth:`query`."""
        return self._tables

    @property
    def point_parameters(self) -> Draws:
        """The point value of every prior parameter, as one draw (``Draws`` with a leading axis of length 1)."""
        return self._point

    def relevant_nodes(self, ev: Evidence, target: str) -> tuple[str, ...]:
        """The nodes that can enter P(target | evidence): the ancestral set of the target and the evidence, in
        network order. Any other node is barren for this query and cannot move its answer."""
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
        """The variable an analysis is about: ``target`` itself, or for ``"diagnosis"`` in a network without a
        variable of that name (an imported one) the variable whose role is diagnosis.

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
        """Whether evidence ``ev`` (from :meth:`resolve`) has non-zero probability under each parameter set of
        ``source`` (the point model by default): a boolean array ``(S,)``, exact (the support of every CPT is
        contracted, no tolerance)."""
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
            posts = self._engine.query(self._variant_tables(variants), ev.hard, ev.soft, target).posterior
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
        """The point parameters with one parameter set per (variable, state) variant: in set s every row of that
        variable's own CPT keeps only that state's probability (the others zero), which is what entering it as hard
        evidence does. Compiled on demand, so the log-linear diagnosis stays factored (never a full table per
        variant)."""
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
        """P(variable) with no evidence (exact, computed once per model and kept): the denominator every
        evidence-free question shares, such as each item's own probability in the conflict measure."""
        if variable not in self._prior_marginals:
            _checks.variable(self.network, variable)
            p = self.query(self.resolve(None), variable).posterior[0].copy()
            p.flags.writeable = False
            self._prior_marginals[variable] = p
        return self._prior_marginals[variable]

    def _conflict_value(self, ev: Evidence, target: str, log_all: float) -> float:
        from .conflict import conflict_value

        return conflict_value(self, ev, target, log_all)

    def conflict(self, evidence: Mapping[str, object] | None) -> "Conflict":
        """Jensen's evidence conflict conf(e) = ln(prod P(e_i) / P(e)) and each item's share; see
        :func:`bmes_bayes.conflict.conflict`."""
        from .conflict import conflict

        return conflict(self, evidence)

    def sensitivity(self, evidence: Mapping[str, object] | None = None, *, target: str = "diagnosis",
                    n_samples: int = 2000, level: float = 0.9, seed: None | int | np.random.Generator = None,
                    threshold: float = 0.9, progress: bool | None = None) -> "Uncertainty":
        """Uncertainty of the posterior over the plausible range of every prior.

        Draws ``n_samples`` parameter sets from the distributions in ``priors/``, runs exact inference for each
        (batched), and summarises: point, mean, median and equal-tailed ``level`` interval per state, the share of
        parameter sets in which each state is first (``p_top``), and a verdict against ``threshold``.

        Parameters
        ----------
        evidence : mapping, optional
            As for :meth:`posterior`.
        target : str, default "diagnosis"
        n_samples : int, default 2000
            Parameter sets drawn, from 1 to ``bmes_bayes.limits.MAX_SAMPLES`` (1,000,000), with the draws held
            under ``limits.MEMORY_LIMIT``; a larger request is refused before any work with a
            :class:`~bmes_bayes.exceptions.TooLargeError` stating the memory and time it would need.
        level : float, default 0.9
            Credible level of the equal-tailed intervals, strictly between 0 and 1.
        seed : None, int or numpy Generator
            The same seed gives bit-identical results, whatever the order of the evidence.
        threshold : float, default 0.9
            Share of parameter sets in which the top state must stay first to call the ranking stable, in (0, 1]
            (a bool is refused, not read as 1).
        progress : bool, optional
            Show a progress bar (default: only for runs of 20,000 draws or more).

        Returns
        -------
        Uncertainty
            A parameter set under which the evidence is impossible (a drawn CPT entry of exactly zero where the
            point model has a positive one) is left out and counted in ``Uncertainty.n_impossible``, with a
            warning; evidence impossible under the point model itself raises ``ImpossibleEvidenceError``.

        References
        ----------
        Van Allen et al. (2008), Artificial Intelligence 172:483-513.

        Examples
        --------
        >>> import bmes_bayes
        >>> res = bmes_bayes.load_model().sensitivity({"joint": "hip", "mri_necrotic_segment": "present"},
        ...                                          n_samples=500, seed=1)
        >>> list(res.to_frame().columns)
        ['diagnosis', 'point', 'mean', 'median', 'lower', 'upper', 'p_top']
        """
        from .sensitivity import uncertainty

        return uncertainty(self, evidence, target=target, n_samples=n_samples, level=level, seed=seed,
                           threshold=threshold, progress=progress)

    def delta_uncertainty(self, evidence: Mapping[str, object] | None = None, *, target: str = "diagnosis",
                          level: float = 0.9) -> "DeltaUncertainty":
        """A fast preview of :meth:`sensitivity`: first-order (delta-method) standard deviations and intervals.

        Labelled as an approximation everywhere it is shown. One batched exact inference over ``2 x D`` perturbed
        parameter sets (D: the inputs that can move the answer) instead of thousands of draws. Near 0 or 1 it
        underestimates the spread on the open side, and with few findings it overestimates it; use
        :meth:`sensitivity` for anything you report. See :mod:`bmes_bayes.delta` for the coordinates and what the
        tests measure.

        Parameters
        ----------
        evidence : mapping, optional
        target : str, default "diagnosis"
        level : float, default 0.9
            Level of the normal interval ``point +- z sd``, clipped to [0, 1].

        Returns
        -------
        DeltaUncertainty
            ``to_frame()``: ``point, sd, lower, upper``; ``contributions()``: each input's share of the variance.

        Examples
        --------
        >>> import bmes_bayes
        >>> m = bmes_bayes.load_model()
        >>> d = m.delta_uncertainty({"joint": "hip", "onset": "sudden"})
        >>> bool((d.sd > 0).all())
        True
        """
        from .delta import delta_uncertainty

        return delta_uncertainty(self, evidence, target=target, level=level)

    def one_way(self, evidence: Mapping[str, object] | None = None, *, target_state: str | None = None,
                target: str = "diagnosis", level: float = 0.95) -> "OneWay":
        """One-way sensitivity: the target posterior at both ends of each clinical parameter's plausible range.

        Every uncertain parameter of ``priors/`` is moved alone, the others kept at their point values: a row
        entry to the ``(1 - level)/2`` and ``(1 + level)/2`` quantiles of its Beta marginal
        ``Beta(alpha_k, alpha_0 - alpha_k)`` (the rest of the row co-varied proportionally; for a two-state row only
        the stated state), an odds ratio to the same quantiles of its log-normal. All ``2 x n`` parameter sets are
        evaluated in one batched exact query.

        Parameters
        ----------
        evidence : mapping, optional
            As for :meth:`posterior`.
        target_state : str, optional
            The state whose posterior is followed. None (the default) means the point model's most probable state
            under this evidence, which ``OneWay.target_state`` then names.
        target : str, default "diagnosis"
        level : float, default 0.95
            Central probability of the plausible range of each parameter.

        Returns
        -------
        OneWay
            ``.to_frame()`` (one row per parameter, largest swing first), ``.plot()`` (a tornado), ``.verdict``.

        References
        ----------
        Coupé & van der Gaag (2002), Ann. Math. AI 36:323-356 (one-way analysis); Laskey (1995), IEEE SMC 25:901-909
        (proportional co-variation).

        Examples
        --------
        >>> import bmes_bayes
        >>> ow = bmes_bayes.load_model().one_way({"joint": "hip", "mri_necrotic_segment": "present"})
        >>> list(ow.to_frame().columns[:4])
        ['parameter', 'kind', 'node', 'state']
        """
        from .sensitivity import one_way

        return one_way(self, evidence, target_state=target_state, target=target, level=level)

    def sensitivity_function(self, evidence: Mapping[str, object] | None, node: str,
                             parent_states: Mapping[str, str] | None, state: str, *, target_state: str,
                             target: str = "diagnosis",
                             covariation: Literal["proportional", "uniform", "order_preserving"] = "proportional",
                             ) -> "SensitivityFunction":
        """The exact sensitivity function of P(target = target_state | evidence) to one CPT entry.

        With ``x = P(node = state | parent_states)`` and the rest of its row co-varied, P(y, e) and P(e) are linear
        in ``x``, so ``f(x) = (c1 x + c2) / (c3 x + c4)``; the coefficients come from exact batched evaluations at
        two values of ``x`` (per piece: order-preserving co-variation is piecewise linear, split at ``x0``).

        Parameters
        ----------
        evidence : mapping or None
            As for :meth:`posterior`.
        node : str
            The variable whose CPT entry is varied (for the diagnosis: an entry of the compiled CPT).
        parent_states : mapping or None
            The state of every parent of ``node`` (the CPT row), e.g. ``{"diagnosis": "infection"}``; None for a
            node without parents. A list is refused (``ArgumentTypeError``), not read as pairs.
        state : str
            The state of ``node`` whose probability is ``x``.
        target_state : str
            The state of ``target`` whose posterior is ``f``. Required: None is refused rather than taken to mean
            the current top, since which state's function to compute is the question itself.
        target : str, default "diagnosis"
        covariation : {"proportional", "uniform", "order_preserving"}, default "proportional"
            How the rest of the row follows ``x``: proportional (Laskey 1995), uniform, or order-preserving
            (Renooij 2014, admissible up to ``1/(1 + K - s)``).

        Returns
        -------
        SensitivityFunction
            ``c1..c4``, ``x0``, ``value`` = f(x0), ``sensitivity_value`` = ``|f'(x0)|``, ``second_derivative()``,
            ``vertex``, ``admissible``, ``.plot()``.

        Raises
        ------
        EvidenceError
            Unknown node, parent or state, or parent states missing.
        BmesError
            An entry the scheme cannot move (proportional: an entry of 1; order-preserving: the row's largest).

        References
        ----------
        Castillo, Gutiérrez & Hadi (1997), IEEE SMC-A 27:412-423; Coupé & van der Gaag (2002); van der Gaag, Renooij
        & Coupé (2007) (vertex); Renooij (2014), IJAR 55:1022-1042 (co-variation).

        Examples
        --------
        >>> import bmes_bayes
        >>> sf = bmes_bayes.load_model().sensitivity_function(
        ...     {"joint": "hip", "fever": "yes"}, "fever", {"diagnosis": "infection"}, "yes", target_state="infection")
        >>> bool(sf.derivative() > 0)
        True
        """
        from .sensitivity import sensitivity_function

        return sensitivity_function(self, evidence, node, parent_states, state, target_state=target_state,
                                    target=target, covariation=covariation)

    def admissible_deviation(self, evidence: Mapping[str, object] | None = None, *, target: str = "diagnosis",
                             node: str | None = None) -> "AdmissibleDeviation":
        """How far each parameter can move, alone, before the most probable state of ``target`` changes.

        By default over every uncertain clinical parameter that can move the posterior (a row entry with its row
        co-varied proportionally, searched within [1e-9, 1 - 1e-9]; an odds ratio within 1e-4 to 1e4 times its
        median): the posterior is scanned on a grid in logit/log scale, then each change of the top state is
        bisected on the batched exact engine to about 1e-12 of the search scale (a flip that reverts between two
        grid points would be missed). With ``node``, over the raw CPT entries of that node compatible with the
        evidence, exactly, from the crossings of the sensitivity functions' numerators
        ``x = (c2_b - c2_a) / (c1_a - c1_b)``.

        Ties are resolved by rule, not by rounding: the top is the first state, in the variable's order, whose
        probability is within 1e-12 (relative) of the largest; a state tied with it at the current value takes over
        at that value itself, on the side where it grows faster (the bound is the current value exactly), and a
        state that stays tied whichever way the parameter moves never counts as taking over.

        Parameters
        ----------
        evidence : mapping, optional
        target : str, default "diagnosis"
        node : str, optional
            Analyse the raw CPT entries of this node instead of the clinical parameters.

        Returns
        -------
        AdmissibleDeviation
            ``.to_frame()`` (value, lower, upper, which state takes over, prior probability of staying inside),
            ``.fragile``, ``.verdict``, ``.plot()``.

        References
        ----------
        van der Gaag & Renooij (2001), "Analysing sensitivity data from probabilistic networks", UAI, arXiv 1301.2314.

        Examples
        --------
        >>> import bmes_bayes
        >>> ad = bmes_bayes.load_model().admissible_deviation(
        ...     {"joint": "hip", "fever": "yes"}, node="fever")
        >>> bool((ad.to_frame()["lower"] <= ad.to_frame()["value"]).all())
        True
        """
        from .sensitivity import admissible_deviation

        return admissible_deviation(self, evidence, target=target, node=node)

    def tune(self, evidence: Mapping[str, object] | None, target_state: str, *, at_least: float,
             target: str = "diagnosis", level: float = 0.95) -> "Tuning":
        """Single-parameter changes that make P(target = target_state | evidence) at least ``at_least``.

        Searched, each alone with every other parameter at its point value:

        - every uncertain clinical parameter that can move the posterior (the set :meth:`one_way` uses: base rates,
          odds ratios, finding frequencies, risk-factor prevalences; a row entry with proportional co-variation of
          the rest of its row), over its whole admissible domain: probabilities in (0, 1), odds ratios in the
          validator's bounds [1e-6, 1e6]. Its ``x*`` is found numerically: a grid over the domain (logit scale for
          probabilities, log scale for odds ratios; every parameter in one batched exact query) brackets the sign
          change of ``P - at_least`` nearest to the current value, and batched bisection narrows the bracket to
          1e-10 on that scale; the end of the bracket at which the constraint holds is reported, so the change
          once applied satisfies it. (The posterior is not a single ratio of linear functions of an odds ratio or
          base rate, which change many CPT entries at once, and need not be monotone in it: a crossing and
          re-crossing within one grid step, 1/47 of the domain or a factor 1.8 in an odds ratio, would be
          missed.) Each change is flagged by whether the new value lies inside the parameter's plausible ``level``
          range (the prior quantiles ``one_way`` uses): a change inside it is one the stated uncertainty of the
          priors already allows.
        - raw CPT entries: the target's own CPT row when the evidence selects one (all its parents observed), and
          every row, given each state of the target, of the CPT of each observed child of the target (the
          findings), moved with proportional co-variation to ``x* = (p c4 - c2) / (c1 - p c3)`` from the exact
          sensitivity function and kept if in [0, 1]. An entry that is itself a clinical parameter is listed once.

        All candidates are ranked by the Chan-Darwiche distance between the point model and the changed model, as
        SamIam and bnmonitor's ``sensquery`` do. It is exact: for a clinical parameter it is computed from its
        definition, ``ln max P'/P - ln min P'/P`` over the worlds, which for a change confined to one node's CPT T is
        ``ln max T'/T - ln min T'/T`` over the entries of both full CPTs with T > 0 whose parent configuration has
        positive probability; for a raw entry it is the closed form ``|ln O'(x|u) - ln O(x|u)|``.

        Parameters
        ----------
        evidence : mapping or None
        target_state : str
            The state to make more probable. Required (None is refused, as for :meth:`sensitivity_function`).
        at_least : float
            The probability to reach, in (0, 1). When it is already reached the result is empty and says so.
        target : str, default "diagnosis"
        level : float, default 0.95
            Prior mass of each clinical parameter's plausible range.

        Returns
        -------
        Tuning
            ``.to_frame()`` (parameter, node, parent_states, state, x0, x_new, change, cd_distance, p_before,
            p_after, kind, id, plausible_low, plausible_high, plausible, prior_tail), ``.verdict``, ``.plausible``,
            ``.notes``, ``.plot()``.

        References
        ----------
        Chan & Darwiche (2002), JAIR 17:265-287; Chan & Darwiche (2005), IJAR 38:149-174; Chan & Darwiche (2004),
        UAI (SamIam); Leonelli, bnmonitor R/sensquery.R.

        Examples
        --------
        >>> import bmes_bayes
        >>> t = bmes_bayes.load_model().tune({"joint": "hip", "fever": "yes", "age_group": "middle", "sex": "male"},
        ...                                  "infection", at_least=0.8)
        >>> list(t.to_frame().columns[:2])
        ['parameter', 'node']
        """
        from .sensitivity import tune

        return tune(self, evidence, target_state, at_least=at_least, target=target, level=level)

    def sobol(self, evidence: Mapping[str, object] | None = None, *, target_state: str | None = None,
              target: str = "diagnosis", n: int = 1024, seed: None | int | np.random.Generator = None,
              groups: Literal["parameter", "node"] = "parameter", level: float = 0.95,
              progress: bool | None = None) -> "Sobol":
        """Global sensitivity: first-order and total Sobol indices of a posterior over the uncertain parameters.

        Independent uniforms are mapped through the priors' inverse CDFs (a Dirichlet row is a group of Gamma
        inputs), so the joint distribution is exactly the priors'; SALib draws a Sobol' sample (``n (G + 2)``
        evaluations for G factors), the batched exact engine evaluates it, and SALib estimates the indices with
        bootstrap confidence intervals. Parameters that cannot move the posterior (barren nodes, rows the evidence
        excludes) are left out: their indices are exactly 0.

        Parameters
        ----------
        evidence : mapping, optional
        target_state : str, optional
            None (the default) means the point model's most probable state under this evidence, which
            ``Sobol.target_state`` then names.
        target : str, default "diagnosis"
        n : int, default 1024
            Base sample size: a power of 2 from 2 to ``bmes_bayes.limits.MAX_SOBOL_N`` (65,536). The run needs
            ``n (G + 2)`` exact evaluations for G factors and holds SALib's ``n (G + 2)`` by inputs sample matrix;
            a run beyond ``limits.MAX_EVALUATIONS`` or ``limits.MEMORY_LIMIT`` is refused before it starts
            (:class:`~bmes_bayes.exceptions.TooLargeError`, stating the memory and time it would need).
        seed : None, int or numpy Generator
        groups : {"parameter", "node"}, default "parameter"
            One factor per clinical parameter, or per node (far fewer evaluations).
        level : float, default 0.95
            Confidence level of the bootstrap intervals.
        progress : bool, optional
            Progress bar (default: only for long runs).

        Returns
        -------
        Sobol
            ``.to_frame()`` (factor, S1, S1_low, S1_high, ST, ST_low, ST_high), ``.plot()``, ``.verdict``.

        References
        ----------
        Saltelli et al. (2010), Comput. Phys. Commun. 181:259-270; Herman & Usher (2017), SALib, JOSS 2:97.

        Examples
        --------
        >>> import bmes_bayes
        >>> s = bmes_bayes.load_model().sobol({"joint": "hip", "age_group": "middle", "sex": "male",
        ...                                    "mri_necrotic_segment": "present"}, n=64, seed=0, groups="node")
        >>> list(s.to_frame().columns)
        ['factor', 'S1', 'S1_low', 'S1_high', 'ST', 'ST_low', 'ST_high']
        """
        from .sensitivity import sobol

        return sobol(self, evidence, target_state=target_state, target=target, n=n, seed=seed, groups=groups,
                     level=level, progress=progress)

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
        roles = {}
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
        """Summaries of P(target | evidence) over a grid of evidence sets under the same parameter draws.

        See :func:`bmes_bayes.atlas.atlas` (the grid forms, Dask workers, bit-identical results).

        Examples
        --------
        >>> import bmes_bayes
        >>> m = bmes_bayes.load_model()
        >>> a = m.atlas({"joint": "*", "sex": "*"}, fixed={"onset": "sudden"}, n_samples=50)
        >>> a.n_sets
        6
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
        from .drawing import Marginals

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
        from .drawing import draw_network

        return draw_network(self.marginals(evidence), ax=ax)

    # ------------------------------------------------------------------------------------- teaching
    def workup(self, stages: "object", *, n_samples: int = 500, seed: None | int | np.random.Generator = None,
               level: float = 0.9) -> "Workup":
        """The posterior of the diagnosis after each stage of a work-up, with credible bands.

        Parameters
        ----------
        stages : Scenario or sequence of (str, mapping)
            A scenario (``bmes_bayes.scenarios.load("classic-toh")``) or ordered ``(stage name, evidence added)``
            pairs. Evidence accumulates; a variable may be given in one stage only.
        n_samples : int, default 500
            Parameter sets drawn from the priors for the bands (:meth:`sensitivity` per stage): at most
            ``bmes_bayes.limits.MAX_SAMPLES``, and ``stages x n_samples`` at most ``limits.MAX_EVALUATIONS``
            (:class:`~bmes_bayes.exceptions.TooLargeError` otherwise, stating the memory and time needed). A set
            under which some stage's evidence is impossible is left out and counted in ``Workup.n_impossible``.
        seed : None, int or numpy Generator
            Every stage uses the same seed, hence the same parameter sets: each draw is one plausible model's whole
            trajectory. Without a seed one is drawn and recorded in ``Workup.seed``.
        level : float, default 0.9
            Credible level of the equal-tailed bands.

        Returns
        -------
        Workup
            ``.to_frame()`` (stage, stage_index, diagnosis, probability, lower, upper, p_top, alert), ``.plot()``.

        Raises
        ------
        EvidenceError
            A malformed stage, an unknown variable or state, a variable given in two stages, impossible evidence.

        References
        ----------
        Van Allen et al. (2008), Artificial Intelligence 172:483-513 (the bands).

        Examples
        --------
        >>> import bmes_bayes
        >>> from bmes_bayes import scenarios
        >>> model = bmes_bayes.load_model()
        >>> w = model.workup(scenarios.load("classic-toh"), n_samples=50, seed=0)
        >>> w.final.top[0]
        'transient_bmes'
        """
        from .teaching import workup

        return workup(self, stages, n_samples=n_samples, seed=seed, level=level)

    def explain(self, evidence: Mapping[str, object] | None, *, target_state: str | None = None) -> "Explanation":
        """Why the model believes what it believes: each observed item's weight of evidence, and what-if.

        The weight of evidence of item ``e_i`` (network order) for diagnosis ``h`` against ``a`` is
        ``ln P(e_i | h, e_<i) / P(e_i | a, e_<i)``; the weights add up exactly to the change from prior to posterior
        log odds, against every other diagnosis and against all others together.

        Parameters
        ----------
        evidence : mapping
            As for :meth:`posterior`; at least one item.
        target_state : str, optional
            The diagnosis to explain. None (the default) means the most probable one under this evidence, which
            ``Explanation.target_state`` then names.

        Returns
        -------
        Explanation
            ``.to_frame()`` (long: position, variable, state, role, stage, alternative, lr, woe, decibans,
            direction), ``.what_if`` (posterior under every other state of each observed item), ``.plot()``.

        References
        ----------
        Good IJ (1950), Probability and the Weighing of Evidence; Good IJ (1985), Weight of evidence: a brief survey,
        Bayesian Statistics 2:249-270; Hugin, evidence sensitivity analysis.

        Examples
        --------
        >>> import bmes_bayes
        >>> ex = bmes_bayes.load_model().explain({"joint": "hip", "mri_necrotic_segment": "present"})
        >>> ex.target_state, ex.speaks_for[0]
        ('osteonecrosis', 'mri_necrotic_segment=present')
        """
        from .teaching import explain

        return explain(self, evidence, target_state=target_state)

    def likelihood_ratio(self, finding: str, diagnosis: str, *, positive: str | None = None,
                         context: Mapping[str, object] | None = None) -> "LikelihoodRatio":
        """Positive and negative likelihood ratios of a finding for a diagnosis, in a context, with pre- and
        post-test probabilities.

        ``LR+ = P(f = positive | d, context) / P(f = positive | not d, context)``, the other diagnoses weighted by
        their probability given the context; ``LR-`` likewise for ``f != positive``.

        Parameters
        ----------
        finding : str
            Any variable except the diagnosis, not in ``context``.
        diagnosis : str
            A state of the diagnosis.
        positive : str, optional
            The state counted as a positive result (required for findings with more than two states; default for
            two-state findings: the second state, e.g. ``present`` or ``yes``).
        context : mapping, optional
            Evidence already known (the pre-test situation).

        Returns
        -------
        LikelihoodRatio
            ``.lr_positive``, ``.lr_negative``, ``.to_frame()``, ``.plot()`` (Fagan nomogram).

        References
        ----------
        Fagan TJ (1975), Nomogram for Bayes's theorem, N Engl J Med 293:257.

        Examples
        --------
        >>> import bmes_bayes
        >>> lr = bmes_bayes.load_model().likelihood_ratio("fever", "infection", context={"joint": "knee"})
        >>> lr.lr_positive > 1 > lr.lr_negative
        True
        """
        from .teaching import likelihood_ratio

        return likelihood_ratio(self, finding, diagnosis, positive=positive, evidence=context)

    def next_test(self, evidence: Mapping[str, object] | None = None, *, costs: Mapping[str, float] | None = None,
                  candidates: "list[str] | tuple[str, ...] | None" = None,
                  rank_by: str = "information") -> "NextTest":
        """Which test next: unobserved findings ranked by the expected reduction of the entropy of the diagnosis.

        For each candidate ``X``: the mutual information ``I(D; X | e)`` in bits (exactly 0 for an observed
        variable, never negative), the expected absolute change of the can't-miss probabilities
        (``self.alert_config``), and with ``costs`` the information per unit cost.

        Parameters
        ----------
        evidence : mapping, optional
            As for :meth:`posterior`.
        costs : mapping, optional
            ``{variable: finite positive cost}`` for every candidate, e.g. ``bmes_bayes.teaching.load_test_costs()``
            (a bool, NaN, infinity or an int beyond the float range is refused).
        candidates : list of str, optional
            Variables to rank, as any collection of names (not one string, not a number; default: every finding and
            risk factor not yet observed: the history questions not yet asked count as tests). An observed one gets
            value 0.
        rank_by : {"information", "cant_miss", "value_per_cost"}

        Returns
        -------
        NextTest
            ``.to_frame()``, ``.best``, ``.outcomes`` (the posterior after each possible result), ``.plot()``.

        References
        ----------
        Norsys Netica, sensitivity to findings (entropy reduction); Hugin, value of information analysis.

        Examples
        --------
        >>> import bmes_bayes
        >>> nt = bmes_bayes.load_model().next_test({"joint": "hip", "age_group": "middle", "sex": "male"})
        >>> bool(nt.to_frame()["entropy_reduction"].min() >= 0)
        True
        """
        from .teaching import next_test

        return next_test(self, evidence, costs=costs, candidates=candidates, rank_by=rank_by)  # type: ignore[arg-type]

    def alerts(self, evidence: Mapping[str, object] | None = None, *,
               config: "AlertConfig | str | Path | None" = None) -> "tuple[Alert, ...]":
        """Can't-miss diagnoses at or above their threshold given ``evidence``, whatever their rank.

        Parameters
        ----------
        config : AlertConfig or path, optional
            Another alert set (default: ``self.alert_config``, from ``priors/teaching/cant_miss.yaml``).

        Returns
        -------
        tuple of Alert
            ``diagnosis, probability, threshold, reasoning``; most probable first. ``model.posterior`` carries the
            same alerts in ``Posterior.alerts``.

        References
        ----------
        Pauker SG, Kassirer JP (1980), The threshold approach to clinical decision making, N Engl J Med 302:1109-17.
        """
        from .teaching import alerts

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

        from .teaching import AlertConfig, load_alert_config

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

