"""The scenario library: published cases as staged evidence, loadable by name.

Reading and validating the scenario files lives in :mod:`bmes_bayes.spec.scenarios` (the data layer); this module
keeps the names users know. Running a scenario against a model is :func:`bmes_bayes.teaching.workup` (or
``model.workup(scenario)``) and the scenario report of :mod:`bmes_bayes.report`.

>>> from bmes_bayes import scenarios
>>> "classic-toh" in scenarios.names()
True
>>> scenarios.load("classic-toh").expected_leading
'transient_bmes'
"""

from __future__ import annotations

from .spec.scenarios import KINDS, Scenario, Stage, load, load_all, names, scenario_dir

__all__ = ["Scenario", "Stage", "load", "names", "load_all", "scenario_dir", "KINDS"]
