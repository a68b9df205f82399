#!/usr/bin/env python3
"""Renders the sandbox-corpus section of docs/VALIDATION.md from the reports and comparisons validation.sh made.
The section sits between two marker comments; the rest of the file (other engineers' sections) is left as it is."""
import glob, gzip, json, os, sys

BEGIN, END = "<!-- sandbox-corpus:begin (scripts/validation.sh) -->", "<!-- sandbox-corpus:end -->"

# Why a sandbox signature's technique is not in Alkanet's report: what the signature looks at.
WHY = {
    "antidebug_setunhandledexceptionfilter": "a user-mode API (SetUnhandledExceptionFilter) with no system call of its own",
    "invalid_authenticode_signature": "a static property of the file, not behaviour",
    "packer_unknown_pe_section_name": "static PE analysis", "packer_entropy": "static PE analysis",
    "static_pe_anomaly": "static PE analysis", "procmem_yara": "YARA on memory dumps",
    "powershell_scriptblock_logging": "PowerShell's own event log, not system calls",
    "http_request": "HTTP requests seen in user-mode WinINet calls/pcap", "network_cnc_https_generic": "network payload analysis",
    "antisandbox_unhook": "user-mode hook tampering (invisible to a tracer that hooks nothing in the guest)",
    "infostealer_browser": "file reads of browser stores: no rule yet", "dynamic_function_loading": "GetProcAddress (user mode)",
    "enumerates_running_processes": "Process32Next (user mode)", "process_interest": "Process32Next (user mode)",
    "process_needed": "Process32Next (user mode)", "createtoolhelp32snapshot_module_enumeration": "user-mode enumeration",
    "injection_network_traffic": "network traffic of an injected process: no rule yet", "dropper": "no rule yet for this CAPE heuristic",
    "persistence_autorun": "Run key: reported as T1547.001 (CAPE's T1060 is its deprecated id)",
    "encrypt_pcinfo": "CryptEncrypt (user mode)", "terminates_remote_process": "reported as process_terminate, no rule",
    "antivm_generic_system": "registry probing of VM keys: no rule yet", "stealth_network": "no rule yet",
    "antisandbox_sleep": "long sleeps are reported as T1497.003", "antivm_network_adapters": "user-mode adapter queries",
    "accesses_public_folder": "no rule yet", "spreading_autoruninf": "no rule yet",
}
# ATT&CK ids CAPE still emits that MITRE revoked or deprecated, with their current id (attack.mitre.org).
REVOKED = {"T1060": "T1547.001", "T1089": "T1562.001", "T1086": "T1059.001", "T1064": "T1059", "T1045": "T1027.002",
           "T1116": "T1553.002", "T1081": "T1552.001", "T1093": "T1055.012", "T1088": "T1548.002"}


def cape_ttps(path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rep = json.load(f)
    ttps = rep.get("ttps") or []
    pairs = []
    if isinstance(ttps, dict):
        pairs = [(k, v) for k, v in ttps.items()]
    for t in ttps if isinstance(ttps, list) else []:
        if "ttp" in t:
            pairs.append((t["ttp"], t.get("signature", "")))
        for x in t.get("ttps", []):
            pairs.append((x, t.get("signature", "")))
    return [(t, s) for t, s in pairs if t.startswith("T")], rep.get("target", {}).get("file", {}).get("name", "?")


def found(ttp, ours):
    want = REVOKED.get(ttp, ttp)
    return any(o == want or o.startswith(want + ".") or want.startswith(o + ".") and "." in want for o in ours)


def main(work, doc):
    rows, misses = [], []
    for inp in sorted(glob.glob(os.path.join(work, "*.input"))):
        ident = os.path.basename(inp)[:-6]
        src = open(inp).read().strip()
        rep = json.load(open(os.path.join(work, ident + ".report.json")))
        ours = sorted({t["id"] for f in rep["findings"] for t in f["attack"]})
        names = ", ".join(n["name"] for n in rep["sample"].get("names", [])) or "?"
        procs, calls = len(rep["processes"]), rep["input"]["calls"]
        cmp_path = os.path.join(work, ident + ".compare.json")
        cats, recall_t = "", "-"
        if os.path.exists(cmp_path):
            comp = json.load(open(cmp_path))
            cats = "; ".join(
                f"{c['category']} {pct(c.get('precision'))}/{pct(c.get('recall'))}"
                for c in comp["categories"] if c["matched"] or c["missed"])
            ttps, _ = cape_ttps(src)
            distinct = sorted({t for t, _ in ttps})
            hit = [t for t in distinct if found(t, ours)]
            recall_t = f"{len(hit)}/{len(distinct)}" if distinct else "no TTPs"
            for t in distinct:
                if t not in hit:
                    sigs = sorted({s for x, s in ttps if x == t})
                    misses.append((ident[:12], t, ", ".join(sigs), "; ".join(sorted({WHY.get(s, "no rule yet") for s in sigs}))))
        kind = "DRAKVUF" if "drakvuf" in src else "CAPE"
        rows.append(f"| `{ident[:12]}` | {kind} | {names} | {procs} | {calls:,} | {', '.join(ours) or '-'} | {recall_t} | {cats or '-'} |")
    out = [BEGIN, "", "## Real sandbox outputs (CAPE, DRAKVUF)", "",
           "Made by `scripts/validation.sh` from the public sandbox outputs in `tests/corpus/` (sources and licences in its",
           "README) and the two CAPE reports of the Analysis fixtures. Per output: the sample as the report names it, processes",
           "(one per lifetime) and calls read, the ATT&CK techniques of Alkanet's findings, the recall of the sandbox's own",
           "TTPs (a sub-technique counts for its technique; CAPE's revoked ids are taken as their current ones), and",
           "`alkanet compare` precision/recall per category (`category precision/recall`) against CAPE's `behavior.summary`.",
           "CAPE's summary covers every monitored process (services, updaters) while Alkanet reports the sample's",
           "processes, so recall below 100 % is mostly other processes' behaviour.", "",
           "| output | from | sample | processes | calls | Alkanet's techniques | sandbox TTP recall | compare (precision/recall) |",
           "|---|---|---|---|---|---|---|---|", *rows, "", "### Sandbox techniques Alkanet missed, and why", "",
           "| output | technique | sandbox signature(s) | why |", "|---|---|---|---|",
           *[f"| `{a}` | {b} | {c} | {d} |" for a, b, c, d in misses], "", END]
    text = open(doc).read() if os.path.exists(doc) else "# Validation\n"
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + "\n".join(out) + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(out) + "\n"
    open(doc, "w").write(text)


def pct(v):
    return "-" if v is None else f"{v * 100:.0f}%"


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
