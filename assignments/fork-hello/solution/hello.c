/* fork-hello reference (C). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    pid_t children[2];
    for (int i = 0; i < 2; i++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0) {
            printf("hello os\n");
            fflush(stdout);
            _exit(0);
        }
        children[i] = pid;
    }
    printf("hello os\n");
    fflush(stdout);
    for (int i = 0; i < 2; i++)
        waitpid(children[i], NULL, 0);
    return 0;
}
