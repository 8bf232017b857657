#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The child writes into a pipe, the parent reads until EOF; dup2 puts the pipe on the child's stdout. */
int main(void) {
    int fd[2];
    pipe(fd);
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        dup2(fd[1], 1);
        close(fd[1]);
        printf("through the pipe\n");
        fflush(stdout);
        _exit(0);
    }
    close(fd[1]);
    char buf[128];
    ssize_t n, total = 0;
    while ((n = read(fd[0], buf + total, sizeof buf - 1 - total)) > 0)
        total += n;
    buf[total] = 0;
    waitpid(pid, NULL, 0);
    printf("parent read %zd bytes: %s", total, buf);
    return 0;
}
