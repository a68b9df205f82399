#!/usr/bin/env python3
"""Writes the small hand-made logs the Analysis tests read. Run from this directory; the output is committed."""
import json

class Log:
    def __init__(self): self.no = 0; self.lines = []
    def rec(self, lt, pid, tid, pname, name, sysno, ret="0", info=None, ppid=None):
        self.no += 1
        r = {"no": self.no, "cpu_id": 0, "logtype": lt, "proc_pid": pid, "proc_tid": tid, "proc_name": pname,
             "name": name, "sys_no": sysno, "type": "syscall", "ret_val": ret, "additional_info": info or {},
             "timestamp_ns": 1700000000000000000 + self.no * 1000000}
        if ppid: r["proc_ppid"] = ppid
        self.lines.append(r)
        return self.no
    def call(self, pid, tid, pname, name, sysno, enter=None, exit=None, ret="0", ppid=None):
        self.rec("ENTER", pid, tid, pname, name, sysno, "0", enter, ppid)
        return self.rec("EXIT", pid, tid, pname, name, sysno, ret, exit, ppid)
    def save(self, path):
        with open(path, "w") as f:
            for r in self.lines: f.write(json.dumps(r) + "\n")

# ---------------------------------------------------------------- Windows
w = Log()
E, S, N = "100", "200", "300"   # explorer, sample, notepad pids
w.call(N, "304", "notepad.exe", "NtWaitForSingleObject", "4", {"handle": "8"}, ppid=E)
w.call(E, "104", "explorer.exe", "NtCreateUserProcess", "c8",
       {"image_name": "\\??\\C:\\Users\\u\\Desktop\\sample.exe", "command_line": "\"C:\\Users\\u\\Desktop\\sample.exe\" /run"},
       {"out_handle": "10", "out_thread_handle": "14", "new_pid": S, "new_tid": "204"}, ppid="4")
sp = dict(pid=S, tid="204", pname="sample.exe")
def sc(name, sysno, enter=None, exit=None, ret="0", tid="204"): return w.call(S, tid, "sample.exe", name, sysno, enter, exit, ret, E)
sc("NtCreateFile", "55", {"file_name": "0\\??\\C:\\Users\\u\\AppData\\Roaming\\evil.exe", "desired_access": "40100080", "create_disposition": "5"}, {"out_handle": "20"})
sc("NtWriteFile", "8", {"file_handle": "20", "object_name": "\\??\\C:\\Users\\u\\AppData\\Roaming\\evil.exe"})
sc("NtClose", "f", {"handle": "20"})
sc("NtOpenKey", "12", {"key_name": "0\\REGISTRY\\USER\\S-1-5-21-1-2-3-1001\\Software\\Microsoft\\Windows\\CurrentVersion\\Run", "desired_access": "20006"}, {"out_handle": "30"})
sc("NtSetValueKey", "60", {"key_handle": "30", "value_name": "evil", "value_type": "REG_SZ", "data": "C:\\Users\\u\\AppData\\Roaming\\evil.exe"})
sc("NtCreateMutant", "b4", {"mutant_name": "\\BaseNamedObjects\\evilmutex"}, {"out_handle": "34"})
sc("NtDelayExecution", "34", {"interval_100ns": "-3000000000"})
sc("NtQueryInformationProcess", "19", {"process_handle": "ffffffffffffffff", "info_class": "7", "info_class_name": "ProcessDebugPort"})
sc("NtCreateFile", "55", {"file_name": "0\\??\\C:\\Users\\u\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup\\evil.lnk", "desired_access": "40100080", "create_disposition": "2"}, {"out_handle": "38"})
# injection: open -> allocate -> write -> remote thread, all through the handle
sc("NtOpenProcess", "26", {"desired_access": "1fffff", "target_pid": N}, {"out_handle": "40"})
sc("NtAllocateVirtualMemory", "18", {"process_handle": "40", "protect": "40", "protect_names": "PAGE_EXECUTE_READWRITE"})
sc("NtWriteVirtualMemory", "3a", {"process_handle": "40", "base_address": "1000000", "size": "2000"})
sc("NtCreateThreadEx", "bd", {"process_handle": "40", "start_address": "1000000"}, {"out_handle": "44", "new_tid": "3f0"})
# the injected thread acts in notepad; notepad's own thread too
w.call(N, "3f0", "notepad.exe", "NtCreateFile", "55", {"file_name": "0\\??\\C:\\Users\\u\\stolen.txt", "desired_access": "40100080", "create_disposition": "2"}, {"out_handle": "70"}, ppid=E)
w.call(N, "304", "notepad.exe", "NtCreateFile", "55", {"file_name": "0\\??\\C:\\Users\\u\\notes.txt", "desired_access": "40100080", "create_disposition": "2"}, {"out_handle": "74"}, ppid=E)
# hollowing: suspended child, unmap, write, set context, resume
sc("NtCreateUserProcess", "c8", {"image_name": "\\??\\C:\\Windows\\System32\\svchost.exe", "command_line": "svchost.exe -k netsvcs", "thread_flags_names": "THREAD_CREATE_FLAGS_CREATE_SUSPENDED"},
   {"out_handle": "60", "out_thread_handle": "64", "new_pid": "500", "new_tid": "504"})
sc("NtUnmapViewOfSection", "2a", {"process_handle": "60", "base_address": "400000"})
sc("NtWriteVirtualMemory", "3a", {"process_handle": "60", "base_address": "400000", "size": "a000"})
sc("NtSetContextThread", "18b", {"thread_handle": "64"})
sc("NtResumeThread", "52", {"thread_handle": "64"})
w.call("500", "504", "svchost.exe", "NtDeviceIoControlFile", "7", {"file_handle": "8", "ioctl_name": "AFD_CONNECT", "remote_address": "203.0.113.7:443"}, ppid=S)
# a process whose creation record is missing: parent from proc_ppid
w.call("700", "704", "orphan.exe", "NtCreateFile", "55", {"file_name": "0\\??\\C:\\Windows\\Temp\\orphan.dat", "desired_access": "40100080", "create_disposition": "2"}, {"out_handle": "8"}, ppid=S)
# service creation and a scheduled task file
sc("NtOpenKey", "12", {"key_name": "0\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\evilsvc"}, {"out_handle": "80"})
sc("NtSetValueKey", "60", {"key_handle": "80", "value_name": "ImagePath", "value_type": "REG_EXPAND_SZ", "data": "C:\\Users\\u\\AppData\\Roaming\\evil.exe"})
sc("NtCreateFile", "55", {"file_name": "0\\??\\C:\\Windows\\System32\\Tasks\\EvilTask", "desired_access": "40100080", "create_disposition": "2"}, {"out_handle": "84"})
# self-deletion, then exit (ENTER only, as NtTerminateProcess of self never returns)
sc("NtOpenFile", "33", {"file_name": "0\\??\\C:\\Users\\u\\Desktop\\sample.exe", "desired_access": "10000"}, {"out_handle": "50"})
sc("NtSetInformationFile", "27", {"file_handle": "50", "info_class": "d", "info_class_name": "FileDispositionInformation", "delete": "1"})
w.rec("ENTER", S, "204", "sample.exe", "NtTerminateProcess", "2c", "0", {"process_handle": "ffffffffffffffff"}, E)
# pid reuse: a different process gets pid 200 later (no creation record seen)
w.call(S, "2f0", "svchost.exe", "NtCreateFile", "55", {"file_name": "0\\??\\C:\\Windows\\noise.txt", "desired_access": "40100080", "create_disposition": "2"}, {"out_handle": "8"}, ppid="4")
w.save("windows-injection.jsonl")

# A clean run of the same guest: notepad writes notes.txt too; the mutex exists there as well.
b = Log()
b.call(N, "304", "notepad.exe", "NtCreateFile", "55", {"file_name": "0\\??\\C:\\Users\\u\\notes.txt", "desired_access": "40100080", "create_disposition": "2"}, {"out_handle": "74"}, ppid=E)
b.call("900", "904", "other.exe", "NtCreateMutant", "b4", {"mutant_name": "\\BaseNamedObjects\\evilmutex"}, {"out_handle": "34"})
b.save("windows-baseline.jsonl")

# ---------------------------------------------------------------- Linux
l = Log()
B, M, T = "64", "65", "80"   # bash, the sample (forked from bash), sshd
l.call(T, T, "sshd", "read", "0", {"fd": "3"}, ret="10", ppid="1")
l.call(B, B, "bash", "clone", "38", {"flags": "1200011", "flags_names": "CLONE_CHILD_SETTID|CLONE_CHILD_CLEARTID|SIGCHLD"}, {}, ret=M, ppid="1")
l.rec("EXIT", M, M, "bash", "clone", "38", "0", {"unpaired": "fork_child"}, B)
l.call(M, M, "bash", "execve", "3b", {"path": "/tmp/mal", "argv": ["/tmp/mal", "-d"]}, ppid=B)
def ls(name, sysno, enter=None, exit=None, ret="0"): return l.call(M, M, "mal", name, sysno, enter, exit, ret, B)
ls("ptrace", "65", {"request": "0", "request_name": "PTRACE_TRACEME"})
ls("openat", "101", {"dirfd": "ffffff9c", "path": "/etc/cron.d/evil", "flags": "241", "flags_names": "O_WRONLY|O_CREAT|O_TRUNC", "mode": "0644"}, ret="3")
ls("write", "1", {"fd": "3", "size": "40"}, ret="40")
ls("close", "3", {"fd": "3"})
ls("openat", "101", {"dirfd": "ffffff9c", "path": "/root/.bashrc", "flags": "441", "flags_names": "O_WRONLY|O_CREAT|O_APPEND"}, ret="3")
ls("openat", "101", {"dirfd": "ffffff9c", "path": "/etc/systemd/system/evil.service", "flags": "241", "flags_names": "O_WRONLY|O_CREAT|O_TRUNC"}, ret="4")
ls("ptrace", "65", {"request": "10", "request_name": "PTRACE_ATTACH", "target_pid": T})
ls("ptrace", "65", {"request": "4", "request_name": "PTRACE_POKETEXT", "target_pid": T, "addr": "401000", "data": "cc"})
ls("ptrace", "65", {"request": "d", "request_name": "PTRACE_SETREGS", "target_pid": T})
ls("prctl", "9d", {"option": "f", "option_name": "PR_SET_NAME", "name": "kworker/0:1"})
ls("connect", "2a", {"fd": "5", "family": "AF_INET", "remote_address": "198.51.100.9:4444"})
ls("unlink", "57", {"path": "/tmp/mal"})
# sshd runs the injected code: its thread now belongs to the sample
l.call(T, T, "sshd", "openat", "101", {"dirfd": "ffffff9c", "path": "/tmp/.x", "flags": "241", "flags_names": "O_WRONLY|O_CREAT|O_TRUNC"}, ret="7", ppid="1")
l.rec("ENTER", M, M, "mal", "exit_group", "e7", "0", {"status": "0"}, B)
l.save("linux-persistence.jsonl")

# ---------------------------------------------------------------- malformed and foreign inputs
import gzip
L = []
L.append("1753206195.266065 DRAKVUF v1.1-9833fa5 Copyright (C) 2014-2024 Tamas K Lengyel")
L.append(json.dumps({"Plugin":"procmon","TimeStamp":"1753206195.453337","PID":4,"PPID":0,"RunningProcess":"System","Bitness":64}))
L.append(json.dumps({"Plugin":"procmon","TimeStamp":"1753206195.453543","PID":3888,"PPID":4,"RunningProcess":"\\Device\\HarddiskVolume2\\Windows\\explorer.exe","Bitness":64}))
L.append(json.dumps({"Plugin":"procmon","TimeStamp":"1753206196.000000","PID":3888,"PPID":4,"TID":368,"ProcessName":"\\Device\\HarddiskVolume2\\Windows\\explorer.exe","Method":"NtCreateUserProcess","NewPid":5000,"CommandLine":"C:\\Users\\u\\drop.exe -x","ImagePathName":"C:\\Users\\u\\drop.exe","Status":"0x0"}))
L.append(json.dumps({"Plugin":"syscall","TimeStamp":"1753206196.100000","PID":5000,"PPID":3888,"TID":5004,"ProcessName":"\\Device\\HarddiskVolume2\\Users\\u\\drop.exe","Method":"NtCreateFile","Module":"nt","vCPU":0,"CR3":"0x1a2b","Syscall":85,"NArgs":11,"FileHandle":"0x5c","DesiredAccess":"0x40100080","ObjectAttributes":"\\??\\C:\\Users\\u\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup\\drop.exe","CreateDisposition":"0x5"}))
L.append("\x00\x07garbage\xff line")
L.append(json.dumps({"Plugin":"sysret","TimeStamp":"1753206196.100100","PID":5000,"ProcessName":"drop.exe","Method":"NtCreateFile","Module":"nt","vCPU":0,"CR3":"0x1a2b","Syscall":85,"Ret":"0x0","Info":"STATUS_SUCCESS"}))
L.append(json.dumps({"Plugin":"filetracer","TimeStamp":"1753206196.2","PID":5000,"Method":"NtCreateFile"}))
L.append(json.dumps({"Plugin":"syscall","TimeStamp":"1753206196.300000","PID":5000,"PPID":3888,"TID":5004,"ProcessName":"drop.exe","Method":"NtCreateKey","Module":"nt","vCPU":1,"Syscall":29,"NArgs":7,"ObjectAttributes":"\\REGISTRY\\USER\\S-1-5-21-1-2-3-1001\\Software\\Microsoft\\Windows\\CurrentVersion\\Run"}))
L.append(json.dumps({"Plugin":"sysret","TimeStamp":"1753206196.300100","PID":5000,"TID":5004,"ProcessName":"drop.exe","Method":"NtCreateKey","Module":"nt","vCPU":1,"Syscall":29,"Ret":"0x0"}))
open("drakvuf-sample.jsonl","w", encoding="latin-1").write("\n".join(L)+"\n")
data = gzip.compress(open("windows-injection.jsonl","rb").read(), mtime=0)
open("truncated.jsonl.gz","wb").write(data[:len(data)//2])
json.dump({"info":{"id":1},"target":{"category":"file"},"CAPE":{}}, open("cape-no-behavior.json","w"))

# ---------------------------------------------------------------- APC and section injection, proc_seq, LOSS
class SeqLog(Log):
    def seqcall(self, seq, pid, tid, pname, name, sysno, enter=None, exit=None, ret="0"):
        self.call(pid, tid, pname, name, sysno, enter, exit, ret)
        self.lines[-1]["proc_seq"] = seq; self.lines[-2]["proc_seq"] = seq
q = SeqLog()
q.seqcall(2, "100", "108", "explorer.exe", "NtWaitForSingleObject", "4", {"handle": "8"})
q.seqcall(3, "110", "114", "svchost.exe", "NtWaitForSingleObject", "4", {"handle": "8"})
def inj(name, sysno, enter=None, exit=None): q.seqcall(10, "600", "604", "inj.exe", name, sysno, enter, exit)
inj("NtOpenThread", "13a", {"target_pid": "100", "target_tid": "108", "desired_access": "1fffff"}, {"out_handle": "50"})
inj("NtOpenProcess", "26", {"target_pid": "100"}, {"out_handle": "54"})
inj("NtCreateSection", "4a", {"desired_access": "f001f"}, {"out_handle": "58"})
inj("NtMapViewOfSection", "28", {"section_handle": "58", "process_handle": "54"})
q.no += 1
q.lines.append({"no": q.no, "cpu_id": 0, "logtype": "LOSS", "proc_pid": "0", "proc_tid": "0", "proc_name": "", "name": "loss", "sys_no": "0",
                "type": "loss", "ret_val": "0", "additional_info": {"first_lost": str(q.no), "last_lost": str(q.no + 4), "count": "5", "reason": "ring full"}})
q.no += 4
inj("NtQueueApcThread", "45", {"thread_handle": "50", "apc_routine": "7ff000001000"})
q.seqcall(2, "100", "108", "explorer.exe", "NtSetValueKey", "60", {"key_handle": "9c", "object_name": "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run", "value_name": "upd", "data": "C:\\x.exe"})
# a remote thread whose EXIT has no new_tid: the next new thread seen in the target runs the injected code
inj("NtOpenProcess", "26", {"target_pid": "110"}, {"out_handle": "60"})
inj("NtWriteVirtualMemory", "3a", {"process_handle": "60", "size": "100"})
inj("NtCreateThreadEx", "bd", {"process_handle": "60"}, {"out_handle": "64"})
q.seqcall(3, "110", "1f8", "svchost.exe", "NtCreateMutant", "b4", {"mutant_name": "\\BaseNamedObjects\\from-injected"}, {"out_handle": "8"})
q.seqcall(3, "110", "114", "svchost.exe", "NtCreateMutant", "b4", {"mutant_name": "\\BaseNamedObjects\\svchost-own"}, {"out_handle": "c"})
# the same pid and name later, but another lifetime by proc_seq
q.seqcall(11, "600", "6f0", "inj.exe", "NtCreateFile", "55", {"file_name": "0\\??\\C:\\second.txt", "desired_access": "40100080", "create_disposition": "2"}, {"out_handle": "8"})
q.save("windows-apc-section.jsonl")

# Linux: /proc/PID/mem and process_vm_writev
x = Log()
x.call("90", "90", "victim", "read", "0", {"fd": "0"}, ret="1", ppid="1")
x.call("91", "91", "memw", "openat", "101", {"dirfd": "ffffff9c", "path": "/proc/144/mem", "flags": "2", "flags_names": "O_RDWR"}, ret="3", ppid="1")
x.call("91", "91", "memw", "pwrite64", "12", {"fd": "3", "size": "10"}, ret="10", ppid="1")
x.call("91", "91", "memw", "process_vm_writev", "137", {"target_pid": "90", "size": "20"}, ret="20", ppid="1")
x.save("linux-procmem.jsonl")
