#!/usr/bin/env python3
"""Copies technique ids, names and tactics from MITRE's ATT&CK Enterprise STIX bundle into techniques.json.
Usage: python3 data/attack/extract.py /work/shared/reference/attack/enterprise-attack-patterns-and-tactics.json.gz"""
import gzip, json, sys
bundle = json.load(gzip.open(sys.argv[1]))
out = {}
for o in bundle["objects"]:
    if o.get("type") != "attack-pattern" or o.get("revoked") or o.get("x_mitre_deprecated"):
        continue
    ref = next((r for r in o.get("external_references", []) if r.get("source_name") == "mitre-attack"), None)
    if not ref:
        continue
    out[ref["external_id"]] = {
        "name": o["name"],
        "tactics": sorted(p["phase_name"] for p in o.get("kill_chain_phases", []) if p.get("kill_chain_name") == "mitre-attack"),
    }
json.dump(dict(sorted(out.items())), open(sys.argv[2] if len(sys.argv) > 2 else "techniques.json", "w"), indent=0, sort_keys=True)
