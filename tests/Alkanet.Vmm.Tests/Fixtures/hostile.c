/* Hostile arguments for the hook's decoders: bad pointers, strings running into unmapped pages, absurd
   lengths and counts, fds out of range. Every call fails in the guest; none may disturb QEMU or the hook. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

int main(void)
{
    char *pages = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(pages, 'A', 4096);              /* no NUL before the unmapped second page */
    munmap(pages + 4096, 4096);
    char **argv_bad = (char **)(pages + 4096 - 16);
    argv_bad[0] = (char *)0xdeadbeef;
    argv_bad[1] = pages;                    /* the pointer array itself runs into the unmapped page */

    syscall(SYS_openat, AT_FDCWD, (char *)0xdeadbeef, O_RDONLY, 0);
    syscall(SYS_open, pages, O_RDONLY, 0);
    syscall(SYS_openat2, AT_FDCWD, pages, (void *)0x10, 24);
    syscall(SYS_execve, (char *)0x1, argv_bad, NULL);
    syscall(SYS_execve, pages, (char **)0xffffffffffff0000, NULL);
    syscall(SYS_write, 99999, pages, 10);
    syscall(SYS_write, -5, pages, 10);
    syscall(SYS_close, 0x7fffffff);
    syscall(SYS_rename, NULL, (char *)-1);
    syscall(SYS_connect, 3, (void *)0x10, 16);
    syscall(SYS_connect, 3, pages + 4090, 110);
    syscall(SYS_bind, 3, pages, 0xffffffff);
    syscall(SYS_sendto, 3, pages, 10, 0, (void *)0xdead, 28);
    syscall(SYS_process_vm_writev, 1, (void *)0x10, 1000, (void *)(pages + 4090), 1000, 0);
    syscall(SYS_clone3, (void *)0xdead, 88);
    syscall(SYS_prctl, PR_SET_NAME, (char *)0xdead, 0, 0, 0);
    syscall(SYS_memfd_create, pages, 0);
    syscall(SYS_ptrace, 0x7fffffff, -1, (void *)-1, (void *)-1);
    syscall(SYS_mmap, (void *)-4096, -1, 0xffff, 0xffffffff, 99999, -1);
    syscall(SYS_finit_module, -1, pages, -1);
    syscall(SYS_nanosleep, (void *)0x10, NULL);
    syscall(SYS_kill, 0x7fffffff, 0x7fffffff);
    syscall(12345, 1, 2, 3, 4, 5, 6);       /* no such call */
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory"); /* 32-bit getpid through ia32_sys_call */
    if (r <= 0) return 2;
    return 0;
}
