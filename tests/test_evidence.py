"""Bad evidence gets a clear error of the package's own type that names the valid options and the closest match."""

from __future__ import annotations

import numpy as np
import pytest

from bmes_bayes import BmesError, EvidenceError, ImpossibleEvidenceError


def test_every_vocabulary_variable_and_state_is_accepted(model):
    required = {
        "diagnosis": ["transient_bmes", "stress_fracture", "subchondral_insufficiency_fracture", "traumatic_fracture",
                      "osteonecrosis", "osteoarthritis", "inflammatory_arthritis", "infection", "tumor"],
        "joint": ["hip", "knee", "ankle_foot"], "age_group": ["young", "middle", "older"], "sex": ["female", "male"],
        "pregnancy": ["no", "late_or_postpartum"], "onset": ["sudden", "gradual"], "fever": ["no", "yes"],
        "inflammatory_markers": ["normal", "mildly_elevated", "markedly_elevated"], "night_pain": ["no", "yes"],
        "constitutional_symptoms": ["no", "yes"], "prior_episode_other_joint": ["no", "yes"],
        "xray": ["normal", "osteopenia", "degenerative", "fracture_or_collapse", "lytic_or_destructive"],
        "mri_edema_pattern": ["diffuse", "focal", "multifocal"], "followup_course": ["resolved", "persistent", "progressed"],
    }
    for rf in ["corticosteroids", "heavy_alcohol", "smoking", "sickle_cell", "infection_risk", "inflammatory_disease",
               "low_bone_density", "repetitive_loading", "recent_trauma", "cancer_history"]:
        required[rf] = ["no", "yes"]
    for f in ["mri_fracture_line", "mri_necrotic_segment", "mri_collapse", "mri_effusion", "mri_cartilage_loss",
              "mri_abscess_or_sinus", "mri_t1_marrow_replacement", "mri_synovitis_erosions"]:
        required[f] = ["absent", "present"]
    for var, states in required.items():
        assert model.states(var) == tuple(states), var
        for s in states:
            if (var, s) == ("pregnancy", "late_or_postpartum"):
                post = model.posterior({var: s, "sex": "female", "age_group": "young"})
            else:
                post = model.posterior({var: s})
            assert abs(post.probabilities.sum() - 1) < 1e-12


def test_unknown_variable_names_valid_ones_and_closest(model):
    with pytest.raises(EvidenceError) as exc:
        model.posterior({"mri_fractur_line": "present"})
    msg = str(exc.value)
    assert "did you mean 'mri_fracture_line'" in msg and "joint" in msg and "followup_course" in msg
    assert isinstance(exc.value, ValueError) and isinstance(exc.value, BmesError)


def test_unknown_state_names_valid_ones_and_closest(model):
    with pytest.raises(EvidenceError, match=r"did you mean 'present'\?.*absent, present"):
        model.posterior({"mri_fracture_line": "presnt"})


def test_every_problem_is_reported_not_just_the_first(model):
    with pytest.raises(EvidenceError) as exc:
        model.posterior({"feverr": "yes", "joint": "elbow", "xray": 3})
    msg = str(exc.value)
    assert "feverr" in msg and "elbow" in msg and "xray" in msg


def test_boolean_instead_of_state_suggests_the_state(model):
    with pytest.raises(EvidenceError, match="did you mean 'yes'"):
        model.posterior({"fever": True})


def test_unknown_target(model):
    with pytest.raises(EvidenceError, match="did you mean 'diagnosis'"):
        model.posterior({}, target="diagnosys")


def test_evidence_must_be_a_mapping(model):
    with pytest.raises(EvidenceError, match="mapping"):
        model.posterior([("joint", "hip")])


@pytest.mark.parametrize("lik, fragment", [
    ([0.5, float("nan")], "finite"),
    ([-0.1, 1.0], "non-negative"),
    ([0.0, 0.0], "positive"),
    ([0.2, 0.3, 0.5], "needs 2 likelihoods"),
    ({"yes": 0.9}, "missing no"),
    ({"no": 0.1, "yes": 0.9, "maybe": 1}, "unknown state 'maybe'"),
    (["a", "b"], "numbers"),
])
def test_malformed_soft_evidence(model, lik, fragment):
    with pytest.raises(EvidenceError, match=fragment):
        model.posterior({"fever": lik})


def test_soft_evidence_equal_likelihoods_changes_nothing(model):
    a = model.posterior({"joint": "hip"}).probabilities
    b = model.posterior({"joint": "hip", "fever": [0.3, 0.3]}).probabilities
    np.testing.assert_allclose(a, b, atol=1e-14)


def test_impossible_evidence_names_the_conflict(model):
    with pytest.raises(ImpossibleEvidenceError) as exc:
        model.posterior({"joint": "knee", "sex": "male", "fever": "no", "pregnancy": "late_or_postpartum"})
    assert set(exc.value.conflict) == {"sex", "pregnancy"}
    assert "sex=male" in str(exc.value) and "pregnancy=late_or_postpartum" in str(exc.value)
    assert "fever" not in str(exc.value)


def test_a_pandas_series_is_evidence(model):
    """A row of a DataFrame of cases can be passed as it is; NaN means not entered."""
    import pandas as pd

    row = pd.Series({"joint": "hip", "fever": np.nan, "mri_necrotic_segment": "present"})
    np.testing.assert_array_equal(model.posterior(row, checks=False).probabilities,
                                  model.posterior({"joint": "hip", "mri_necrotic_segment": "present"},
                                                  checks=False).probabilities)


def test_workup_takes_plain_evidence_mappings(model):
    work = model.workup([{"joint": "hip"}, {"mri_necrotic_segment": "present"}], n_samples=10, seed=0)
    named = model.workup([("stage 1", {"joint": "hip"}), ("stage 2", {"mri_necrotic_segment": "present"})],
                         n_samples=10, seed=0)
    assert work.stages == ("stage 1", "stage 2")
    np.testing.assert_array_equal(work.samples, named.samples)


def test_workup_reads_a_series_stage_like_posterior_does(model):
    """A NaN in a Series stage means not entered, as in model.posterior (one rule, in bmes_bayes.evidence)."""
    import pandas as pd

    series = model.workup([pd.Series({"joint": "hip", "fever": np.nan})], n_samples=5, seed=0)
    plain = model.workup([{"joint": "hip"}], n_samples=5, seed=0)
    assert series.added == ({"joint": "hip"},)
    np.testing.assert_array_equal(series.samples, plain.samples)
