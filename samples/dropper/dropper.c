/* Harmless "dropper": writes a small executable (a shell script) to /tmp, marks it executable, runs it.
   Expected in the trace: openat(/tmp/payload.sh, O_CREAT), write(fd_path=/tmp/payload.sh), chmod(755),
   clone/fork (new_pid), execve(/tmp/payload.sh, argv) in the child, wait4. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    const char *path = "/tmp/payload.sh";
    const char *body = "#!/bin/sh\necho payload-ran > /tmp/payload.out\n";
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) { perror("open"); return 1; }
    if (write(fd, body, strlen(body)) < 0) { perror("write"); return 1; }
    close(fd);
    if (chmod(path, 0755) != 0) { perror("chmod"); return 1; }
    pid_t child = fork();
    if (child == 0) {
        char *argv[] = { (char *)path, "--stage", "2", NULL };
        execv(path, argv);
        _exit(127);
    }
    int status = 0;
    waitpid(child, &status, 0);
    printf("dropper: payload exited %d\n", WEXITSTATUS(status));
    return 0;
}
