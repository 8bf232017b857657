/* pipe-message reference (C). */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    int fds[2];
    if (pipe(fds) < 0) {
        perror("pipe");
        return 1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        char message[64];
        close(fds[0]);
        int n = snprintf(message, sizeof message, "hello from child %d", (int)getpid());
        write(fds[1], message, (size_t)n);
        close(fds[1]);
        _exit(0);
    }
    close(fds[1]);
    char buffer[256];
    size_t used = 0;
    ssize_t n;
    while ((n = read(fds[0], buffer + used, sizeof buffer - 1 - used)) > 0)
        used += (size_t)n;
    buffer[used] = '\0';
    close(fds[0]);
    printf("parent got: %s\n", buffer);
    fflush(stdout);
    waitpid(pid, NULL, 0);
    return 0;
}
