#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Fork until the pids limit says no, then let every child go. */
int main(void) {
    int n = 0;
    for (;;) {
        pid_t pid = fork();
        if (pid < 0) {
            printf("fork failed after %d children: %s\n", n, strerror(errno));
            break;
        }
        if (pid == 0) {
            sleep(1);
            _exit(0);
        }
        n++;
    }
    fflush(stdout);
    while (wait(NULL) > 0)
        ;
    return 0;
}
