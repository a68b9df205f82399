"""Prints bench/all.sh's table (Markdown) from its raw results.

Usage: python3 table.py RESULTS.tsv OUT_DIR ROUNDS
RESULTS.tsv rows: config round workload metric value load1 (bench/all.sh's measure()). OUT_DIR may hold windows.log,
logger.log and report.log (the outputs of bench/live-windows-synthetic.sh, bench/logging-throughput.sh and
bench/report-perf.sh); a part whose log is absent was skipped. Every ratio is taken within one round (the configurations
of a round ran back to back), then summarised as median (min-max) over the rounds."""
import re
import statistics
import sys
from collections import defaultdict
from pathlib import Path

WORKLOADS = {
    "getppid": "getppid loop",
    "openread": "open/read/close loop",
    "spawn": "process storm: 100 × fork+exec via sh",
    "files": "file churn: 50 × create, write, read, rename, delete",
    "walk": "directory walk: find + ls -lR of 1,000 files",
    "dd": "dd bs=512 count=2000",
}


def fail(message):
    sys.exit(f"table.py: {message}")


def load_results(path):
    """{(config, workload, metric): {round: value}} and {config: [load1...]}."""
    values, loads = defaultdict(dict), defaultdict(list)
    for no, line in enumerate(Path(path).read_text().splitlines(), 1):
        parts = line.split("\t")
        if len(parts) != 6:
            fail(f"{path}, line {no}: expected 6 tab-separated fields, got {len(parts)}")
        config, rnd, workload, metric, value, load = parts
        try:
            values[(config, workload, metric)][int(rnd)] = float(value)
            loads[config].append(float(load))
        except ValueError:
            fail(f"{path}, line {no}: a round, value or load is not a number: {line!r}")
    return values, loads


def summary(xs, fmt="{:,.0f}"):
    if not xs:
        return "–"
    med = statistics.median(xs)
    if len(xs) == 1:
        return fmt.format(med)
    return f"{fmt.format(med)} ({fmt.format(min(xs))}–{fmt.format(max(xs))})"


def per_round(values, key_a, key_b, op):
    """op(a, b) for every round both keys have."""
    a, b = values.get(key_a, {}), values.get(key_b, {})
    return [op(a[r], b[r]) for r in sorted(a) if r in b and b[r] > 0]


def load_range(loads, configs):
    xs = [x for c in configs for x in loads.get(c, [])]
    return f"{min(xs):.1f}–{max(xs):.1f}" if xs else "–"


def linux_tables(values, loads, configs):
    peers = [c for c in ("alkanet", "decode", "strace", "perf") if c in configs]
    names = {"alkanet": "Alkanet (C# TCG plugin)", "decode": "Alkanet, decode stage (not written)", "strace": "strace -f",
             "perf": "perf trace"}
    kvm = "kvm" in configs
    print("\n### Linux: cost per system call (guest-measured ns per call; added = traced − untraced, same round)\n")
    head = ["loop", "native host", "untraced guest (TCG)"] + (["untraced guest (KVM)"] if kvm else [])
    head += [f"{names[p]}: added" for p in peers] + ["load (1 min)"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    added = {}
    for w in ("getppid", "openread"):
        row = [WORKLOADS[w]]
        for c in ["native", "untraced"] + (["kvm"] if kvm else []):
            row.append(summary(list(values.get((c, w, "ns_per_call"), {}).values())))
        for p in peers:
            xs = per_round(values, (p, w, "ns_per_call"), ("untraced", w, "ns_per_call"), lambda a, b: a - b)
            added[(p, w)] = xs
            row.append(f"+{summary(xs)}" if xs else "–")
        row.append(load_range(loads, configs))
        print("| " + " | ".join(row) + " |")
    print("\n### Linux: workloads (seconds inside the machine; × = slowdown against the untraced guest, same round)\n")
    head = ["workload", "native host s", "untraced guest (TCG) s", "emulator cost: TCG ÷ native"]
    head += ["KVM ÷ native"] if kvm else []
    head += [f"{names[p]} ×" for p in peers] + ["load (1 min)"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    emulator = []
    for w in WORKLOADS:
        if w in ("getppid", "openread"):
            continue  # their wall time is dominated by the loop length, which differs under a peer
        key = lambda c: (c, w, "seconds")
        row = [WORKLOADS[w], summary(list(values.get(key("native"), {}).values()), "{:.3f}"),
               summary(list(values.get(key("untraced"), {}).values()), "{:.2f}")]
        e = per_round(values, key("untraced"), key("native"), lambda a, b: a / b)
        emulator += e
        row.append(f"{summary(e, '{:.0f}')}×")
        if kvm:
            row.append(f"{summary(per_round(values, key('kvm'), key('native'), lambda a, b: a / b), '{:.1f}')}×")
        for p in peers:
            row.append(f"{summary(per_round(values, key(p), key('untraced'), lambda a, b: a / b), '{:.1f}')}×")
        row.append(load_range(loads, configs))
        print("| " + " | ".join(row) + " |")
    records = list(values.get(("alkanet", "boot", "records"), {}).values())
    lost = list(values.get(("alkanet", "boot", "lost"), {}).values())
    if records:
        print(f"\nAlkanet records per traced boot (boot, workloads, power-off): {summary(records)}, lost {summary(lost)}.")
    return added, emulator


def windows_rows():
    text = read_part("windows.log")
    if text is None:
        return None
    def runs(config):
        m = re.search(rf"^{config}: median \d+ ns per call .*all: ([\d ]+)\)", text, re.M)
        return [float(x) for x in m.group(1).split()] if m else []
    un, tr = runs("untraced"), runs("traced")
    load = re.search(r"load average during the run: ([\d.]+ [\d.]+ [\d.]+)", text)
    if not un or not tr:
        print("\nSynthetic Windows guest: its output was not understood; see windows.log.")
        return None
    added = [t - u for u, t in zip(un, tr)]
    print("\n### Synthetic Windows guest (bench/live-windows-synthetic.sh: the sample's 25-call round, guest pace per call)\n")
    print("| untraced ns/call | traced ns/call | added ns/call (same run) | load at end (1, 5, 15 min) |")
    print("|---|---|---|---|")
    print(f"| {summary(un)} | {summary(tr)} | +{summary(added)} | {load.group(1) if load else '–'} |")
    return added


def logger_rows():
    text = read_part("logger.log")
    if text is None:
        return None
    rates = [float(x) for x in re.findall(r"acknowledged in [\d.]+ s \((\d+) records/s\)", text)]
    cpu = re.search(r"logger: [\d.]+ s CPU = ([\d.]+) us per record", text)
    lat = re.search(r"p50 (\d+) ms, p95 (\d+) ms", text)
    load = re.search(r"load average ([\d.]+ [\d.]+ [\d.]+)", text)
    print("\n### Logger (bench/logging-throughput.sh: one tracer, acknowledged = durable)\n")
    print("| records/s, one client | logger CPU per record (= records/s per logger core) | kept at 500 k/s offered "
          "| newest visible p50 / p95 | load (1, 5, 15 min) |")
    print("|---|---|---|---|---|")
    cpu_cell = f"{cpu.group(1)} µs (= {1e6 / float(cpu.group(1)):,.0f}/s)" if cpu else "–"
    kept = f"{rates[1]:,.0f}/s" if len(rates) > 1 else "–"
    lat_cell = f"{lat.group(1)} / {lat.group(2)} ms" if lat else "–"
    if rates:
        print(f"| {rates[0]:,.0f} | {cpu_cell} | {kept} | {lat_cell} | {load.group(1) if load else '–'} |")
    else:
        print("| not understood; see logger.log | | | | |")
    return (rates[0] if rates else None, int(lat.group(2)) if lat else None)


def report_rows():
    text = read_part("report.log")
    if text is None:
        return None
    row = r"{}: ([\d.]+) s wall, ([\d,]+) records/s; CPU [\d.+]+ s = ([\d,]+) records per CPU-second"
    num = lambda x: float(x.replace(",", ""))
    alk = [(num(w), num(c)) for _, w, c in re.findall(row.format(r"alkanet report run \d+"), text)]
    jq = re.search(row.format(r"jq \(calls per process\)"), text)
    load = re.search(r"load average before: ([\d.]+ [\d.]+ [\d.]+)", text)
    jqw, jqc = (num(jq.group(2)), num(jq.group(3))) if jq else (None, None)
    print("\n### Report (bench/report-perf.sh: one core, taskset -c 0; wall rate and rate per CPU-second)\n")
    print("| alkanet report records/s (wall) | per CPU-second | jq records/s (wall) | jq per CPU-second | alkanet ÷ jq (CPU) "
          "| load before (1, 5, 15 min) |")
    print("|---|---|---|---|---|---|")
    ratio = [c / jqc for _, c in alk] if jqc else []
    print(f"| {summary([w for w, _ in alk])} | {summary([c for _, c in alk])} | {f'{jqw:,.0f}' if jqw else '–'} | "
          f"{f'{jqc:,.0f}' if jqc else '–'} | {summary(ratio, '{:.1f}')}× | {load.group(1) if load else '–'} |")
    return (statistics.median([c for _, c in alk]) if alk else None, statistics.median(ratio) if ratio else None)


OUT = Path(".")


def read_part(name):
    p = OUT / name
    return p.read_text(errors="replace") if p.exists() else None


def goal(name, value, ok, target):
    state = "–" if value is None or ok is None else ("met" if ok else "missed")
    print(f"| {name} | {target} | {value if value is not None else 'not measured'} | {state} |")


def main():
    global OUT
    if len(sys.argv) != 4:
        fail("usage: python3 table.py RESULTS.tsv OUT_DIR ROUNDS")
    OUT = Path(sys.argv[2])
    values, loads = load_results(sys.argv[1])
    configs = sorted({k[0] for k in values})
    if "untraced" not in configs:
        fail(f"{sys.argv[1]}: no untraced rows, nothing to compare against")
    added, emulator = linux_tables(values, loads, configs)
    win = windows_rows()
    log = logger_rows()
    rep = report_rows()
    print("\n### Goals of issue 11 (medians of this run)\n")
    print("| goal | target | measured | state |")
    print("|---|---|---|---|")
    g = added.get(("alkanet", "getppid"), [])
    goal("Linux getppid, added per call", f"{statistics.median(g):,.0f} ns" if g else None,
         bool(g) and statistics.median(g) <= 500 and max(g) <= 1000, "≤ 500 ns median, no round above 1 µs")
    if g:
        print(f"| | | rounds: {', '.join(f'{x:,.0f}' for x in g)} ns | |")
    d = added.get(("decode", "getppid"), [])
    goal("Linux getppid, decode stage alone, added per call", f"{statistics.median(d):,.0f} ns" if d else None,
         bool(d) and statistics.median(d) <= 250, "≤ 250 ns")
    o = added.get(("alkanet", "openread"), [])
    goal("Linux open/read/close, added per call (decoded)", f"{statistics.median(o):,.0f} ns" if o else None, None, "(no goal)")
    goal("synthetic Windows, added per call", f"{statistics.median(win):,.0f} ns" if win else None,
         bool(win) and statistics.median(win) <= 1000, "≤ 1,000 ns")
    goal("logger, records/s one client", f"{log[0]:,.0f}" if log and log[0] else None, bool(log and log[0] and log[0] >= 1e6),
         "≥ 1,000,000/s")
    p95 = log[1] if log else None
    goal("logger, newest record visible p95 at 500 k/s", f"{p95} ms" if p95 is not None else None, p95 is not None and p95 < 250,
         "< 250 ms")
    goal("report, records per CPU-second on one core", f"{rep[0]:,.0f}" if rep and rep[0] else None, bool(rep and rep[0] and rep[0] >= 1.5e6),
         "≥ 1,500,000/s")
    goal("report ÷ jq per CPU-second, same run", f"{rep[1]:.1f}×" if rep and rep[1] else None, bool(rep and rep[1] and rep[1] >= 10), "≥ 10×")
    if emulator:
        print(f"\nEmulator cost over all workloads: the untraced TCG guest took {summary(emulator, '{:.0f}')}× the host's native time.")


if __name__ == "__main__":
    main()
