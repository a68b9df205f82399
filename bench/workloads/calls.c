/* Per-call cost of two system call loops, timed with CLOCK_MONOTONIC by the process itself (guest or host):
     calls getppid N        N getppid() calls: nothing to decode, the cheapest hook path
     calls openread N FILE  N rounds of open(FILE) + read(64 bytes) + close: the decoded path (a path string,
                            a buffer, a descriptor), 3 calls per round
   Prints "CALLS name=NAME ns_per_call=X calls=C" (C = system calls timed). Built static by bench/workloads/overlay.sh so
   the same binary runs in the analysis guest and natively on the host. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static int open_read_close(const char *path)
{
    char buf[64];
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    return n < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) { fprintf(stderr, "usage: calls getppid N | calls openread N FILE\n"); return 2; }
    long n = atol(argv[2]);
    if (n <= 0) { fprintf(stderr, "calls: N must be a positive number, got '%s'\n", argv[2]); return 2; }
    double start, end;
    long calls;
    if (strcmp(argv[1], "getppid") == 0) {
        for (long i = 0; i < 1000; i++) syscall(SYS_getppid); /* warm the translation cache */
        start = now_ns();
        for (long i = 0; i < n; i++) syscall(SYS_getppid);
        end = now_ns();
        calls = n;
    } else if (strcmp(argv[1], "openread") == 0 && argc == 4) {
        for (long i = 0; i < 100; i++)
            if (open_read_close(argv[3]) != 0) { perror(argv[3]); return 1; }
        start = now_ns();
        for (long i = 0; i < n; i++) open_read_close(argv[3]);
        end = now_ns();
        calls = 3 * n;
    } else {
        fprintf(stderr, "calls: unknown loop '%s' (getppid N | openread N FILE)\n", argv[1]);
        return 2;
    }
    printf("CALLS name=%s ns_per_call=%.1f calls=%ld\n", argv[1], (end - start) / calls, calls);
    return 0;
}
