"""Teaching differential reasoning, one module per method, each a function of the model returning a result.

The methods:

- :mod:`~bmes_bayes.teaching.workup`: the work-up trajectory, stage by stage, with credible bands (:func:`workup`);
- :mod:`~bmes_bayes.teaching.explain`: why the model believes what it believes, each observed item's weight of
  evidence, and what if one item had been different (:func:`explain`);
- :mod:`~bmes_bayes.teaching.likelihood_ratio`: likelihood ratios with a Fagan view (:func:`likelihood_ratio`);
- :mod:`~bmes_bayes.teaching.next_test`: which test next (:func:`next_test`);
- :mod:`~bmes_bayes.teaching.alerts`: can't-miss alerts (:func:`alerts`, :class:`AlertCheck`);
- :mod:`~bmes_bayes.teaching.conflict`: evidence conflict (:func:`conflict`).

Everything is exact inference on the point model (the same engine as :meth:`BmesModel.posterior`), except the
credible bands of the work-up and the alert check, which come from exact inference under each parameter set drawn
from the priors (:mod:`bmes_bayes.draws`). Every clinical number (the can't-miss set, its thresholds and reasoning,
test costs) is read from ``priors/teaching/`` (:func:`load_alert_config`, :func:`load_test_costs`); none is written
here. Each module's docstring gives its method and references.
"""

from __future__ import annotations

from ._common import ALL_OTHERS
from ._common import BITS_PER_NAT as BITS_PER_NAT
from ._common import DECIBANS_PER_NAT as DECIBANS_PER_NAT
from ..spec.alerts import AlertConfig, AlertRule, alert_config_for, load_alert_config
from ..spec.costs import load_test_costs
from ..spec.network import diagnosis_variable as diagnosis_variable
from .alerts import Alert, AlertCheck, alerts
from .conflict import Conflict, conflict
from .explain import Explanation, WhatIf, explain
from .likelihood_ratio import LikelihoodRatio, likelihood_ratio
from .next_test import NextTest, next_test
from .next_test import _outcome_values as _outcome_values
from .workup import Workup, workup

__all__ = [
    "ALL_OTHERS",
    "Alert",
    "AlertCheck",
    "AlertConfig",
    "AlertRule",
    "Conflict",
    "Explanation",
    "LikelihoodRatio",
    "NextTest",
    "WhatIf",
    "Workup",
    "alert_config_for",
    "alerts",
    "conflict",
    "explain",
    "likelihood_ratio",
    "load_alert_config",
    "load_test_costs",
    "next_test",
    "workup",
]
# also importable, as before the split: DECIBANS_PER_NAT, BITS_PER_NAT, diagnosis_variable (cli, benchmarks) and
# _outcome_values (tests)
