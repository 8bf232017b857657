/* Waits in poll() for a pipe that nobody writes. */
#include <poll.h>
#include <unistd.h>
int main(void) {
    int fd[2];
    pipe(fd);
    struct pollfd p = {.fd = fd[0], .events = POLLIN};
    poll(&p, 1, -1);
    return 0;
}
