"""Every result says which model produced it (name, network version, package version and a hash of the network
and prior files); the same seed gives bit-identical sensitivity results across processes and whatever the order of
the evidence."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bmes_bayes

from .conftest import DATA, ROOT


def _identity(info) -> tuple:
    return info.name, info.network_version, info.package_version, info.digest


def test_every_result_records_the_model(model, toy):
    for m in (model, toy):
        post = m.posterior({}, target=m.network.names[0])
        res = m.uncertainty({}, target=m.network.names[0], n_samples=10, seed=0)
        for info in (post.model, res.model):
            assert info == m.info
            assert info.name == m.network.name and info.network_version == m.network.version
            assert info.package_version == bmes_bayes.__version__
            assert re.fullmatch(r"[0-9a-f]{64}", info.digest)
            assert info.digest[:12] in info.short
        assert m.info.digest[:12] in str(post) and m.info.digest[:12] in post.to_html()
        assert m.info.digest[:12] in str(res) and m.info.digest[:12] in res.to_html()


def test_the_digest_follows_the_files_not_their_location(tmp_path):
    """Same bytes anywhere: same digest. Any edit of a prior or of the network, or another prior file: a new one."""
    a, b = tmp_path / "a", tmp_path / "b" / "nested"
    shutil.copytree(DATA / "toy", a)
    shutil.copytree(DATA / "toy", b)
    load = lambda root: bmes_bayes.load_model(root / "networks" / "toy.yaml")  # noqa: E731
    base = load(a).info
    assert _identity(load(b).info) == _identity(base)

    prior = b / "priors" / "toy.yaml"
    original = prior.read_text(encoding="utf-8")
    prior.write_text(original.replace("concentration: 10,", "concentration: 11,"), encoding="utf-8")
    edited = load(b)
    assert edited.info.digest != base.digest
    assert edited.info.network_version == base.network_version          # the version alone would not tell
    assert edited.posterior({}, target="risk").model.digest == edited.info.digest
    prior.write_text(original, encoding="utf-8")
    assert load(b).info.digest == base.digest

    net = b / "networks" / "toy.yaml"
    net_text = net.read_text(encoding="utf-8")
    net.write_text(net_text.replace("description: Sex.", "description: Sex at birth."), encoding="utf-8")
    assert load(b).info.digest != base.digest
    net.write_text(net_text, encoding="utf-8")

    (b / "priors" / "zz-extra.yaml").write_text("nodes: {}\n", encoding="utf-8")
    assert load(b).info.digest != base.digest


def test_the_cli_reports_the_model_identity(capsys, model):
    from bmes_bayes.cli import main

    assert main(["query", "--json", "joint=hip", "--samples", "5", "--seed", "3"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["model"] == {"name": model.info.name, "version": model.info.network_version,
                            "package_version": model.info.package_version, "digest": model.info.digest}
    assert out["uncertainty"]["seed"] == 3


SCRIPT = """
import hashlib, sys
import bmes_bayes

model = bmes_bayes.load_model()
evidence = {"joint": "hip", "sex": "male", "age_group": "middle", "corticosteroids": "yes",
            "mri_necrotic_segment": "present", "fever": [0.3, 0.7]}
if sys.argv[1] == "reversed":
    evidence = dict(reversed(list(evidence.items())))
res = model.uncertainty(evidence, n_samples=600, seed=2024, progress=False)
digest = hashlib.sha256(res.samples.tobytes() + res.point.tobytes() + res.to_frame().to_csv().encode())
print(digest.hexdigest(), res.model.digest)
"""


def _digest(res) -> str:
    return hashlib.sha256(res.samples.tobytes() + res.point.tobytes() + res.to_frame().to_csv().encode()).hexdigest()


def test_same_seed_bit_identical_across_processes_and_evidence_order(model):
    """Four processes (two hash seeds, two evidence orders) and this one: one SHA-256 of the sample arrays."""
    runs = []
    for hash_seed, order in (("1", "forward"), ("2", "reversed"), ("3", "forward"), ("4", "reversed")):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        runs.append(subprocess.Popen([sys.executable, "-c", SCRIPT, order], cwd=ROOT, env=env, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    outputs = []
    for proc in runs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        outputs.append(out.split())
    evidence = {"joint": "hip", "sex": "male", "age_group": "middle", "corticosteroids": "yes",
                "mri_necrotic_segment": "present", "fever": [0.3, 0.7]}
    here = model.uncertainty(evidence, n_samples=600, seed=2024, progress=False)
    assert {tuple(o) for o in outputs} == {(_digest(here), model.info.digest)}


@settings(max_examples=20)
@given(order=st.permutations(["sex", "pregnant", "risk", "sign", "test"]), seed=st.integers(0, 2**32))
def test_evidence_order_never_changes_a_seeded_result(toy, order, seed):
    evidence = {"sex": "female", "pregnant": "no", "risk": [0.4, 0.6], "sign": "high", "test": {"neg": 0.2, "pos": 0.9}}
    reference = toy.uncertainty(evidence, target="disease", n_samples=64, seed=seed)
    shuffled = toy.uncertainty({k: evidence[k] for k in order}, target="disease", n_samples=64, seed=seed)
    assert np.array_equal(reference.samples, shuffled.samples) and np.array_equal(reference.point, shuffled.point)
    assert reference.evidence == shuffled.evidence and list(reference.evidence) == list(toy.resolve(evidence).labels)


def test_seed_forms_and_prefix_stability(toy):
    """seed=0 is a real seed; an int and a fresh Generator from it agree; fewer draws are a prefix of more."""
    ev = {"sign": "high"}
    a = toy.uncertainty(ev, target="disease", n_samples=700, seed=0)
    b = toy.uncertainty(ev, target="disease", n_samples=700, seed=0)
    c = toy.uncertainty(ev, target="disease", n_samples=700, seed=np.random.default_rng(0))
    short = toy.uncertainty(ev, target="disease", n_samples=300, seed=0)
    assert np.array_equal(a.samples, b.samples) and np.array_equal(a.samples, c.samples)
    assert np.array_equal(short.samples, a.samples[:300])
    assert a.seed == 0 and not np.array_equal(a.samples, toy.uncertainty(ev, target="disease", n_samples=700,
                                                                          seed=1).samples)


@pytest.mark.parametrize("seed", [-1, 1.5, "7", True])
def test_bad_seeds_are_refused(toy, seed):
    with pytest.raises(bmes_bayes.BmesError, match="seed"):
        toy.uncertainty({}, target="disease", n_samples=5, seed=seed)


def test_the_alert_set_is_part_of_the_model_identity(model, tmp_path):
    """Alerts change what every Posterior reports, so another alert file must give another digest."""
    from bmes_bayes.model import default_paths

    text = (default_paths()[1] / "teaching" / "cant_miss.yaml").read_text(encoding="utf-8")
    changed = tmp_path / "cant_miss.yaml"
    changed.write_text(text.replace("threshold: 0.01", "threshold: 0.02", 1), encoding="utf-8")
    other = model.with_alerts(changed)
    assert other.info.digest != model.info.digest
    assert other.posterior({"joint": "hip"}).model.digest == other.info.digest
    assert model.with_alerts(default_paths()[1] / "teaching" / "cant_miss.yaml").info.digest == model.info.digest
