"""``bmes_bayes._graph``: the orders and ancestor sets the model uses, checked against networkx on random graphs."""

from __future__ import annotations

import subprocess
import sys

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from bmes_bayes._graph import ancestors, cycles, topological_order


@st.composite
def dags(draw):
    n = draw(st.integers(1, 12))
    names = [f"v{i}" for i in draw(st.permutations(range(n)))]   # file order is not the topological order
    rank = {name: i for i, name in enumerate(draw(st.permutations(names)))}
    parents = {m: tuple(p for p in names if rank[p] < rank[m] and draw(st.booleans())) for m in names}
    return names, parents


def _graph(parents):
    g = nx.DiGraph()
    g.add_nodes_from(parents)
    g.add_edges_from((p, n) for n, ps in parents.items() for p in ps)
    return g


@settings(max_examples=200, deadline=None)
@given(dags())
def test_order_and_ancestors_are_networkx_s(dag):
    names, parents = dag
    position = {n: i for i, n in enumerate(names)}
    g = _graph(parents)
    assert topological_order(parents, position) == list(nx.lexicographical_topological_sort(g, key=position.get))
    assert ancestors(parents) == {n: frozenset(nx.ancestors(g, n)) for n in names}


def test_a_cycle_has_no_order_and_is_listed():
    parents = {"a": ("c",), "b": ("a",), "c": ("b",), "d": ()}
    assert topological_order(parents, {"a": 0, "b": 1, "c": 2, "d": 3}) is None
    assert sorted(map(sorted, cycles(parents))) == [["a", "b", "c"]]


def test_a_command_line_query_loads_neither_pandas_nor_networkx_nor_scipy_nor_matplotlib():
    """Issue 11, item 4 (fast start): measured as a module list, not a time."""
    code = ("import sys; from bmes_bayes.cli import main; "
            "main(['query', 'joint=hip', 'onset=sudden', 'mri_necrotic_segment=absent']); "
            "print(sorted(m for m in ('pandas', 'networkx', 'scipy', 'matplotlib', 'jinja2', 'SALib', 'pgmpy') "
            "if m in sys.modules), file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stderr.strip().splitlines()[-1] == "[]", out.stderr
