/* Guest-measured cost of a system call: N getppid() calls timed with CLOCK_MONOTONIC inside the guest.
   Prints "getppid ns_per_call=X calls=N". Run traced and untraced (bench/live-getppid.sh). */
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
    const long n = 200000;
    for (long i = 0; i < 1000; i++) syscall(SYS_getppid); /* warm the translation cache */
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < n; i++) syscall(SYS_getppid);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
    printf("getppid ns_per_call=%.1f calls=%ld\n", ns / n, n);
    return 0;
}
