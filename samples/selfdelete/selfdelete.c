/* Harmless "self-deleter": copies itself to /tmp/.hidden, runs the copy, which unlinks its own file.
   Expected: openat(/proc/self/exe), openat(/tmp/.hidden, O_CREAT), execve(/tmp/.hidden), then in the
   copy readlink(/proc/self/exe) and unlink(/tmp/.hidden). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--stage2") == 0) {
        char self[256] = {0};
        if (readlink("/proc/self/exe", self, sizeof self - 1) > 0) unlink(self);
        return 0;
    }
    int in = open("/proc/self/exe", O_RDONLY);
    int out = open("/tmp/.hidden", O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (in < 0 || out < 0) return 1;
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0) if (write(out, buf, n) != n) return 1;
    close(in);
    close(out);
    pid_t child = fork();
    if (child == 0) {
        execl("/tmp/.hidden", "/tmp/.hidden", "--stage2", (char *)NULL);
        _exit(127);
    }
    waitpid(child, NULL, 0);
    return access("/tmp/.hidden", F_OK) == 0; /* 0 when the copy deleted itself */
}
