#!/usr/bin/env python3
"""Trims a CAPE report.json(.gz) for the validation corpus: keeps what Alkanet and the validation read (info, target,
behavior, signatures, ttps, network, dropped's names) and drops the bulky sections it never reads (procmemory, strings,
static, suricata, virustotal, CAPE payloads, debug logs, screenshots...). Every call of behavior.processes stays, with
the fields an importer reads.
Usage: corpus-trim.py IN OUT.json.gz"""
import gzip, json, sys

CALL_FIELDS = ("timestamp", "thread_id", "category", "api", "status", "return", "arguments")
KEEP = {"info", "target", "behavior", "signatures", "ttps", "network", "dropped", "malfamily_tag", "malscore"}

def main(src, dst):
    opener = gzip.open if src.endswith(".gz") else open
    with opener(src, "rt", encoding="utf-8") as f:
        report = json.load(f)
    trimmed = {k: v for k, v in report.items() if k in KEEP}
    if isinstance(trimmed.get("dropped"), list):  # names and paths only: the payloads' strings and yara hits are bulky
        trimmed["dropped"] = [{k: d.get(k) for k in ("name", "path", "guest_paths", "pids", "sha256", "size", "type") if k in d}
                              for d in trimmed["dropped"] if isinstance(d, dict)]
    if isinstance(trimmed.get("target"), dict) and isinstance(trimmed["target"].get("file"), dict):
        f = trimmed["target"]["file"]
        trimmed["target"]["file"] = {k: f.get(k) for k in ("name", "path", "sha256", "size", "type", "guest_paths") if k in f}
    behavior = trimmed.get("behavior", {})
    behavior.pop("encryptedbuffers", None)
    for proc in behavior.get("processes", []):  # per call only the fields an importer reads (no caller addresses)
        proc["calls"] = [{k: c[k] for k in CALL_FIELDS if k in c} for c in proc.get("calls", []) if isinstance(c, dict)]
    with gzip.open(dst, "wt", encoding="utf-8", compresslevel=9) as f:
        json.dump(trimmed, f, separators=(",", ":"))

if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
