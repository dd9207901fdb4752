"""The model card: hand-written assumptions (one copy, in networks/MODEL_CARD.md) plus every parameter, generated."""

from __future__ import annotations

import numpy as np
from scipy import stats

from bmes_bayes.cli import main
from bmes_bayes.model_card import hand_written_card, model_card_text, parameter_rows

from ..conftest import ROOT

FIX = "run `bmes-bayes model-card --force` (writes reports/model_card.md)"


def test_stored_model_card_is_not_stale(model):
    stored = (ROOT / "reports" / "model_card.md").read_text(encoding="utf-8")
    assert stored == model_card_text(model), f"reports/model_card.md is stale: {FIX}"


def test_card_has_the_assumptions_once_and_every_parameter(model):
    text = model_card_text(model)
    prose = (ROOT / "networks" / "MODEL_CARD.md").read_text(encoding="utf-8").rstrip()
    assert hand_written_card(model) == (ROOT / "networks" / "MODEL_CARD.md").resolve()
    assert text.count(prose) == 1
    assert text.count("## What the structure assumes") == 1
    rows = parameter_rows(model)
    assert len(rows) == len(model.priors.parameters)
    table_rows = [line for line in text.splitlines() if line.startswith("| ") and "`priors/" in line]
    assert len(table_rows) == len(rows)
    for r, p in zip(rows, model.priors.parameters):
        assert r["provenance"], p.id
        assert r["where"].startswith("priors/") and f"`{r['where']}`" in text
    assert f"{len(rows)} parameters; {sum(p.provenance.expert_only for p in model.priors.parameters)} rest on" in text
    assert model.priors.digest in text and model.info.digest in text


def test_intervals_are_those_of_the_sampled_distributions(model):
    """The card's 95% intervals are the Beta / log-normal the sensitivity analysis draws from."""
    from bmes_bayes.spec import OddsRatioPrior, RowPrior

    rows = {p.id: (p, r) for p, r in zip(model.priors.parameters, parameter_rows(model))}
    p, r = rows["diagnosis: OR sex=female -> osteonecrosis"]
    assert isinstance(p, OddsRatioPrior)
    lo, hi = np.exp(np.log(p.median) + np.array([-1.959963984540054, 1.959963984540054]) * p.log_sd)
    assert r["value"] == "OR 0.6" and f"95%: {lo:.3g}-{hi:.3g}" in r["uncertainty"]
    assert "(stated range 0.4-0.9)" in r["uncertainty"]
    p, r = rows["pregnancy | sex=female, age_group=young"]
    assert isinstance(p, RowPrior) and p.focus == 1
    a = p.alpha
    lo, hi = stats.beta.ppf([0.025, 0.975], a[1], a.sum() - a[1])
    assert r["value"] == "late_or_postpartum 0.04" and f"late_or_postpartum {lo:.3g}-{hi:.3g}" in r["uncertainty"]
    fixed = [r for p, r in rows.values() if getattr(p, "fixed", False)]
    assert fixed and all(r["uncertainty"].startswith("fixed") for r in fixed)


def test_pipes_in_sources_do_not_break_the_tables(model):
    text = model_card_text(model)
    for line in text.splitlines():
        if line.startswith("| ") and "`priors/" in line:
            assert len([c for c in line.replace("\\|", "").split("|")]) == 7, line[:80]


def test_cli_model_card_writes_and_refuses_to_overwrite(tmp_path, capsys, model):
    out = tmp_path / "card.md"
    assert main(["model-card", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == model_card_text(model)
    assert main(["model-card", "-o", str(out)]) == 2
    assert "exists" in capsys.readouterr().err
    assert main(["model-card", "-o", str(out), "--force"]) == 0


def test_a_network_without_a_hand_written_card(toy):
    assert hand_written_card(toy) is None
    text = model_card_text(toy)
    assert text.splitlines()[2] == "# Model card: toy" and "## Every parameter" in text


def test_markup_in_the_model_files_reaches_the_card_as_text(tmp_path):
    """Issue 13: a prior's source, a description or a version holding HTML went into the Markdown as raw HTML."""
    import re
    import shutil

    import bmes_bayes

    from ..conftest import DATA

    shutil.copytree(DATA / "toy", tmp_path, dirs_exist_ok=True)
    net = tmp_path / "networks" / "toy.yaml"
    text = net.read_text(encoding="utf-8").replace('version: "1"', 'version: "1<b onmouseover=x>"')
    text = text.replace("description: Sex.", 'description: "Sex <img src=x onerror=alert(1)> <!-- hidden"')
    net.write_text(text + 'description: "A toy <script>alert(1)</script> network"\n', encoding="utf-8")
    priors = tmp_path / "priors" / "toy.yaml"
    priors.write_text(priors.read_text(encoding="utf-8").replace(
        'range: [0.4, 0.6], source: "toy"', 'range: [0.4, 0.6], source: "<a href=javascript:x>toy</a> <35 y"'),
        encoding="utf-8")
    card = model_card_text(bmes_bayes.load_model(tmp_path))
    body = card.split("\n", 1)[1]  # after the card's own generated-file comment
    assert not re.search(r"<[A-Za-z!/]", body), re.findall(r".{20}<[A-Za-z!/].{20}", body)
    for shown in ("&lt;script>alert(1)&lt;/script>", "&lt;img src=x onerror=alert(1)>", "&lt;!-- hidden",
                  "&lt;a href=javascript:x>toy&lt;/a> &lt;35 y", "1&lt;b onmouseover=x>"):
        assert shown in body


def test_a_fresh_card_says_it_is_generated_and_by_what(toy):
    first = model_card_text(toy).splitlines()[0]
    assert first.startswith("<!-- Generated by `bmes-bayes model-card`") and "Do not edit" in first
