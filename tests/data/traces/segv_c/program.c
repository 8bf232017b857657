#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

/* A child crashes with SIGSEGV; the parent survives and reports it. */
int main(void) {
    pid_t pid = fork();
    if (pid == 0) {
        volatile int *p = NULL;
        *p = 42;
        return 0;
    }
    int status;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status))
        printf("child killed by signal %d\n", WTERMSIG(status));
    return 0;
}
