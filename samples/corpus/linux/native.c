/* Corpus techniques a shell cannot perform, in one libc-free program (a few KB, so the bundle stays small); the
   bundle installs it under each technique's name and the name chooses what it does:
     lx-kthread (T1036.005)  prctl(PR_SET_NAME, "kworker/0:2"): a kernel worker thread's name, to hide in ps.
     lx-memfd   (T1620)      memfd_create and a (harmless) script written into it: a program that never touches disk.
     lx-traceme (T1622)      ptrace(PTRACE_TRACEME): no debugger can attach afterwards.
     lx-argv0   (T1036.005)  a forked child execs busybox with argv[0] "[kworker/1:0]", the name ps shows (busybox
                             refuses the unknown applet name and exits: the spoofed start is the fact). */
__asm__(".globl _start\n_start:\n  mov %rsp, %rdi\n  and $-16, %rsp\n  call start_c\n  hlt\n");

static long sys3(long n, long a, long b, long c)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}

static int ends_with(const char *s, const char *tail)
{
    const char *a = s, *b = tail;
    while (*a) a++;
    while (*b) b++;
    while (b > tail) if (a == s || *--a != *--b) return 0;
    return 1;
}

__attribute__((used)) void start_c(long *sp)
{
    const char *self = (const char *)sp[1];
    static const char payload[] = "#!/bin/sh\necho corpus\n";
    if (ends_with(self, "lx-kthread")) sys3(157 /* prctl */, 15 /* PR_SET_NAME */, (long)"kworker/0:2", 0);
    else if (ends_with(self, "lx-memfd"))
    {
        long fd = sys3(319 /* memfd_create */, (long)"corpus-payload", 1 /* MFD_CLOEXEC */, 0);
        if (fd >= 0) sys3(1 /* write */, fd, (long)payload, sizeof payload - 1);
    }
    else if (ends_with(self, "lx-traceme")) sys3(101 /* ptrace */, 0 /* PTRACE_TRACEME */, 0, 0);
    else if (ends_with(self, "lx-argv0"))
    {
        static const char *const argv[] = {"[kworker/1:0]", 0};
        static const char *const envp[] = {0};
        if (sys3(57 /* fork */, 0, 0, 0) == 0) sys3(59 /* execve */, (long)"/bin/busybox", (long)argv, (long)envp);
    }
    sys3(231 /* exit_group */, 0, 0, 0);
}
