"""Published accuracy figures as tests: each figure the model implies lies inside the interval a paper reports.

The model's figure is read from the compiled network (the CPTs after the declared calibration, and averaged over the
other parents where a finding has more than the diagnosis), exactly as a user of the model would see it. The
reference interval is the 95% Wilson interval of the paper's counts, computed here, or the range the paper gives.
These are checks of the network against the literature it was built from and against papers it was not; they are
not checks against the validation cases.
"""

from __future__ import annotations

import math

import pytest

DX = ("transient_bmes", "stress_fracture", "subchondral_insufficiency_fracture", "traumatic_fracture",
      "osteonecrosis", "osteoarthritis", "inflammatory_arthritis", "infection", "tumor")


def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """95% Wilson score interval of k successes in n trials."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def implied(model, finding: str, state: str, given: dict[str, str]) -> float:
    """P(finding = state | given) under the model: the frequency it implies, other parents averaged out."""
    return model.posterior(given, target=finding)[state]


def test_wilson_interval_matches_a_textbook_value():
    # Newcombe, Stat Med 1998;17:857, table I: 81/263 -> 0.2553 to 0.3662
    lo, hi = wilson(81, 263)
    assert lo == pytest.approx(0.2553, abs=5e-4) and hi == pytest.approx(0.3662, abs=5e-4)


def test_double_line_sign_sensitivity_in_osteonecrosis(model):
    """Mitchell et al., Radiology 1987;162:709 (PMID 3809484): double-line sign in 45 of 56 proven AVN lesions."""
    lo, hi = wilson(45, 56)
    assert lo <= implied(model, "mri_necrotic_segment", "present", {"diagnosis": "osteonecrosis"}) <= hi


def test_a_necrotic_segment_is_rare_outside_osteonecrosis(model):
    """Reviews call the double-line sign close to pathognomonic; the MRI meta-analysis of early ONFH (J Orthop Surg
    Res 2018;13:167, doi:10.1186/s13018-018-0836-8) gives a pooled specificity of 91% (89-93%) for MRI overall: no
    other cause may show a demarcated segment more often than 1 - 0.89 of the time, SIF (the known mimic) aside."""
    for d in DX:
        if d in ("osteonecrosis", "subchondral_insufficiency_fracture"):
            continue
        assert implied(model, "mri_necrotic_segment", "present", {"diagnosis": d}) <= 1 - 0.89, d


def test_subchondral_line_in_transient_osteoporosis_of_the_hip(model):
    """Klontzas et al., Eur J Radiol 2015 (155 hips, via Radiopaedia): subchondral fracture lines in 48.7%;
    Gulati et al., Skeletal Radiol 2024 (PMID 37932432): 44 of 50 on small field-of-view MRI. The model's hip
    figure lies between the lower Wilson bound of 75/155 and the upper bound of 44/50."""
    lo, _ = wilson(75, 155)
    _, hi = wilson(44, 50)
    p = implied(model, "mri_fracture_line", "present", {"diagnosis": "transient_bmes", "joint": "hip"})
    assert lo <= p <= hi


def test_subchondral_line_is_rarer_in_transient_bme_of_the_knee(model):
    """Non-traumatic knee BME, 98 patients (Karantanas group, [S2]): a subchondral fracture in 11 (11.2%) at
    presentation, some of them later collapsing (i.e. SIF); so transient knee BME shows a line at most that often."""
    _, hi = wilson(11, 98)
    p = implied(model, "mri_fracture_line", "present", {"diagnosis": "transient_bmes", "joint": "knee"})
    assert p <= hi
    assert p < implied(model, "mri_fracture_line", "present", {"diagnosis": "transient_bmes", "joint": "hip"})


def test_radiographic_osteopenia_in_transient_osteoporosis(model):
    """Radiopaedia, 'Transient osteoporosis' (radiopaedia.org/articles/transient-osteoporosis): osteopenia becomes
    visible in only 20% of cases; Vaishya et al., Indian J Orthop 2017 (PMID 28790475): radiographs not diagnostic
    early in 12 of 12. The implied frequency lies between 0 of 12 (upper Wilson bound) and one in three."""
    _, hi12 = wilson(0, 12)
    for age in ("young", "middle", "older"):
        p = implied(model, "xray", "osteopenia", {"diagnosis": "transient_bmes", "age_group": age})
        assert 0.1 <= p <= hi12, age


def test_occult_fracture_after_a_fall_with_a_normal_radiograph(model):
    """Frihagen et al., Acta Orthop 2005 (PMID 16195069): MRI after hip trauma with negative radiographs (median
    age about 80) showed a hip fracture in 46 of 100 and another fracture in 27. Those MRIs include scans without
    marrow edema, so among patients whose MRI shows edema (the model's population) a fracture is at least as
    common: the model's probability of a fracture lies at or above the lower Wilson bound of 73/100."""
    lo, _ = wilson(73, 100)
    post = model.posterior({"joint": "hip", "age_group": "older", "recent_trauma": "yes", "xray": "normal"}).to_series()
    fracture = post[["traumatic_fracture", "stress_fracture", "subchondral_insufficiency_fracture"]].sum()
    assert fracture >= lo


def test_effusion_in_septic_and_non_septic_inflamed_joints(model):
    """Graif et al., Skeletal Radiol 1999;28:616: effusion in 15 of 19 septic and 9 of 11 non-septic inflamed
    joints; an effusion does not separate them (the model's two figures lie inside both intervals' overlap)."""
    for d, (k, n) in (("infection", (15, 19)), ("inflammatory_arthritis", (9, 11))):
        lo, hi = wilson(k, n)
        assert lo <= implied(model, "mri_effusion", "present", {"diagnosis": d}) <= hi, d
    lr = implied(model, "mri_effusion", "present", {"diagnosis": "infection"}) / implied(
        model, "mri_effusion", "present", {"diagnosis": "inflammatory_arthritis"})
    assert 0.6 < lr < 1.6     # Graif: LR of an effusion for sepsis 0.96


def test_t1_marrow_replacement_sensitivity_and_specificity_for_infiltration(model):
    """Carroll et al., J Magn Reson Imaging 1997;7:394: T1 marrow signal at or below muscle in 44 of 47
    infiltrated and 1 of 18 normal (red) marrows: sensitivity 44/47, specificity 17/18."""
    lo, hi = wilson(44, 47)
    for age in ("young", "middle", "older"):
        assert lo <= implied(model, "mri_t1_marrow_replacement", "present", {"diagnosis": "tumor", "age_group": age}) <= hi
    lo, hi = wilson(17, 18)
    for d in ("transient_bmes", "stress_fracture", "subchondral_insufficiency_fracture", "traumatic_fracture",
              "osteonecrosis", "osteoarthritis", "inflammatory_arthritis"):
        spec = 1 - implied(model, "mri_t1_marrow_replacement", "present", {"diagnosis": d, "age_group": "middle"})
        assert lo <= spec <= hi, d


def test_fever_in_bone_and_joint_infection_lies_between_its_components(model):
    """The infection class mixes septic arthritis and osteomyelitis. Fever: 19% sensitivity in diabetic-foot
    osteomyelitis (Dinh et al., Clin Infect Dis 2008, [S50]); 78% of non-gonococcal septic arthritis febrile in the
    first 24 hours (Medscape 'Bacterial septic arthritis', clinical). The model's figure lies between the two."""
    p = implied(model, "fever", "yes", {"diagnosis": "infection"})
    assert 0.19 <= p <= 0.78


def test_normal_inflammatory_markers_are_uncommon_in_infection(model):
    """Gupta et al. (via BestBETs 1643, bestbets.org/bets/bet.php?id=1643): CRP normal in 1 of 75 adults with
    septic arthritis; ARUP Consult: normal ESR and CRP essentially rule out osteomyelitis, indolent organisms
    excepted. The model's figure (indolent osteomyelitis included) stays below one in six, and far below the
    33-42% of rheumatoid arthritis with normal ESR and CRP (Sokka and Pincus, J Rheumatol 2009;36:1387)."""
    p_inf = implied(model, "inflammatory_markers", "normal", {"diagnosis": "infection"})
    assert p_inf <= 1 / 6
    assert p_inf < implied(model, "inflammatory_markers", "normal", {"diagnosis": "inflammatory_arthritis"})


def test_entering_both_signs_of_one_process_no_longer_multiplies_the_evidence(model):
    """A radiograph showing collapse and MRI collapse see one collapse: their joint likelihood ratio for
    osteonecrosis against transient BMES is smaller than the product of the two separate ratios (the naive count)."""
    ctx = {"joint": "hip", "age_group": "middle", "sex": "male"}

    def odds(ev):
        post = model.posterior({**ctx, **ev})
        return post["osteonecrosis"] / post["transient_bmes"]

    base = odds({})
    lr_x = odds({"xray": "fracture_or_collapse"}) / base
    lr_m = odds({"mri_collapse": "present"}) / base
    lr_both = odds({"xray": "fracture_or_collapse", "mri_collapse": "present"}) / base
    assert lr_both < 0.7 * lr_x * lr_m
    # the same for fever and the markers (one systemic response), in infection against transient BMES
    def odds_inf(ev):
        post = model.posterior({**ctx, **ev})
        return post["infection"] / post["transient_bmes"]

    b = odds_inf({})
    f, k = odds_inf({"fever": "yes"}) / b, odds_inf({"inflammatory_markers": "markedly_elevated"}) / b
    both = odds_inf({"fever": "yes", "inflammatory_markers": "markedly_elevated"}) / b
    assert both < 0.7 * f * k
