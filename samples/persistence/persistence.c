/* Harmless "persistence": writes a root crontab entry and appends to an rc file.
   Expected: mkdir(/var/spool/cron/crontabs), openat(/var/spool/cron/crontabs/root, O_CREAT), write,
   openat(/etc/rc.local, O_APPEND), write, chmod(/etc/rc.local, 755). */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int put(const char *path, int flags, const char *text)
{
    int fd = open(path, flags, 0600);
    if (fd < 0) return 1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n < 0;
}

int main(void)
{
    mkdir("/var/spool/cron", 0755);
    mkdir("/var/spool/cron/crontabs", 0730);
    int bad = put("/var/spool/cron/crontabs/root", O_WRONLY | O_CREAT | O_TRUNC, "*/5 * * * * /tmp/.update\n");
    bad |= put("/etc/rc.local", O_WRONLY | O_CREAT | O_APPEND, "/tmp/.update &\n");
    chmod("/etc/rc.local", 0755);
    return bad;
}
