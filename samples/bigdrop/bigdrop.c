/* Harmless "big dropper" for the dropped-file capture's limits (docs/EVIDENCE.md):
   - /tmp/big.bin: 300000 bytes in ONE write (many ring slots: captured whole), then hard-linked as /tmp/big.link;
   - /tmp/huge.bin: 1.5 MiB in ONE write (past the default 1 MiB per-call cap: the rest is a named gap);
   - /tmp/seek.bin: "AAAAAAAA", then through a dup'ed fd lseek(0) and "BB", then through fcntl(F_DUPFD) "CC": "BBCCAAAA";
   - its own memory through /proc/self/mem: "ALKANET-PROC-MEM" written over a buffer at its address (lseek + write);
   - /tmp/tiny/0..499: 500 one-byte files.
   Byte i of big.bin and huge.bin is (i * 131 + (i >> 8)) & 0xff; the live test computes the same. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned char pattern[1536 * 1024];

static int drop(const char *path, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, pattern, n) != (ssize_t)n) { perror(path); return 1; }
    return close(fd);
}

int main(void)
{
    for (size_t i = 0; i < sizeof pattern; i++) pattern[i] = (unsigned char)((i * 131 + (i >> 8)) & 0xff);
    if (drop("/tmp/big.bin", 300000) || drop("/tmp/huge.bin", sizeof pattern)) return 1;
    if (link("/tmp/big.bin", "/tmp/big.link") != 0) { perror("link"); return 2; }

    int fd = open("/tmp/seek.bin", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, "AAAAAAAA", 8) != 8) return 3;
    int alias = dup(fd);
    if (lseek(alias, 0, SEEK_SET) != 0 || write(alias, "BB", 2) != 2) return 3;
    int third = fcntl(alias, F_DUPFD, 10);
    if (third < 0 || write(third, "CC", 2) != 2) return 3;
    close(third);
    close(alias);
    close(fd);

    static char target[32] = "................";
    int mem = open("/proc/self/mem", O_RDWR);
    if (mem < 0 || lseek(mem, (off_t)(unsigned long)target, SEEK_SET) < 0 || write(mem, "ALKANET-PROC-MEM", 16) != 16) {
        perror("/proc/self/mem");
        return 4;
    }
    close(mem);
    if (memcmp(target, "ALKANET-PROC-MEM", 16) != 0) return 4;

    mkdir("/tmp/tiny", 0755);
    for (int i = 0; i < 500; i++) {
        char path[32];
        snprintf(path, sizeof path, "/tmp/tiny/%d", i);
        int t = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (t < 0 || write(t, "x", 1) != 1) return 5;
        close(t);
    }
    printf("bigdrop: done\n");
    return 0;
}
