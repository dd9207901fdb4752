"""Read and validate every data file.

The network (``networks/*.yaml``), its priors (``priors/*.yaml``), the can't-miss alert thresholds and test costs
(``priors/teaching/``), the scenarios (``scenarios/``) and the validation cases (``validation/``).

Every reader follows one pattern (:mod:`bmes_bayes.spec._reader`): every check runs before anything is raised, so one
:class:`~bmes_bayes.exceptions.SpecError` lists every problem, each with its file and line; a key a construct does not
define is an error naming the closest valid key and every valid one; and every clinical number says where it comes
from (a ``source``, an ``expert_judgement``, or both; a published case cites its source). Only safe YAML is read;
nothing is evaluated.

This layer imports nothing above it: only the foundation (``exceptions``, ``limits``, ``_checks``, ``_read``,
``_yaml``) and the display base of results.

Modules: :mod:`~bmes_bayes.spec.network` (the structure), :mod:`~bmes_bayes.spec.priors` (the parameters),
:mod:`~bmes_bayes.spec.alerts` (can't-miss thresholds), :mod:`~bmes_bayes.spec.costs` (test costs),
:mod:`~bmes_bayes.spec.scenarios` (staged published cases), :mod:`~bmes_bayes.spec.cases` (validation cases).
"""

from __future__ import annotations

from ._paths import default_paths
from ._reader import NAME, Provenance, Reader
from ._reader import unknown_keys
from .alerts import Alert, AlertConfig, AlertRule, alert_config_for, load_alert_config
from .cases import Case, CaseSet, load_cases
from .costs import load_test_costs
from .network import MAX_TABLE_ENTRIES, ROLES, STAGES, NetworkSpec, Variable, diagnosis_variable, load_network
from .priors import (ODDS_RATIO_LIMITS, TOLERANCE, Z95, LogLinearCPD, OddsRatioPrior, PriorSpec, RowPrior, TableCPD,
                     load_priors)
from .priors import _PriorReader as _PriorReader  # the model reader the style guide points to
from .scenarios import Scenario, Stage

_unknown_keys = unknown_keys  # the name older modules import

__all__ = [
    "Variable",
    "NetworkSpec",
    "Provenance",
    "RowPrior",
    "OddsRatioPrior",
    "TableCPD",
    "LogLinearCPD",
    "PriorSpec",
    "load_network",
    "load_priors",
    "ROLES",
    "STAGES",
    "Alert",
    "AlertRule",
    "AlertConfig",
    "load_alert_config",
    "alert_config_for",
    "load_test_costs",
    "Scenario",
    "Stage",
    "Case",
    "CaseSet",
    "load_cases",
    "diagnosis_variable",
    "default_paths",
    "Reader",
    "unknown_keys",
    "NAME",
    "MAX_TABLE_ENTRIES",
    "TOLERANCE",
    "Z95",
    "ODDS_RATIO_LIMITS",
]
