/* Harmless "anti-analysis probe": checks for a debugger with ptrace(PTRACE_TRACEME), renames itself
   with prctl(PR_SET_NAME), then sleeps long (an analysis-timeout evasion), here 2 s so runs stay short.
   Expected: ptrace(PTRACE_TRACEME), prctl(PR_SET_NAME, name=kworker), nanosleep/clock_nanosleep(seconds=2). */
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <time.h>

int main(void)
{
    if (ptrace(PTRACE_TRACEME, 0, 0, 0) != 0) printf("probe: being traced\n");
    prctl(PR_SET_NAME, "kworker", 0, 0, 0);
    struct timespec t = { 2, 0 };
    nanosleep(&t, NULL);
    return 0;
}
