"""Fixtures of the sensitivity tests: small networks with a known analytic answer."""

from __future__ import annotations

import pytest

from .helpers import _network


@pytest.fixture(scope="module")
def beta_net(tmp_path_factory):
    """Two nodes: a root 'a' whose P(a=yes) ~ Beta(3.6, 8.4) (mean 0.3, concentration 12), a fixed child."""
    return _network(tmp_path_factory.mktemp("beta"), "beta", """\
  a: {role: diagnosis, states: ["no", "yes"], parents: [], description: A root.}
  b: {role: finding, states: [neg, pos], parents: [a], description: A child.}
""", """\
  a: {kind: table, row: {value: {"yes": 0.3}, concentration: 12, source: test}}
  b:
    kind: table
    rows:
      "no": {value: {pos: 0.2}, fixed: true, source: test}
      "yes": {value: {pos: 0.7}, fixed: true, source: test}
""")


@pytest.fixture(scope="module")
def and_net(tmp_path_factory):
    """y = x1 AND x2 with P(x1=yes) ~ Beta(2, 2) and P(x2=yes) ~ Beta(3, 7): P(y=yes) = theta1 * theta2."""
    return _network(tmp_path_factory.mktemp("and"), "and", """\
  x1: {role: risk_factor, states: ["no", "yes"], parents: [], description: First cause.}
  x2: {role: risk_factor, states: ["no", "yes"], parents: [], description: Second cause.}
  y: {role: diagnosis, states: ["no", "yes"], parents: [x1, x2], description: Both causes.}
""", """\
  x1: {kind: table, row: {value: {"yes": 0.5}, concentration: 4, source: test}}
  x2: {kind: table, row: {value: {"yes": 0.3}, concentration: 10, source: test}}
  y:
    kind: table
    rows:
      "no":
        "no": {value: {"yes": 0.0}, fixed: true, source: logic}
        "yes": {value: {"yes": 0.0}, fixed: true, source: logic}
      "yes":
        "no": {value: {"yes": 0.0}, fixed: true, source: logic}
        "yes": {value: {"yes": 1.0}, fixed: true, source: logic}
""")
