/* Harmless "injector": starts a victim child, attaches with ptrace, writes one word into the victim's
   memory with PTRACE_POKEDATA, detaches, then writes into it again with process_vm_writev.
   Expected: clone (new_pid = victim), ptrace PTRACE_ATTACH / PTRACE_POKEDATA / PTRACE_DETACH with
   target_pid = victim, process_vm_writev target_pid = victim, kill(victim, SIGKILL). The process_vm_writev buffer is
   the recognisable payload "ALKANET-INJECTED-PAYLOAD" (the evidence tests' YARA rule looks for it). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile long target_word = 0x1111;
static volatile char target_buf[32];

int main(void)
{
    pid_t victim = fork();
    if (victim == 0) {
        for (;;) pause();
    }
    usleep(100000);
    if (ptrace(PTRACE_ATTACH, victim, 0, 0) != 0) { perror("attach"); return 1; }
    waitpid(victim, NULL, 0);
    if (ptrace(PTRACE_POKEDATA, victim, (void *)&target_word, (void *)0x4242) != 0) perror("poke");
    ptrace(PTRACE_DETACH, victim, 0, 0);
    static const char payload[] = "ALKANET-INJECTED-PAYLOAD";
    struct iovec local = { (void *)payload, sizeof payload - 1 };
    struct iovec remote = { (void *)target_buf, sizeof payload - 1 };
    if (process_vm_writev(victim, &local, 1, &remote, 1, 0) < 0) perror("process_vm_writev");
    kill(victim, SIGKILL);
    waitpid(victim, NULL, 0);
    printf("injector: done\n");
    return 0;
}
