/* Prints the guest's CLOCK_MONOTONIC in seconds with nanoseconds: the init's timing markers need better
   than /proc/uptime's centiseconds (busybox date has no %N). Built static by `alkanet guest build`. */
#include <stdio.h>
#include <time.h>

int main(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    printf("%ld.%09ld\n", (long)t.tv_sec, t.tv_nsec);
    return 0;
}
