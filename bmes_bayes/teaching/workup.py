"""The work-up trajectory.

The posterior of the diagnosis after each stage of a case, with credible bands over parameter sets drawn from the priors
(the same parameter sets at every stage, so each draw is one plausible model's whole trajectory).

The point posteriors are exact inference on the point model; the bands come from :mod:`bmes_bayes.draws` (exact
inference under each parameter set drawn), summarised by :func:`bmes_bayes.draws.equal_tailed` and
:func:`bmes_bayes.draws.p_top`.

References
----------
Van Allen T, Singh A, Greiner R, Hooper P (2008). Quantifying the uncertainty of a belief net response.
*Artificial Intelligence* 172:483-513.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

from .. import _checks
from .. import draws as _draws  # by module: the draws can be observed (tests count the calls)
from ..draws import equal_tailed, p_top
from ..evidence import as_mapping
from ..exceptions import ArgumentTypeError, EvidenceError, UnknownNameError, shown, unknown_name_message
from ..results import DISCLAIMER, ModelInfo, Posterior, ResultDisplay, draws_frame, frame_text
from ..display import freeze
from ._common import _label, diagnosis_variable

if TYPE_CHECKING:  # pragma: no cover
    import xarray
    from matplotlib.axes import Axes

    from ..model import BmesModel
    from ..scenarios import Scenario
    from ..sensitivity import Uncertainty
    from .alerts import Alert

__all__ = ["Workup", "workup"]


def _stage_items(stages: "Scenario | Sequence[object]") -> tuple[str, list[tuple[str, dict[str, object]]]]:
    """(name, [(stage name, evidence added)]) from a Scenario or a sequence of (name, evidence) pairs."""
    from ..scenarios import Scenario

    if isinstance(stages, Scenario):
        return stages.name, [(st.stage, dict(st.evidence)) for st in stages.stages]
    if isinstance(stages, (str, bytes, Mapping)) or not isinstance(stages, Sequence):
        raise EvidenceError("stages must be a Scenario, an ordered list of evidence mappings (stages named by order), "
                            "or of (stage name, evidence mapping) pairs, such as [('history', {'joint': 'hip'}), "
                            f"('mri', {{...}})]; got {type(stages).__name__}")
    items: list[tuple[str, dict[str, object]]] = []
    for i, item in enumerate(stages, start=1):
        if hasattr(item, "stage") and hasattr(item, "evidence"):
            name, ev = item.stage, item.evidence
        elif isinstance(as_mapping(item), Mapping):  # a plain evidence mapping: the stage is named by its order
            name, ev = f"stage {i}", item
        elif isinstance(item, Sequence) and not isinstance(item, (str, bytes)) and len(item) == 2:
            name, ev = item
        else:
            raise EvidenceError(f"stage {i}: expected an evidence mapping or a (stage name, evidence mapping) pair, "
                                f"got {shown(item)}")
        if not isinstance(name, str) or not name.strip():
            raise EvidenceError(f"stage {i}: the stage name must be non-empty text, got {name!r}")
        ev = as_mapping(ev)
        if not isinstance(ev, Mapping):
            raise EvidenceError(f"stage {i} ({name}): evidence must be a mapping of variable to state, "
                                f"got {type(ev).__name__}")
        items.append((name, dict(ev)))
    if not items:
        raise EvidenceError("stages is empty: give at least one (stage name, evidence) pair")
    return "work-up", items


def _int_seed(seed: None | int | np.random.Generator) -> int:
    """An int seed to share across stages (so every stage uses the same parameter sets), recorded for reuse."""
    from .._seed import as_generator

    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**63 - 1))
    if seed is None:
        return int(cast(int, np.random.SeedSequence().entropy) % (2**63 - 1))   # an int when drawn fresh
    as_generator(seed)  # validates (bool, float, negative -> BmesError)
    return int(seed)


@dataclass(frozen=True, eq=False)
class Workup(ResultDisplay):
    """The posterior of the diagnosis after each stage of a work-up, with credible bands.

    Attributes
    ----------
    name : str
        The scenario's name, or "work-up".
    stages : tuple of str
        Stage names, in order.
    added : tuple of dict
        The evidence each stage adds.
    posteriors : tuple of Posterior
        The exact (point-model) posterior after each stage, on all evidence so far (with its can't-miss alerts).
    samples : numpy.ndarray
        ``(n_stages, n_samples, K)``, read-only: exact posteriors for parameter sets drawn from the priors; every
        stage uses the same parameter sets (the same seed), so each row is one plausible model's whole trajectory.
    level : float
        Credible level of the bands (equal-tailed).
    seed : int
        The seed used (drawn at random and recorded when none was given), so the run can be repeated.
    n_impossible : int
        Parameter sets drawn under which the evidence of some stage is impossible: left out of ``samples`` (at
        every stage, so that each row stays one model's trajectory) and counted here.
    """

    name: str
    stages: tuple[str, ...]
    added: tuple[dict[str, object], ...]
    posteriors: tuple[Posterior, ...]
    samples: np.ndarray
    level: float
    seed: int
    model: ModelInfo
    n_impossible: int = 0

    def __post_init__(self) -> None:
        freeze(self, "samples")

    def draws(self) -> pd.DataFrame:
        """The draws in long form.

        Columns ``stage, draw, state, probability`` (one row per stage, parameter set and state); the same parameter
        sets at every stage, so ``draw`` follows one plausible model's trajectory.
        """
        return draws_frame(self.samples, self.posteriors[0].states, stages=self.stages)

    def to_xarray(self) -> "xarray.Dataset":
        """An ``xarray.Dataset``.

        ``posterior`` with dims ``stage``, ``draw``, ``state`` (the same parameter sets at every stage) and ``point``
        (dims ``stage``, ``state``), with the seed, level and model in ``attrs``. Needs the ``xarray`` extra;
        round-trips through netCDF.
        """
        from ..draws import xarray_module as _xarray

        xr = _xarray()
        point = np.stack([p.probabilities for p in self.posteriors])
        return xr.Dataset({"posterior": (("stage", "draw", "state"), self.samples),
                           "point": (("stage", "state"), point)},
                          coords={"stage": list(self.stages), "draw": np.arange(self.n_samples),
                                  "state": list(self.states)},
                          attrs={"target": self.target, "name": self.name, "seed": int(self.seed),
                                 "level": self.level, "model": self.model.short, "disclaimer": DISCLAIMER})

    @property
    def target(self) -> str:
        """The variable whose posterior is followed."""
        return self.posteriors[0].target

    @property
    def states(self) -> tuple[str, ...]:
        """The states of the target."""
        return self.posteriors[0].states

    @property
    def n_samples(self) -> int:
        """The number of parameter sets drawn."""
        return int(self.samples.shape[1])

    @property
    def final(self) -> Posterior:
        """The posterior after the last stage (all the evidence)."""
        return self.posteriors[-1]

    def uncertainty(self, stage: int | str = -1) -> "Uncertainty":
        """The credible intervals after one stage (an index, negative from the end, or a stage name).

        As :meth:`BmesModel.sensitivity` gives them for that stage's cumulative evidence with the same ``n_samples``,
        seed and level: the same draws, so nothing is recomputed.
        """
        from ..sensitivity import Uncertainty

        if isinstance(stage, str):
            if stage not in self.stages:
                raise UnknownNameError(unknown_name_message("stage", stage, self.stages))
            i = self.stages.index(stage)
        else:
            n = len(self.stages)
            i = _checks.count(stage, "stage", minimum=-n, maximum=n - 1) % n
        post = self.posteriors[i]
        return Uncertainty(target=post.target, states=post.states, point=post.probabilities, samples=self.samples[i],
                           level=self.level, threshold=0.9, seed=self.seed, evidence=dict(post.evidence),
                           model=self.model)

    @property
    def alerts(self) -> tuple[Alert, ...]:
        """Can't-miss alerts on the final posterior."""
        return self.final.alerts

    @property
    def evidence(self) -> dict[str, object]:
        """All evidence of all stages."""
        return dict(self.final.evidence)

    def to_frame(self) -> pd.DataFrame:
        """Long format, one row per stage and diagnosis.

        Columns: ``stage_index`` (1 for the first stage), ``stage``, ``diagnosis``, ``probability`` (point model),
        ``lower``, ``upper`` (equal-tailed ``level`` band over the parameter sets), ``p_top`` (share of parameter
        sets in which the diagnosis is first at that stage) and ``alert`` (a can't-miss alert fires).
        """
        frames = []
        tops = p_top(self.samples)   # (n_stages, K)
        for i, (stage, post) in enumerate(zip(self.stages, self.posteriors)):
            lower, upper = equal_tailed(self.samples[i], self.level)
            flagged = {a.diagnosis for a in post.alerts}
            frames.append(pd.DataFrame({
                "stage_index": i + 1, "stage": stage, "diagnosis": list(self.states),
                "probability": post.probabilities, "lower": lower, "upper": upper, "p_top": tops[i],
                "alert": [s in flagged for s in self.states],
            }))
        return pd.concat(frames, ignore_index=True)

    def table(self) -> pd.DataFrame:
        """Wide text view.

        One row per diagnosis (most probable at the end first), one column per stage, cells ``"0.31 [0.18, 0.45]"`` with
        ``!`` marking a can't-miss alert.
        """
        frame = self.to_frame()
        order = list(self.final.to_frame()["state"])
        cols = {}
        for i, stage in enumerate(self.stages, start=1):
            part = frame[frame["stage_index"] == i].set_index("diagnosis")
            cols[f"{i} {stage}"] = [f"{part.at[d, 'probability']:.2f} [{part.at[d, 'lower']:.2f}, {part.at[d, 'upper']:.2f}]"
                                    + ("!" if part.at[d, "alert"] else " ") for d in order]
        return pd.DataFrame({"diagnosis": order, **cols})

    def __repr__(self) -> str:
        first, last = self.posteriors[0], self.final
        top, p = last.top
        i = self.states.index(top)
        lo, hi = equal_tailed(self.samples[-1][:, i], self.level)
        alert = ", ".join(a.diagnosis for a in last.alerts) or "none"
        return (f"<Workup {self.name}: {len(self.stages)} stages, {len(self.states)} diagnoses, "
                f"{self.n_samples} parameter sets; {top} {first[top]:.2f} -> {p:.2f} [{lo:.2f}, {hi:.2f}]; "
                f"alerts at the end: {alert}>")

    def __str__(self) -> str:
        lines = [f"Work-up {self.name}: P({self.target} | evidence so far), point value "
                 f"[{self.level:.0%} band over {self.n_samples} parameter sets, seed {self.seed}]; ! = can't-miss alert"]
        for i, (stage, added) in enumerate(zip(self.stages, self.added), start=1):
            lines.append(f"  stage {i} {stage}: {_label(added)}")
        lines += ["", frame_text(self.table()), "", f"model: {self.model.short}", DISCLAIMER]
        return "\n".join(lines)

    def _title(self) -> str:
        return (f"Work-up {self.name}: P({self.target} | evidence so far), {self.level:.0%} bands over "
                f"{self.n_samples} parameter sets (seed {self.seed}); ! marks a can't-miss alert")

    def _display_frame(self) -> pd.DataFrame:
        return self.table()

    def _notes(self) -> list[str]:
        """The evidence each stage adds, in order."""
        return [f"stage {i} {stage}: {_label(added)}"
                for i, (stage, added) in enumerate(zip(self.stages, self.added), start=1)]

    def plot(self, ax: "Axes | None" = None, *, diagnoses: Sequence[str] | None = None,
             min_probability: float = 0.05, bands: int = 3) -> "Axes":
        """Trajectory of each diagnosis across the stages.

        Lines for the point model, shaded credible bands, a red ring where a can't-miss alert fires. Returns the Axes.

        Parameters
        ----------
        diagnoses : sequence of str, optional
            Which diagnoses to draw. Default: those reaching ``min_probability`` at some stage, plus any alert.
        bands : int, default 3
            Shade the credible band of this many diagnoses (the most probable at the last stage).
        """
        from ..plotting import trajectory_plot

        bands = _checks.count(bands, "bands", minimum=0)
        min_probability = _checks.probability(min_probability, "min_probability")
        frame = self.to_frame()
        if diagnoses is None:
            peak = frame.groupby("diagnosis")["probability"].max()
            flagged = set(frame.loc[frame["alert"], "diagnosis"])
            diagnoses = [d for d in self.states if peak[d] >= min_probability or d in flagged]
        else:
            if isinstance(diagnoses, (str, bytes)) or not isinstance(diagnoses, Iterable):
                raise ArgumentTypeError(f"diagnoses must be a list of diagnoses, got {shown(diagnoses)}")
            diagnoses = list(diagnoses)
            for d in diagnoses:
                _checks.state(self.states, d, of=self.target, name="diagnoses")
        return trajectory_plot(frame, states=self.states, diagnoses=list(diagnoses), level=self.level, bands=bands,
                               ax=ax,
                               title=f"Work-up {self.name}: P({self.target} | evidence so far)")


def workup(model: "BmesModel", stages: "Scenario | Sequence[object]", *, n_samples: int = 500,
           seed: None | int | np.random.Generator = None, level: float = 0.9) -> Workup:
    """The posterior of the diagnosis after each stage of a work-up, with credible bands.

    Parameters
    ----------
    model : BmesModel
        The model (``bmes_bayes.load_model()``).
    stages : Scenario or sequence of (str, mapping)
        A scenario (``bmes_bayes.scenarios.load("classic-toh")``) or ordered ``(stage name, evidence added)``
        pairs. Evidence accumulates; a variable may be given in one stage only.
    n_samples : int, default 500
        Parameter sets drawn from the priors for the bands (:meth:`BmesModel.sensitivity` per stage): at most
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
    level = _checks.level(level)
    name, items = _stage_items(stages)
    target = diagnosis_variable(model.network)
    n_samples = _draws.sample_count(model, n_samples, target, stages=len(items))
    seen: dict[str, str] = {}
    cumulative: list[dict[str, object]] = []
    acc: dict[str, object] = {}
    for i, (stage, ev) in enumerate(items, start=1):
        for var in ev:
            if var in seen:
                raise EvidenceError(f"{var} is given again in stage {i} ({stage}); it was first given in {seen[var]}")
            seen[var] = f"stage {i} ({stage})"
        acc = {**acc, **ev}
        cumulative.append(dict(acc))
    seed_int = _int_seed(seed)
    posteriors = [model.posterior(ev, target=target, checks=False) for ev in cumulative]
    samples, _ = _draws.posterior_draws_for(model, cumulative, target=target, n_samples=int(n_samples), seed=seed_int,
                                     progress=False)   # every stage under the same parameter sets, drawn once
    stacked = np.stack(samples)
    possible = _draws.possible_draws(stacked, posteriors[-1].evidence, stacklevel=4)  # each row: one model's trajectory
    return Workup(name=name, stages=tuple(s for s, _ in items), added=tuple(ev for _, ev in items),
                  posteriors=tuple(posteriors), samples=stacked[:, possible] if not possible.all() else stacked,
                  level=level, seed=seed_int, model=model.info, n_impossible=int((~possible).sum()))
