/* Harmless "beacon": starts its own listener on 127.0.0.1:4444, connects to it and sends a check-in
   message (the guest has no network device). Expected: socket(AF_INET), bind(local 127.0.0.1:4444),
   listen, connect(remote 127.0.0.1:4444), sendto(size), accept4/recvfrom in the listener. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(4444) };
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    int server = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(server, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(server, 1) != 0) return 1;
    pid_t listener = fork();
    if (listener == 0) {
        int c = accept(server, NULL, NULL);
        char buf[128];
        recv(c, buf, sizeof buf, 0);
        close(c);
        _exit(0);
    }
    close(server);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(s, (struct sockaddr *)&addr, sizeof addr) != 0) return 1;
    const char *hello = "BEACON id=alkanet-sample\n";
    sendto(s, hello, strlen(hello), 0, NULL, 0);
    close(s);
    waitpid(listener, NULL, 0);
    return 0;
}
