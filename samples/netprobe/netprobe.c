/* Harmless network probe for `alkanet run --network`: resolves c2.alkanet-sample.test with its own DNS query (UDP
   to the resolver in /etc/resolv.conf, as much malware does instead of the libc resolver), fetches
   http://c2.alkanet-sample.test/beacon.txt from the address it got and checks the reply is "HTTP/1.x 200", then
   tries a public address (8.8.8.8:80) and a private one (192.168.77.1:80) directly; on the isolated network both
   must fail (nothing routes there). Exit 0: the sink answered and neither direct address did; 1..5 say which step
   went wrong. Expected: socket(AF_INET, SOCK_DGRAM), sendto(resolver:53), recvfrom, connect(sink:80),
   sendto(GET ...), recvfrom, connect(8.8.8.8:80) failing, connect(192.168.77.1:80) failing. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char name[] = "c2.alkanet-sample.test";

static int resolver(struct in_addr *out)
{
    char line[128];
    FILE *f = fopen("/etc/resolv.conf", "r");
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "nameserver %15s", line) == 1 && inet_pton(AF_INET, line, out) == 1) { fclose(f); return 0; }
    fclose(f);
    return -1;
}

/* One A query; the first A answer's address into *out. */
static int resolve(struct in_addr server, struct in_addr *out)
{
    unsigned char q[512] = { 0x13, 0x37, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
    size_t n = 12;
    const char *label = name;
    while (*label) {
        const char *dot = strchr(label, '.');
        size_t len = dot ? (size_t)(dot - label) : strlen(label);
        q[n++] = (unsigned char)len;
        memcpy(q + n, label, len);
        n += len;
        label += len + (dot ? 1 : 0);
    }
    q[n++] = 0;
    q[n++] = 0; q[n++] = 1; q[n++] = 0; q[n++] = 1;
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in dns = { .sin_family = AF_INET, .sin_port = htons(53), .sin_addr = server };
    struct timeval tv = { .tv_sec = 5 };
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (sendto(s, q, n, 0, (struct sockaddr *)&dns, sizeof dns) != (ssize_t)n) return -1;
    unsigned char r[512];
    ssize_t got = recvfrom(s, r, sizeof r, 0, NULL, NULL);
    close(s);
    if (got < (ssize_t)n + 16 || r[0] != 0x13 || r[1] != 0x37 || (r[7] | r[6] << 8) == 0) return -1;
    /* The answer after the echoed question: a compressed name pointer, type, class, ttl, rdlength, rdata. */
    size_t at = n;
    if ((r[at] & 0xc0) != 0xc0 || r[at + 3] != 1 || r[at + 11] != 4 || at + 16 > (size_t)got) return -1;
    memcpy(out, r + at + 12, 4);
    return 0;
}

/* connect() with a 3 s limit; 0 when connected. */
static int try_connect(const char *ip, int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    inet_pton(AF_INET, ip, &a.sin_addr);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    fcntl(s, F_SETFL, O_NONBLOCK);
    int rc = connect(s, (struct sockaddr *)&a, sizeof a);
    if (rc != 0 && errno == EINPROGRESS) {
        struct pollfd p = { .fd = s, .events = POLLOUT };
        int err = 0;
        socklen_t len = sizeof err;
        rc = poll(&p, 1, 3000) == 1 && getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0 ? 0 : -1;
    }
    close(s);
    printf("netprobe: direct %s:%d %s\n", ip, port, rc == 0 ? "CONNECTED" : "unreachable");
    return rc;
}

int main(void)
{
    struct in_addr server, c2;
    if (resolver(&server) != 0) return 1;
    if (resolve(server, &c2) != 0) return 2;
    char ip[16];
    inet_ntop(AF_INET, &c2, ip, sizeof ip);
    printf("netprobe: %s is %s\n", name, ip);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in http = { .sin_family = AF_INET, .sin_port = htons(80), .sin_addr = c2 };
    if (connect(s, (struct sockaddr *)&http, sizeof http) != 0) return 3;
    char req[256];
    int len = snprintf(req, sizeof req, "GET /beacon.txt HTTP/1.1\r\nHost: %s\r\nUser-Agent: alkanet-netprobe/1.0\r\n"
        "Connection: close\r\n\r\n", name);
    sendto(s, req, (size_t)len, 0, NULL, 0);
    char reply[64] = { 0 };
    ssize_t got = recvfrom(s, reply, sizeof reply - 1, 0, NULL, NULL);
    close(s);
    if (got < 12 || strncmp(reply, "HTTP/1.", 7) != 0 || strncmp(reply + 9, "200", 3) != 0) return 4;
    printf("netprobe: sink answered %.12s\n", reply);
    if (try_connect("8.8.8.8", 80) == 0 || try_connect("192.168.77.1", 80) == 0) return 5;
    return 0;
}
