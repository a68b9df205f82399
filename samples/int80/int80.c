/* Harmless "int 0x80 dropper": a 64-bit program that makes its file, process and network calls through the
   32-bit entry (int 0x80), as malware does to slip past monitors that only watch 64-bit calls. It creates an
   executable shell script, writes it, marks it executable, maps memory through old_mmap and mmap2, connects with
   socketcall to its own listener on 127.0.0.1:4445 (the guest has no network device), forks with the i386 fork and
   runs the script with the i386 execve.
   Expected in the trace (every record additional_info abi=ia32): open(/tmp/i386-payload.sh, O_WRONLY|O_CREAT|O_TRUNC,
   644) and its fd, write(fd_path=/tmp/i386-payload.sh), close, chmod(755), creat(/tmp/i386-marker, 600), mmap via
   old_mmap (PROT_READ|PROT_WRITE) and mmap2 (PROT_READ|PROT_WRITE|PROT_EXEC), socket and connect (via=socketcall,
   remote 127.0.0.1:4445), fork (new_pid) and in the child execve(/tmp/i386-payload.sh, argv).
   The int 0x80 ABI truncates pointers to 32 bits: every buffer it is given is static (a non-PIE static binary
   keeps them below 4 GiB), never on the stack. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* i386 call numbers (arch/x86/entry/syscalls/syscall_32.tbl) and socketcall sub-calls (linux/net.h) */
enum { I386_EXIT = 1, I386_FORK = 2, I386_WRITE = 4, I386_OPEN = 5, I386_CLOSE = 6, I386_CREAT = 8, I386_EXECVE = 11,
       I386_CHMOD = 15, I386_OLD_MMAP = 90, I386_SOCKETCALL = 102, I386_MMAP2 = 192 };
enum { SYS_SOCKET_ = 1, SYS_CONNECT_ = 3 };

static long int80(long nr, long a, long b, long c, long d, long e, long f)
{
    long r;
    register long rsi __asm__("rsi") = d, rdi __asm__("rdi") = e, rbp __asm__("rbp") = f;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c), "r"(rsi), "r"(rdi), "r"(rbp) : "memory");
    return r;
}

static long call32(long nr, const volatile void *a, long b, long c)
{
    return int80(nr, (long)(uintptr_t)a, b, c, 0, 0, 0);
}

static char path[] = "/tmp/i386-payload.sh";
static char marker[] = "/tmp/i386-marker";
static char body[] = "#!/bin/sh\necho i386-payload-ran > /tmp/i386-payload.out\n";
static char stage[] = "--stage", two[] = "2";
static uint32_t argv32[4];
static uint32_t mmap_args[6];
static uint32_t socket_args[3], connect_args[3];
static struct sockaddr_in addr;

int main(void)
{
    /* listener (64-bit calls) so that the int 0x80 connect succeeds */
    addr.sin_family = AF_INET;
    addr.sin_port = htons(4445);
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    int server = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(server, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(server, 1) != 0) return 1;

    long fd = call32(I386_OPEN, path, 01 | 0100 | 01000, 0644); /* O_WRONLY|O_CREAT|O_TRUNC */
    if (fd < 0) { fprintf(stderr, "open: %ld\n", fd); return 1; }
    if (call32(I386_WRITE, (void *)(uintptr_t)fd, (long)(uintptr_t)body, sizeof body - 1) != (long)(sizeof body - 1)) return 1;
    call32(I386_CLOSE, (void *)(uintptr_t)fd, 0, 0);
    if (call32(I386_CHMOD, path, 0755, 0) != 0) return 1;
    long m = call32(I386_CREAT, marker, 0600, 0);
    if (m < 0) return 1;
    call32(I386_CLOSE, (void *)(uintptr_t)m, 0, 0);

    /* old_mmap: one pointer to {addr, len, prot, flags, fd, offset} */
    mmap_args[0] = 0; mmap_args[1] = 0x2000; mmap_args[2] = 3; mmap_args[3] = 0x22; mmap_args[4] = 0xffffffff; mmap_args[5] = 0;
    if ((unsigned long)call32(I386_OLD_MMAP, mmap_args, 0, 0) >= 0xfffff000UL) return 1;
    if ((unsigned long)int80(I386_MMAP2, 0, 0x3000, 7, 0x22, -1, 0) >= 0xfffff000UL) return 1;

    /* socketcall(SYS_SOCKET, {AF_INET, SOCK_STREAM, 0}) then socketcall(SYS_CONNECT, {fd, &addr, 16}) */
    socket_args[0] = AF_INET; socket_args[1] = SOCK_STREAM; socket_args[2] = 0;
    long s = int80(I386_SOCKETCALL, SYS_SOCKET_, (long)(uintptr_t)socket_args, 0, 0, 0, 0);
    if (s < 0) return 1;
    connect_args[0] = (uint32_t)s; connect_args[1] = (uint32_t)(uintptr_t)&addr; connect_args[2] = sizeof addr;
    if (int80(I386_SOCKETCALL, SYS_CONNECT_, (long)(uintptr_t)connect_args, 0, 0, 0, 0) != 0) return 1;
    call32(I386_CLOSE, (void *)(uintptr_t)s, 0, 0);
    int c = accept(server, NULL, NULL);
    close(c);
    close(server);

    argv32[0] = (uint32_t)(uintptr_t)path; argv32[1] = (uint32_t)(uintptr_t)stage; argv32[2] = (uint32_t)(uintptr_t)two; argv32[3] = 0;
    long child = int80(I386_FORK, 0, 0, 0, 0, 0, 0);
    if (child == 0) {
        int80(I386_EXECVE, (long)(uintptr_t)path, (long)(uintptr_t)argv32, 0, 0, 0, 0);
        int80(I386_EXIT, 127, 0, 0, 0, 0, 0);
    }
    if (child < 0) return 1;
    int status = 0;
    waitpid((pid_t)child, &status, 0);
    printf("int80: payload exited %d\n", WEXITSTATUS(status));
    return WEXITSTATUS(status) == 0 ? 0 : 1;
}
