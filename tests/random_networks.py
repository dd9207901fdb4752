"""Random small discrete networks, and three references to compare bmes-bayes with, as aGrUM tests its engines.

Used by ``tests/test_differential.py`` (CI, a derandomized few hundred queries) and ``benchmarks/differential.py``
(outside CI, >= 10,000 networks).

The networks
------------
:func:`networks` is a hypothesis strategy: a random DAG of 2-8 variables in a shuffled file order (so the importer's
topological sort is exercised), 2-4 states each, at most 3 parents and 16 rows per table, and CPT rows that are
dense, have exact zeros, are deterministic (one-hot), or carry a tiny entry (1e-12, 1e-100, 1e-300 or the smallest
subnormal 5e-324); a random target. It is built into a model by the public route a user takes: the network is written
as UAI, XMLBIF or BIF (every float as ``repr``, so it reads back bit for bit) into a temporary directory and read by
:func:`bmes_bayes.load_network` with that target. :func:`queries` draws evidence sets for one network: none, hard,
soft (likelihood vectors with zeros, tiny and large entries, sometimes beside hard findings) and impossible (built
from an exact zero of a CPT: ``node=x`` with its parents at ``u`` where ``P(x | u) = 0``, the node's finding
sometimes given as a one-hot likelihood vector instead, plus random other findings).

The references, and where each is right
---------------------------------------
Every reference is built from the generator's own tables, never from the package's model or its exports.

- **Brute force** (:func:`brute_force`, which is :func:`tests.reference.enumerate_joint`, the suite's one
  enumerator), for every kind: the full joint (at most 4**8 entries) in log space, every
  CPT and likelihood vector added as a log factor at the observed state of each hard finding, then rescaled by its largest entry before summing,
  so nothing underflows; ``P(e) = 0`` exactly when every configuration has a zero factor. Gives every marginal and
  ``log P(e)``.
- **pgmpy** ``VariableElimination`` (:func:`pgmpy_posteriors`): hard and soft evidence, every variable's marginal,
  when ``P(e) > 1e-250`` (with likelihoods scaled to a maximum of 1): below that its double-precision factors may
  underflow. Soft evidence goes in as ``virtual_evidence`` with the likelihoods scaled to a maximum of 1 (pgmpy
  rejects a likelihood above 1 with "CPD values must be non-negative") and a fresh engine per query (the call
  changes the engine). *Not* used for impossible evidence: it returns a normalised distribution without complaint
  (``P(b | a=1, b-parent impossible)`` came back as ``[0.2, 0.8]``).
- **pyAgrum** ``LazyPropagation`` (:func:`pyagrum_posteriors`): hard and soft evidence (``setEvidence`` with
  likelihood lists, scaled to a maximum of 1: pyAgrum takes a likelihood vector with one positive entry as a hard
  finding and returns the vector itself as the posterior, ``(0, 2)`` for ``(0, 2)``), every marginal, under the same
  ``P(e) > 1e-250`` condition; and impossible evidence, where it
  is right in a weaker sense: it either raises ``IncompatibleEvidence`` or reports ``evidenceProbability() == 0``
  (it does not always raise, and then its posteriors are meaningless), which is what is checked.

What the package must do
------------------------
Possible evidence: ``model.posterior(ev, target=...)`` (with its teaching checks on) and ``model.marginals(ev)``
match every applicable reference within :data:`TOL` = 1e-9 (absolute, per state), and ``Posterior.log_evidence``
matches brute force within 1e-9 (relative to ``max(1, |log P(e)|)``). Impossible evidence: both calls raise
:class:`~bmes_bayes.ImpossibleEvidenceError`, whose ``conflict`` is a non-empty subset of the evidence, named in
the message, impossible on its own and irreducible (without any one member it is possible), all by brute force.
"""

from __future__ import annotations

import math
import tempfile
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from hypothesis import strategies as st

import bmes_bayes
from bmes_bayes import BmesError, ImpossibleEvidenceError

from .reference import Exact, enumerate_joint

TOL = 1e-9
SMALLEST_NORMAL = 2.2250738585072014e-308   # below it a double keeps fewer than 53 significant bits
UNDERFLOW = 1e-250      # below this P(e) (likelihoods scaled to max 1) the float references may underflow
TINY = (1e-12, 1e-100, 1e-300, 5e-324)
FORMATS = ("uai", "xmlbif", "bif")
EXTENSIONS = {"uai": ".uai", "xmlbif": ".xmlbif", "bif": ".bif"}
KINDS = ("prior", "hard", "soft", "impossible")


@dataclass(frozen=True, eq=False)
class RandomNetwork:
    """A network as the generator made it: file order, states, parents and tables ``(*parent cards, card)``."""

    names: tuple[str, ...]
    states: dict[str, tuple[str, ...]]
    parents: dict[str, tuple[str, ...]]
    tables: dict[str, np.ndarray]
    target: str
    fmt: str

    def card(self, name: str) -> int:
        return len(self.states[name])

    def __repr__(self) -> str:
        """Python source that rebuilds the network (for a regression test)."""
        tables = ", ".join(f"{n!r}: np.array({self.tables[n].tolist()!r})" for n in self.names)
        return (f"RandomNetwork(names={self.names!r}, states={self.states!r}, parents={self.parents!r}, "
                f"tables={{{tables}}}, target={self.target!r}, fmt={self.fmt!r})")


@dataclass(frozen=True, eq=False)
class Query:
    """One evidence set: hard findings ``{variable: state}``, soft ``{variable: likelihoods}``, and what it was
    drawn as (``prior``, ``hard``, ``soft``, ``impossible``)."""

    drawn_as: str
    hard: dict[str, str]
    soft: dict[str, np.ndarray] = field(default_factory=dict)

    def evidence(self) -> dict[str, object]:
        """The evidence as the package takes it (soft evidence as a list of likelihoods per state)."""
        return {**self.hard, **{n: [float(x) for x in v] for n, v in self.soft.items()}}

    def __repr__(self) -> str:
        soft = ", ".join(f"{n!r}: np.array({v.tolist()!r})" for n, v in self.soft.items())
        return f"Query({self.drawn_as!r}, {self.hard!r}, {{{soft}}})"


# ------------------------------------------------------------------------------------------------ the strategies

MAX_ROWS = 16


@st.composite
def cpt_rows(draw, card: int) -> np.ndarray:
    """One CPT row: dense, with exact zeros, deterministic, with a tiny entry, or arbitrary floats."""
    kind = draw(st.sampled_from(["dense", "zeros", "deterministic", "tiny", "floats"]), label="row kind")
    if kind == "deterministic":
        row = np.zeros(card)
        row[draw(st.integers(0, card - 1))] = 1.0
        return row
    if kind == "floats":
        weights = draw(st.lists(st.floats(0, 1), min_size=card, max_size=card))
    else:
        weights = [float(draw(st.integers(0 if kind == "zeros" else 1, 9))) for _ in range(card)]
    if kind == "tiny":
        weights[draw(st.integers(0, card - 1))] = draw(st.sampled_from(TINY))
    if not sum(weights) > 0:
        weights[draw(st.integers(0, card - 1))] = 1.0
    row = np.array(weights, dtype=float)
    row = row / row.sum()
    return row / row.sum()  # twice: what the importer's own normalisation leaves unchanged


@st.composite
def networks(draw, max_nodes: int = 8, formats: tuple[str, ...] = FORMATS) -> RandomNetwork:
    """A random DAG of 2..``max_nodes`` variables with random CPTs and a random target (see the module doc)."""
    n = draw(st.integers(2, max_nodes), label="nodes")
    fmt = draw(st.sampled_from(formats), label="format")
    names = tuple(f"var_{i}" for i in range(n))
    cards = {name: draw(st.integers(2, 4)) for name in names}
    states = {name: tuple(str(j) if fmt == "uai" else f"s{j}" for j in range(cards[name])) for name in names}
    order = draw(st.permutations(names), label="topological order")
    parents: dict[str, tuple[str, ...]] = {}
    tables: dict[str, np.ndarray] = {}
    for k, name in enumerate(order):
        chosen: list[str] = []
        if k:
            for p in draw(st.lists(st.sampled_from(order[:k]), unique=True, max_size=min(3, k)), label="parents"):
                if math.prod(cards[q] for q in [*chosen, p]) <= MAX_ROWS:
                    chosen.append(p)
        parents[name] = tuple(chosen)
        shape = [cards[p] for p in chosen]
        rows = [draw(cpt_rows(cards[name])) for _ in range(math.prod(shape))]
        tables[name] = np.array(rows).reshape(*shape, cards[name])
    target = draw(st.sampled_from(names), label="target")
    return RandomNetwork(names, states, parents, tables, target, fmt)


LIKELIHOODS = st.one_of(st.floats(0, 1), st.sampled_from([0.0, *TINY, 1.0, 2.0, 1e3]), st.integers(0, 5).map(float))


@st.composite
def likelihood_vectors(draw, card: int) -> np.ndarray:
    vec = draw(st.lists(LIKELIHOODS, min_size=card, max_size=card))
    if not max(vec) > 0:
        vec[draw(st.integers(0, card - 1))] = 1.0
    return np.array(vec, dtype=float)


def zero_entries(net: RandomNetwork) -> list[tuple[str, tuple[int, ...], int]]:
    """Every exact zero of every CPT: (node, parent configuration, state)."""
    out = []
    for name in net.names:
        for idx in zip(*np.nonzero(net.tables[name] == 0)):
            out.append((name, tuple(int(i) for i in idx[:-1]), int(idx[-1])))
    return out


@st.composite
def queries(draw, net: RandomNetwork, kind: str) -> Query | None:
    """An evidence set of the given kind for ``net`` (None for ``impossible`` when no CPT has an exact zero)."""
    names = list(net.names)
    if kind == "prior":
        return Query("prior", {})
    if kind in ("hard", "soft"):
        chosen = draw(st.lists(st.sampled_from(names), unique=True, min_size=1, max_size=len(names)), label="observed")
        hard, soft = {}, {}
        for i, name in enumerate(chosen):
            if kind == "soft" and (i == 0 or draw(st.booleans())):
                soft[name] = draw(likelihood_vectors(net.card(name)))
            else:
                hard[name] = draw(st.sampled_from(net.states[name]))
        return Query(kind, hard, soft)
    zeros = zero_entries(net)
    if not zeros:
        return None
    node, config, state = draw(st.sampled_from(zeros), label="zero entry")
    hard = {p: net.states[p][i] for p, i in zip(net.parents[node], config)}
    soft = {}
    if draw(st.booleans()):
        hard[node] = net.states[node][state]
    else:  # the same finding as a likelihood vector: positive only at the excluded state
        vec = np.zeros(net.card(node))
        vec[state] = draw(st.sampled_from([1.0, 0.5, 1e-300, 7.0]))
        soft[node] = vec
    for name in draw(st.lists(st.sampled_from(names), unique=True, max_size=3), label="more findings"):
        if name not in hard and name not in soft:
            hard[name] = draw(st.sampled_from(net.states[name]))
    return Query("impossible", hard, soft)


# ------------------------------------------------------------------------------------------------ file writers


def _num(x: float) -> str:
    return repr(float(x))


def to_uai(net: RandomNetwork) -> str:
    """UAI ``BAYES``: scopes list the parents then the child; each table in C order over the scope."""
    index = {n: i for i, n in enumerate(net.names)}
    out = ["BAYES", str(len(net.names)), " ".join(str(net.card(n)) for n in net.names), str(len(net.names))]
    out += [" ".join(map(str, [len(net.parents[n]) + 1, *[index[p] for p in net.parents[n]], index[n]]))
            for n in net.names]
    for n in net.names:
        out += ["", str(net.tables[n].size), " ".join(_num(x) for x in net.tables[n].ravel())]
    return "\n".join(out) + "\n"


def to_xmlbif(net: RandomNetwork) -> str:
    """XMLBIF 0.3: a TABLE lists the parents slowest (in GIVEN order) and the child fastest."""
    out = ["<?xml version='1.0'?>", '<BIF VERSION="0.3">', "<NETWORK>", "<NAME>random</NAME>"]
    for n in net.names:
        out += ['<VARIABLE TYPE="nature">', f"<NAME>{n}</NAME>", *[f"<OUTCOME>{s}</OUTCOME>" for s in net.states[n]],
                "</VARIABLE>"]
    for n in net.names:
        out += ["<DEFINITION>", f"<FOR>{n}</FOR>", *[f"<GIVEN>{p}</GIVEN>" for p in net.parents[n]],
                "<TABLE>" + " ".join(_num(x) for x in net.tables[n].ravel()) + "</TABLE>", "</DEFINITION>"]
    return "\n".join(out + ["</NETWORK>", "</BIF>"]) + "\n"


def to_bif(net: RandomNetwork) -> str:
    """BIF: one labelled line per parent configuration."""
    out = ["network random {", "}"]
    for n in net.names:
        out += [f"variable {n} {{", f"  type discrete [ {net.card(n)} ] {{ {', '.join(net.states[n])} }};", "}"]
    for n in net.names:
        t = net.tables[n]
        if not net.parents[n]:
            out += [f"probability ( {n} ) {{", "  table " + ", ".join(_num(x) for x in t) + ";", "}"]
            continue
        out.append(f"probability ( {n} | {', '.join(net.parents[n])} ) {{")
        for idx in np.ndindex(t.shape[:-1]):
            labels = ", ".join(net.states[p][i] for p, i in zip(net.parents[n], idx))
            out.append(f"  ( {labels} ) " + ", ".join(_num(x) for x in t[idx]) + ";")
        out.append("}")
    return "\n".join(out) + "\n"


WRITERS = {"uai": to_uai, "xmlbif": to_xmlbif, "bif": to_bif}


def load(net: RandomNetwork):
    """The network as a bmes-bayes model, by the public route: a file in a temporary directory, load_network."""
    with tempfile.TemporaryDirectory(prefix="bmes-differential-") as d:
        path = Path(d) / f"random{EXTENSIONS[net.fmt]}"
        path.write_text(WRITERS[net.fmt](net), encoding="utf-8")
        return bmes_bayes.load_network(path, target=net.target)


# ------------------------------------------------------------------------------------------------ references


def brute_force(net: RandomNetwork, hard: dict[str, str], soft: dict[str, np.ndarray]) -> Exact:
    """Every marginal and log P(e) by the suite's one enumerator, :func:`tests.reference.enumerate_joint`, on the
    generator's own tables (the full joint: every variable's marginal)."""
    return enumerate_joint(net.names, net.parents, net.tables, {n: net.states[n].index(s) for n, s in hard.items()},
                           soft)


def impossible(net: RandomNetwork, hard: dict[str, str], soft: dict[str, np.ndarray]) -> bool:
    return brute_force(net, hard, soft).marginals is None


def pgmpy_network(net: RandomNetwork):
    """pgmpy's copy, built from the generator's tables (first parent slowest, as pgmpy's TabularCPD wants)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgmpy.factors.discrete import TabularCPD
        from pgmpy.models import DiscreteBayesianNetwork

        bn = DiscreteBayesianNetwork()
        bn.add_nodes_from(net.names)
        bn.add_edges_from((p, n) for n in net.names for p in net.parents[n])
        for n in net.names:
            ps = list(net.parents[n])
            bn.add_cpds(TabularCPD(n, net.card(n), net.tables[n].reshape(-1, net.card(n)).T,
                                   evidence=ps or None, evidence_card=[net.card(p) for p in ps] or None,
                                   state_names={v: list(net.states[v]) for v in [n, *ps]}))
        return bn


def pgmpy_posteriors(bn, net: RandomNetwork, hard: dict[str, str],
                     soft: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every variable's marginal by pgmpy's VariableElimination: one ``query(joint=False)`` for all unobserved
    variables, on a fresh engine (``virtual_evidence`` changes the engine it is called on)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgmpy.factors.discrete import TabularCPD
        from pgmpy.inference import VariableElimination

        out = {n: np.eye(net.card(n))[net.states[n].index(s)] for n, s in hard.items()}
        free = [n for n in net.names if n not in hard]
        if not free:
            return out
        virtual = [TabularCPD(v, net.card(v), (np.asarray(lik) / np.max(lik)).reshape(-1, 1),
                              state_names={v: list(net.states[v])}) for v, lik in soft.items()]
        factors = VariableElimination(bn).query(free, evidence=dict(hard) or None, virtual_evidence=virtual or None,
                                                joint=False, show_progress=False)
        for n in free:
            labels = [str(s) for s in factors[n].state_names[n]]
            out[n] = np.array([factors[n].values[labels.index(s)] for s in net.states[n]])
        return out


def pyagrum_network(net: RandomNetwork):
    """pyAgrum's copy, built in memory from the generator's tables (double precision; one row per parent
    configuration, addressed by name, so no fill order is assumed)."""
    import pyagrum as gum

    bn = gum.BayesNet("random")
    for n in net.names:
        bn.add(gum.LabelizedVariable(n, n, list(net.states[n])))
    for n in net.names:
        for p in net.parents[n]:
            bn.addArc(p, n)
    for n in net.names:
        t = net.tables[n]
        for idx in np.ndindex(t.shape[:-1]):
            where = {p: net.states[p][i] for p, i in zip(net.parents[n], idx)}
            bn.cpt(n)[where] = [float(x) for x in t[idx]]
    return bn


def pyagrum_posteriors(bn, net: RandomNetwork, hard: dict[str, str],
                       soft: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray] | None, float]:
    """Every marginal by pyAgrum's LazyPropagation and its P(e); ``(None, 0.0)`` when it raises
    ``IncompatibleEvidence``."""
    import pyagrum as gum

    ie = gum.LazyPropagation(bn)
    ie.setEvidence({**hard, **{n: [float(x) for x in np.asarray(lik) / np.max(lik)] for n, lik in soft.items()}})
    try:
        ie.makeInference()
        p_e = float(ie.evidenceProbability())
        out = {}
        for n in net.names:
            post = ie.posterior(n)
            out[n] = np.array([post[{n: s}] for s in net.states[n]])
    except gum.IncompatibleEvidence:
        return None, 0.0
    return out, p_e


# ------------------------------------------------------------------------------------------------ the comparison


@dataclass
class Tally:
    """Running figures per evidence kind (see :func:`compare`)."""

    queries: dict = field(default_factory=lambda: defaultdict(int))
    values: dict = field(default_factory=lambda: defaultdict(int))
    compared: dict = field(default_factory=lambda: defaultdict(int))      # (kind, reference) -> queries
    max_diff: dict = field(default_factory=lambda: defaultdict(float))    # (kind, reference) -> max |difference|
    disagreements: dict = field(default_factory=lambda: defaultdict(int))
    errors: dict = field(default_factory=lambda: defaultdict(int))
    reference_errors: dict = field(default_factory=lambda: defaultdict(int))
    networks: int = 0
    formats: dict = field(default_factory=lambda: defaultdict(int))
    examples: list = field(default_factory=list)                          # (kind, problem, net, query)
    classes: dict = field(default_factory=lambda: defaultdict(int))       # (kind, problem class) -> count



def _diff(a: dict[str, np.ndarray], b: dict[str, np.ndarray], names) -> float:
    return max(float(np.max(np.abs(np.asarray(a[n], dtype=float) - np.asarray(b[n], dtype=float)))) for n in names)


def compare(net: RandomNetwork, qs: list[Query], tally: Tally, *, use_pgmpy: bool = True,
            use_pyagrum: bool = True, keep_examples: int = 20) -> list[str]:
    """Compare the package with the references on every query; count into ``tally``; return the problems found
    (each a line of text; empty when everything agrees)."""
    problems: list[str] = []
    tally.networks += 1
    tally.formats[net.fmt] += 1
    log_pe = math.nan

    def problem(kind: str, what: str, q: Query | None, *, error: bool = False) -> None:
        (tally.errors if error else tally.disagreements)[kind] += 1
        cls = subnormal_class(log_pe) if not error else "error"
        tally.classes[(kind, cls)] += 1
        problems.append(f"[{kind}] [{cls}] {what}")
        if len(tally.examples) < keep_examples:
            tally.examples.append((kind, what, net, q))

    try:
        model = load(net)
    except Exception as exc:  # noqa: BLE001 - a file the package should read
        problem("load", f"load_network failed: {type(exc).__name__}: {exc}", None, error=True)
        return problems
    pg = pgmpy_network(net) if use_pgmpy else None
    ag = pyagrum_network(net) if use_pyagrum else None
    for q in qs:
        exact = brute_force(net, q.hard, q.soft)
        log_pe = exact.log_evidence
        kind = "impossible" if exact.marginals is None else q.drawn_as
        if q.drawn_as == "impossible" and exact.marginals is not None:
            problem(kind, "generator: an 'impossible' query is possible by brute force", q, error=True)
            continue
        tally.queries[kind] += 1
        evidence = q.evidence()
        try:
            post = model.posterior(evidence, target=net.target)
            marg = model.marginals(evidence).probabilities
            got = None
        except ImpossibleEvidenceError as exc:
            got = exc
        except Exception as exc:  # noqa: BLE001 - anything else is an error of the package
            problem(kind, f"{type(exc).__name__}: {exc}", q, error=not isinstance(exc, BmesError))
            continue
        if kind == "impossible":
            check_impossible(net, q, got, problem, kind)
            if use_pyagrum:
                tally.compared[(kind, "pyagrum")] += 1
                try:
                    agm, p_e = pyagrum_posteriors(ag, net, q.hard, q.soft)
                except Exception as exc:  # noqa: BLE001
                    tally.reference_errors[(kind, "pyagrum")] += 1
                    problems.append(f"[{kind}] pyAgrum raised {type(exc).__name__}: {exc}")
                else:
                    if p_e != 0.0:
                        tally.reference_errors[(kind, "pyagrum")] += 1
                        problems.append(f"[{kind}] pyAgrum gives P(e) = {p_e!r} for impossible evidence")
            tally.compared[(kind, "brute force")] += 1
            continue
        if got is not None:
            problem(kind, f"ImpossibleEvidenceError for possible evidence (log P(e) = {exact.log_evidence}): {got}", q)
            continue
        tally.values[kind] += sum(net.card(n) for n in net.names)
        # the package against brute force: the target's posterior, every marginal, log P(e)
        d = max(_diff({net.target: post.probabilities}, exact.marginals, [net.target]),
                _diff(marg, exact.marginals, net.names))
        rel = abs(post.log_evidence - exact.log_evidence) / max(1.0, abs(exact.log_evidence))
        record(tally, kind, "brute force", d)
        record(tally, kind, "log P(e)", rel)
        if not d <= TOL:
            problem(kind, f"differs from brute force by {d:.3g}", q)
        if not rel <= TOL:
            problem(kind, f"log P(e) {post.log_evidence!r} vs brute force {exact.log_evidence!r}", q)
        scaled = exact.log_evidence - sum(math.log(float(np.max(v))) for v in q.soft.values())
        if scaled <= math.log(UNDERFLOW):
            continue  # the float references may underflow here: brute force only
        for name, on, run in (("pgmpy", use_pgmpy, lambda: pgmpy_posteriors(pg, net, q.hard, q.soft)),
                              ("pyagrum", use_pyagrum, lambda: pyagrum_posteriors(ag, net, q.hard, q.soft)[0])):
            if not on:
                continue
            try:
                ref = run()
            except Exception as exc:  # noqa: BLE001 - the reference failed, not the package
                tally.reference_errors[(kind, name)] += 1
                problems.append(f"[{kind}] {name} raised {type(exc).__name__}: {exc}")
                continue
            if ref is None:
                tally.reference_errors[(kind, name)] += 1
                problems.append(f"[{kind}] {name} says impossible evidence, brute force P(e) = "
                                f"exp({exact.log_evidence})")
                continue
            ref_d = _diff(marg, ref, net.names)
            record(tally, kind, name, ref_d)
            if not ref_d <= TOL:
                # a disagreement of the package only if brute force sides with the reference
                if _diff(ref, exact.marginals, net.names) <= TOL:
                    problem(kind, f"differs from {name} by {ref_d:.3g} (brute force agrees with {name})", q)
                else:
                    tally.reference_errors[(kind, name)] += 1
                    problems.append(f"[{kind}] {name} differs from brute force and the package by {ref_d:.3g}")
    return problems


def subnormal_class(log_pe: float) -> str:
    """``"tiny P(e)"`` when P(e) lies below the smallest normal double, 2.2e-308 (where the engine once lost
    precision: see ``test_soft_evidence_with_a_subnormal_p_of_e``), else ``"normal P(e)"``."""
    return "tiny P(e)" if log_pe < math.log(SMALLEST_NORMAL) else "normal P(e)"


def unexpected(problems: list[str]) -> list[str]:
    """Every problem: there is no known class left (disagreements where P(e) < 2.2e-308 were one until the engine
    redid such contractions in log space; the label stays in the messages to show where a problem lies)."""
    return list(problems)


def record(tally: Tally, kind: str, reference: str, diff: float) -> None:
    tally.compared[(kind, reference)] += 1
    tally.max_diff[(kind, reference)] = max(tally.max_diff[(kind, reference)], diff)


def check_impossible(net: RandomNetwork, q: Query, got: Exception | None, problem, kind: str) -> None:
    """The package raised ImpossibleEvidenceError, naming an irreducible impossible subset of the evidence."""
    if got is None:
        problem(kind, "a posterior for evidence that is impossible by brute force (P(e) = 0)", q)
        return
    conflict = tuple(got.conflict)
    evidence = {**q.hard, **q.soft}
    if not conflict or not set(conflict) <= set(evidence):
        problem(kind, f"conflict {conflict!r} is not a non-empty subset of the evidence {sorted(evidence)}", q)
        return
    missing = [n for n in conflict if n not in str(got)]
    if missing:
        problem(kind, f"the message does not name {missing}: {got}", q)

    def sub(names):
        return ({n: q.hard[n] for n in names if n in q.hard}, {n: q.soft[n] for n in names if n in q.soft})

    if not impossible(net, *sub(conflict)):
        problem(kind, f"the named conflict {conflict!r} is possible on its own", q)
    for n in conflict:
        rest = [m for m in conflict if m != n]
        if rest and impossible(net, *sub(rest)):
            problem(kind, f"the named conflict {conflict!r} is not irreducible: without {n} still impossible", q)


def table(tally: Tally, seconds: float | None = None, seed: object = None) -> str:
    """The run's figures as a plain-text table."""
    refs = ["brute force", "pgmpy", "pyagrum"]
    head = (f"differential run: {tally.networks} networks"
            + (f" (seed {seed})" if seed is not None else "")
            + f", formats {dict(sorted(tally.formats.items()))}, {sum(tally.queries.values())} queries, "
            + f"{sum(tally.values.values())} posterior values compared with brute force"
            + (f", {seconds:.0f} s" if seconds is not None else ""))
    cols = f"{'evidence':<11}{'queries':>9}" + "".join(f"{'max|d| ' + r + ' (n)':>30}" for r in refs) \
        + f"{'max rel d logP(e)':>19}{'disagree':>10}{'errors':>8}{'ref. errors':>13}"
    lines = [head, "", cols, "-" * len(cols)]
    kinds = [*KINDS, *sorted(k for k in {*tally.queries, *tally.errors, *tally.disagreements} if k not in KINDS)]
    for kind in kinds:
        cells = []
        for r in refs:
            n = tally.compared.get((kind, r), 0)
            if kind == "impossible":
                cells.append(f"{'P(e)=0 checked':>22} ({n})" if n else f"{'-':>30}")
            else:
                cells.append(f"{tally.max_diff.get((kind, r), 0.0):>22.2e} ({n})" if n else f"{'-':>30}")
        le = tally.max_diff.get((kind, "log P(e)"))
        ref_err = sum(v for (k, _), v in tally.reference_errors.items() if k == kind)
        lines.append(f"{kind:<11}{tally.queries.get(kind, 0):>9}" + "".join(f"{c:>30}" for c in cells)
                     + (f"{le:>19.2e}" if le is not None else f"{'-':>19}")
                     + f"{tally.disagreements.get(kind, 0):>10}{tally.errors.get(kind, 0):>8}{ref_err:>13}")
    lines.append("-" * len(cols))
    lines.append(f"{'total':<11}{sum(tally.queries.values()):>9}" + " " * 90 + " " * 19
                 + f"{sum(tally.disagreements.values()):>10}{sum(tally.errors.values()):>8}"
                 + f"{sum(tally.reference_errors.values()):>13}")
    for (kind, cls), count in sorted(tally.classes.items()):
        lines.append(f"  {kind}: {count} problem(s) with {cls}")
    lines.append(f"tolerance {TOL:g} (absolute, every state of every marginal; log P(e) relative to "
                 "max(1, |log P(e)|));"
                 f" pgmpy and pyAgrum compared where P(e) > {UNDERFLOW:g}; impossible evidence: the package's "
                 "conflict set checked by brute force, pyAgrum's P(e) = 0 or IncompatibleEvidence")
    return "\n".join(lines)
