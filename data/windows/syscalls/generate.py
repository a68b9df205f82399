#!/usr/bin/env python3
"""Generates windows-x64-syscalls.tsv from j00ru/windows-syscalls (x64 CSV tables of ntoskrnl and win32k).

Usage: python3 data/windows/syscalls/generate.py [J00RU_DIR]   (default ../shared/reference/windows-syscalls/j00ru)
Output: one line per (release, table): RELEASE <TAB> BUILD <TAB> nt|win32k <TAB> Name=hex,Name=hex,...
Builds are the Windows build numbers of each release (ours; j00ru names releases, not builds)."""
import csv, os, sys

BUILDS = {
    "Windows XP (SP1)": 3790, "Windows XP (SP2)": 3790,
    "Windows Server 2003 (SP0)": 3790, "Windows Server 2003 (SP2)": 3790,
    "Windows Server 2003 (R2)": 3790, "Windows Server 2003 (R2 SP2)": 3790,
    "Windows Vista (SP0)": 6000, "Windows Vista (SP1)": 6001, "Windows Vista (SP2)": 6002,
    "Windows 7 (SP0)": 7600, "Windows 7 (SP1)": 7601,
    "Windows 8 (8.0)": 9200, "Windows 8 (8.1)": 9600,
    "Windows 10 (1507)": 10240, "Windows 10 (1511)": 10586, "Windows 10 (1607)": 14393,
    "Windows 10 (1703)": 15063, "Windows 10 (1709)": 16299, "Windows 10 (1803)": 17134,
    "Windows 10 (1809)": 17763, "Windows 10 (1903)": 18362, "Windows 10 (1909)": 18363,
    "Windows 10 (2004)": 19041, "Windows 10 (20H2)": 19042, "Windows 10 (21H1)": 19043,
    "Windows 10 (21H2)": 19044, "Windows 10 (22H2)": 19045,
    "Windows 11 and Server (Server 2022)": 20348, "Windows 11 and Server (11 21H2)": 22000,
    "Windows 11 and Server (11 22H2)": 22621, "Windows 11 and Server (11 23H2)": 22631,
    "Windows 11 and Server (Server 23H2)": 25398, "Windows 11 and Server (11 24H2)": 26100,
    "Windows 11 and Server (Server 2025)": 26100, "Windows 11 and Server (11 25H2)": 26200,
}

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "../../../../shared/reference/windows-syscalls/j00ru")
    if not os.path.isdir(src):
        src = "/work/shared/reference/windows-syscalls/j00ru"
    out = []
    for kind, name in (("nt", "x64_csv_nt.csv"), ("win32k", "x64_csv_win32k.csv")):
        with open(os.path.join(src, name), newline="") as f:
            rows = list(csv.reader(f))
        header = rows[0]
        for col in range(1, len(header)):
            release = header[col].strip()
            if release not in BUILDS:
                sys.exit(f"{name}: column {col} '{release}' has no build number in BUILDS")
            calls = []
            for row in rows[1:]:
                cell = row[col].strip() if col < len(row) else ""
                if cell:
                    calls.append((int(cell, 16), row[0].strip()))
            calls.sort()
            out.append(f"{release}\t{BUILDS[release]}\t{kind}\t" + ",".join(f"{n}={v:x}" for v, n in calls))
    with open(os.path.join(here, "windows-x64-syscalls.tsv"), "w") as f:
        f.write("\n".join(out) + "\n")

if __name__ == "__main__":
    main()
