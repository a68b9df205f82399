/* Harmless "injector": starts a victim child, attaches with ptrace, writes one word into the victim's
   memory with PTRACE_POKEDATA, detaches, then writes into it again with process_vm_writev.
   Expected: clone (new_pid = victim), ptrace PTRACE_ATTACH / PTRACE_POKEDATA / PTRACE_DETACH with
   target_pid = victim, process_vm_writev target_pid = victim, kill(victim, SIGKILL). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile long target_word = 0x1111;

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
    long value = 0x4343;
    struct iovec local = { &value, sizeof value };
    struct iovec remote = { (void *)&target_word, sizeof value };
    if (process_vm_writev(victim, &local, 1, &remote, 1, 0) < 0) perror("process_vm_writev");
    kill(victim, SIGKILL);
    waitpid(victim, NULL, 0);
    printf("injector: done\n");
    return 0;
}
