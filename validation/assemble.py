"""Assemble the validation case set from the finders' files, and the coders' packets from it.

Run from the project root:

    python validation/assemble.py keys      # work/<stratum>.yaml -> cases.yaml (ids, split) + work/coding/packet-N.yaml
    python validation/assemble.py coded     # work/coded/packet-N.yaml -> coded.yaml

The case id is the first 10 hex digits of sha256("<url or source>#<patient>"), so it depends on where the case
was published and which patient it is, never on its content or diagnosis; the split follows from the id by the
protocol's rule (bmes_bayes.validation.split_of). Coding packets hold only ids and vignettes, shuffled across
strata with a fixed seed, so a coder cannot tell a case's stratum from its place in a packet.
"""

from __future__ import annotations

import hashlib
import random
import re
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from bmes_bayes.validation import split_of  # noqa: E402

ORDER = ("id", "source", "url", "patient", "source_type", "reported_diagnosis", "diagnosis", "acceptable",
         "reference_standard", "presentation", "presentation_reason", "joint", "age_years", "split", "vignette")
N_PACKETS = 4


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper, data):
    # ids are hex digits, which a YAML 1.2 reader may take for a number ("08644690e4"): always quote them
    style = ">" if len(data) > 100 else ("'" if re.fullmatch(r"[0-9a-f]{10}", data) else None)
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str)


def case_id(item: dict) -> str:
    where = str(item.get("url") or item["source"]).strip()
    return hashlib.sha256(f"{where}#{str(item.get('patient', '')).strip()}".encode()).hexdigest()[:10]


def keys() -> None:
    cases, seen = [], set()
    for f in sorted((HERE / "work").glob("*.yaml")):
        for item in yaml.safe_load(f.read_text()) or []:
            cid = case_id(item)
            if cid in seen:
                print(f"duplicate dropped: {cid} {item.get('source')!r} ({f.name})")
                continue
            seen.add(cid)
            item = {k: v for k, v in item.items() if v is not None}
            item["id"], item["split"] = cid, split_of(cid)
            item.setdefault("acceptable", [])
            extra = [k for k in item if k not in ORDER]
            if extra:
                print(f"{cid}: dropped unknown keys {extra}")
            cases.append({k: item[k] for k in ORDER if k in item})
    cases.sort(key=lambda c: c["id"])
    head = ("# Validation cases: the key (source, reference-standard diagnosis, split) and the findings-only vignette.\n"
            "# Built by validation/assemble.py from the finders' files; see PROTOCOL.md. Coders never saw this file.\n")
    (HERE / "cases.yaml").write_text(head + yaml.dump(cases, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110))
    # packets: only cases not yet in a packet (cases found later are coded in a later batch of packets)
    out = HERE / "work" / "coding"
    out.mkdir(parents=True, exist_ok=True)
    done = set()
    for f in out.glob("packet-*.yaml"):
        done |= {c["id"] for c in yaml.safe_load(f.read_text()) or []}
    packets = [{"id": c["id"], "vignette": c["vignette"]} for c in cases if c["id"] not in done]
    random.Random(20261130 + len(done)).shuffle(packets)
    first = len(list(out.glob("packet-*.yaml"))) + 1
    n = min(N_PACKETS, max(1, len(packets) // 12)) if packets else 0
    for i in range(n):
        part = packets[i::n]
        (out / f"packet-{first + i}.yaml").write_text(yaml.dump(part, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110))
        print(f"packet-{first + i}: {len(part)} vignettes")
    by = {}
    for c in cases:
        by.setdefault(c["diagnosis"], []).append(c)
    for d, cs in sorted(by.items()):
        joints = {j: sum(c.get("joint") == j for c in cs) for j in ("hip", "knee", "ankle_foot")}
        atyp = sum(c["presentation"] == "atypical" for c in cs)
        halves = sum(c["split"] == "frozen" for c in cs)
        print(f"{d:36s} {len(cs):3d}  {joints}  atypical {atyp}  frozen {halves}")
    print(f"{len(cases)} cases")


SITES = ("subchondral", "epiphyseal", "metaphyseal", "diaphyseal")


def derived(item: dict) -> dict:
    """Variables added to the vocabulary after the first coding, filled mechanically from the coders' own ``extra``
    facts (CODING_MANUAL.md, "Variables derived from extra"); the diagnosis is never consulted."""
    ev, extra = dict(item.get("evidence") or {}), item.get("extra") or {}
    site = str(extra.get("edema_site", "")).strip()
    if site in SITES and "mri_edema_site" not in ev:
        ev["mri_edema_site"] = site
    dose = str(extra.get("steroid_dose", "")).strip()
    if ev.get("corticosteroids") == "yes" and dose in ("low", "high") and "corticosteroid_dose" not in ev:
        ev["corticosteroid_dose"] = dose
    return {**item, "evidence": ev}


def coded() -> None:
    items = []
    for f in sorted((HERE / "work" / "coded").glob("*.yaml")):
        items += yaml.safe_load(f.read_text()) or []
    items = [derived(c) for c in items]
    items.sort(key=lambda c: c["id"])
    head = ("# Evidence coded from each vignette by coders blind to the diagnosis (CODING_MANUAL.md).\n"
            "# Built by validation/assemble.py from the coders' packets.\n")
    (HERE / "coded.yaml").write_text(head + yaml.dump(items, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110))
    print(f"{len(items)} coded cases")


if __name__ == "__main__":
    {"keys": keys, "coded": coded}[sys.argv[1]]()
