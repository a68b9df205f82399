#!/usr/bin/env python3
"""Generates a synthetic Alkanet log for `alkanet report` benchmarks: N records (ENTER/EXIT pairs) from ~40 busy
Windows processes (waits, file and registry traffic, handles opened and closed), with one sample that drops a file,
sets a Run key and injects into explorer.exe through handles. Deterministic (seeded).
Usage: python3 bench/report-gen.py RECORDS OUT.jsonl"""
import json, random, sys

n_records = int(sys.argv[1]); out = open(sys.argv[2], "w")
rnd = random.Random(42)
procs = [(0x100 + 4 * i, f"proc{i:02}.exe") for i in range(40)]
procs[0] = (0x100, "explorer.exe")
calls = [  # name, sys_no, weight, enter info, exit info
    ("NtWaitForSingleObject", "4", 30, lambda: {"handle": f"{rnd.randrange(4, 400, 4):x}"}, lambda: {}),
    ("NtReadFile", "6", 12, lambda: {"file_handle": f"{rnd.randrange(4, 400, 4):x}", "object_name": f"\\Device\\HarddiskVolume2\\Windows\\System32\\f{rnd.randrange(300)}.dll"}, lambda: {}),
    ("NtCreateFile", "55", 8, lambda: {"file_name": f"0\\??\\C:\\Windows\\System32\\f{rnd.randrange(300)}.dll", "desired_access": "80100080", "desired_access_names": "FILE_READ_ATTRIBUTES|SYNCHRONIZE|GENERIC_READ", "create_disposition": "1"}, lambda: {"out_handle": f"{rnd.randrange(4, 400, 4):x}"}),
    ("NtQueryValueKey", "17", 10, lambda: {"key_handle": f"{rnd.randrange(4, 400, 4):x}", "object_name": f"\\REGISTRY\\MACHINE\\SOFTWARE\\Vendor{rnd.randrange(50)}", "value_name": f"V{rnd.randrange(20)}"}, lambda: {}),
    ("NtClose", "f", 15, lambda: {"handle": f"{rnd.randrange(4, 400, 4):x}"}, lambda: {}),
    ("NtAllocateVirtualMemory", "18", 8, lambda: {"process_handle": "ffffffffffffffff", "region_size": "1000", "protect": "4"}, lambda: {"base_address": f"{rnd.randrange(1 << 40):x}"}),
    ("NtDeviceIoControlFile", "7", 5, lambda: {"file_handle": f"{rnd.randrange(4, 400, 4):x}", "ioctl": "12017"}, lambda: {}),
    ("NtOpenKey", "12", 6, lambda: {"key_name": f"0\\REGISTRY\\MACHINE\\SOFTWARE\\Vendor{rnd.randrange(50)}", "desired_access": "20019"}, lambda: {"out_handle": f"{rnd.randrange(4, 400, 4):x}"}),
    ("NtQueryInformationProcess", "19", 6, lambda: {"process_handle": "ffffffffffffffff", "info_class": "0", "info_class_name": "ProcessBasicInformation"}, lambda: {}),
]
weights = [c[2] for c in calls]
no = 0
ts = 1_700_000_000_000_000_000

def emit(lt, pid, tid, pname, name, sysno, ret, info):
    global no, ts
    no += 1; ts += 1000
    out.write(json.dumps({"no": no, "cpu_id": no & 1, "logtype": lt, "proc_pid": f"{pid:x}", "proc_tid": f"{tid:x}",
        "proc_name": pname, "name": name, "sys_no": sysno, "type": "syscall", "ret_val": ret, "additional_info": info,
        "timestamp_ns": ts}, separators=(",", ":")) + "\n")

def call(pid, tid, pname, name, sysno, enter, exit, ret="0"):
    emit("ENTER", pid, tid, pname, name, sysno, "0", enter)
    emit("EXIT", pid, tid, pname, name, sysno, ret, exit)

S = 0x2000
sample_script = [
    ("NtCreateFile", "55", {"file_name": "0\\??\\C:\\Users\\u\\AppData\\Roaming\\drop.exe", "desired_access": "40100080", "create_disposition": "5"}, {"out_handle": "1020"}),
    ("NtWriteFile", "8", {"file_handle": "1020"}, {}),
    ("NtOpenKey", "12", {"key_name": "0\\REGISTRY\\USER\\S-1-5-21-1-2-3-1001\\Software\\Microsoft\\Windows\\CurrentVersion\\Run"}, {"out_handle": "1030"}),
    ("NtSetValueKey", "60", {"key_handle": "1030", "value_name": "drop", "data": "C:\\Users\\u\\AppData\\Roaming\\drop.exe"}, {}),
    ("NtOpenProcess", "26", {"target_pid": "100", "desired_access": "1fffff"}, {"out_handle": "1040"}),
    ("NtAllocateVirtualMemory", "18", {"process_handle": "1040", "protect": "40"}, {}),
    ("NtWriteVirtualMemory", "3a", {"process_handle": "1040", "size": "1000"}, {}),
    ("NtCreateThreadEx", "bd", {"process_handle": "1040"}, {"out_handle": "1044", "new_tid": "1ff0"}),
]
sample_at = n_records // 3
started = False
script_i = 0
while no < n_records - 2:
    if not started and no >= sample_at:
        call(0x100, 0x104, "explorer.exe", "NtCreateUserProcess", "c8",
             {"image_name": "\\??\\C:\\Users\\u\\sample.exe", "command_line": "C:\\Users\\u\\sample.exe"},
             {"out_handle": "10", "new_pid": f"{S:x}", "new_tid": f"{S + 4:x}"})
        started = True
    if started and script_i < len(sample_script) and rnd.random() < 0.001:
        name, sysno, enter, exit = sample_script[script_i]; script_i += 1
        call(S, S + 4, "sample.exe", name, sysno, enter, exit)
        continue
    pid, pname = procs[rnd.randrange(len(procs))] if not started or rnd.random() > 0.05 else (S, "sample.exe")
    tid = pid + 4 * rnd.randrange(1, 9)
    name, sysno, _, enter, exit = rnd.choices(calls, weights)[0]
    call(pid, tid, pname, name, sysno, enter(), exit())
out.close()
print(f"{no} records", file=sys.stderr)
