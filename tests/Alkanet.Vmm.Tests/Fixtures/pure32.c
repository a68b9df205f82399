/* A real 32-bit (i386 ELF) process for the live tracer, built with gcc -m32 -static -nostdlib (no 32-bit libc
   needed): every call is int 0x80 from compat mode. It creates /tmp/pure32.txt, writes it, chmods it, opens a
   socket through socketcall and exits with exit_group(0). */
static const char path[] = "/tmp/pure32.txt";
static const char text[] = "from a 32-bit process\n";

static long sys(long nr, long a, long b, long c)
{
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
    return r;
}

void _start(void)
{
    unsigned long socket_args[3] = { 2, 2, 0 }; /* AF_INET, SOCK_DGRAM, 0: u32 on i386 */
    long fd = sys(5, (long)path, 01 | 0100 | 01000, 0600); /* open(O_WRONLY|O_CREAT|O_TRUNC) */
    long status = fd < 0;
    if (!status) status |= sys(4, fd, (long)text, sizeof text - 1) != (long)(sizeof text - 1);
    sys(6, fd, 0, 0);
    status |= sys(15, (long)path, 0700, 0) != 0;          /* chmod */
    status |= sys(102, 1, (long)socket_args, 0) < 0;      /* socketcall(SYS_SOCKET) */
    sys(252, status, 0, 0);                                /* exit_group */
    for (;;) { }
}
