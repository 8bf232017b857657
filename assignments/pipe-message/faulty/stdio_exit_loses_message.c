/* Faulty: the child writes through a stdio FILE* and leaves with _exit(), which does
 * not flush. The message never reaches the pipe; the parent prints an empty message. */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    int fds[2];
    pipe(fds);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        FILE *out = fdopen(fds[1], "w");
        fprintf(out, "hello from child %d", (int)getpid());
        _exit(0);
    }
    close(fds[1]);
    char buffer[256];
    size_t used = 0;
    ssize_t n;
    while ((n = read(fds[0], buffer + used, sizeof buffer - 1 - used)) > 0)
        used += (size_t)n;
    buffer[used] = '\0';
    printf("parent got: %s\n", buffer);
    fflush(stdout);
    waitpid(pid, NULL, 0);
    return 0;
}
