"""``bmes_bayes.sensitivity.one_way``: the ends of a one-way range are Beta quantiles and match
``tests.reference.brute_force`` on CPTs recompiled by hand with the entry changed and the row co-varied."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from bmes_bayes.compile import compile_all

from ..reference import brute_force
from .helpers import TOL, TOY_EV, _with_entry


# ------------------------------------------------------------------------------------------------ 3. one-way
def test_one_way_ends_are_beta_quantiles_and_match_brute_force(toy):
    ow = toy.one_way(TOY_EV, target="disease", plausible=0.9)
    frame = ow.to_frame()
    assert list(frame.columns) == ["parameter", "kind", "node", "state", "plausible_low", "x0", "plausible_high",
                                   "p_low", "p_point", "p_high", "swing", "top_low", "top_high"]
    assert (np.diff(frame["swing"]) <= 0).all()
    # P(test=pos | disease=b, risk=no): stated range [0.3, 0.7] -> a Beta; its 5%/95% quantiles from scipy
    row = frame.set_index("parameter").loc["P(test=pos | disease=b, risk=no)"]
    prior = next(p for p in toy.priors.parameters if p.id == "test | disease=b, risk=no")
    a = prior.alpha
    lo, hi = stats.beta.ppf([0.05, 0.95], a[1], a[0])
    assert row["plausible_low"] == pytest.approx(lo, abs=1e-12) and row["plausible_high"] == pytest.approx(hi, abs=1e-12)
    hard = dict(TOY_EV)
    ti = toy.states("disease").index(ow.target_state)
    for x, col in ((lo, "p_low"), (hi, "p_high")):
        ref = brute_force(toy, hard, "disease", tables=_with_entry(toy, "test", {"disease": "b", "risk": "no"}, "pos", x))
        assert row[col] == pytest.approx(ref[ti], abs=TOL)


def test_one_way_odds_ratio_end_matches_brute_force(toy):
    ow = toy.one_way(TOY_EV, target="disease", target_state="c", plausible=0.95)
    row = ow.to_frame().set_index("parameter").loc["OR of disease=c for risk=yes"]
    # log-normal with median 3 and log-SD ln(6/1.5)/3.92: its 97.5% quantile
    hi = np.exp(np.log(3.0) + np.log(6 / 1.5) / (2 * 1.959963984540054) * stats.norm.ppf(0.975))
    assert row["plausible_high"] == pytest.approx(hi, rel=1e-12)
    from bmes_bayes.parameters import point_draws

    draws = point_draws(toy.priors)
    i = next(j for j, p in enumerate(toy.priors.parameters) if p.id == "disease: OR risk=yes -> c")
    tables = {k: v[0] for k, v in compile_all(toy.priors, toy.network, draws.replace(i, np.array([hi]))).items()}
    assert row["p_high"] == pytest.approx(brute_force(toy, TOY_EV, "disease", tables=tables)[2], abs=TOL)
