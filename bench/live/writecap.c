/* Guest-measured cost of write capture (bench/capture-cost.sh): BIG_MIB MiB written to /tmp/cap.big in 64 KiB writes
   (ns per MiB), then SMALL 16-byte writes to /tmp/cap.small (ns per call). Prints
   "writecap ns_per_mib=X mib=N ns_per_small_write=Y small=M". Run with --capture none, in scope, and out of scope. */
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static char chunk[64 * 1024];

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(void)
{
    const int mib = 16, small = 50000;
    for (unsigned i = 0; i < sizeof chunk; i++) chunk[i] = (char)(i * 7);
    int big = open("/tmp/cap.big", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int tiny = open("/tmp/cap.small", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (big < 0 || tiny < 0) return 1;
    for (int i = 0; i < 100; i++) if (write(tiny, chunk, 16) != 16) return 1; /* warm the translation cache */
    double a = now();
    for (int i = 0; i < mib * 16; i++) if (write(big, chunk, sizeof chunk) != (ssize_t)sizeof chunk) return 1;
    double b = now();
    for (int i = 0; i < small; i++) if (write(tiny, chunk, 16) != 16) return 1;
    double c = now();
    printf("writecap ns_per_mib=%.0f mib=%d ns_per_small_write=%.1f small=%d\n", (b - a) / mib, mib, (c - b) / small, small);
    return 0;
}
