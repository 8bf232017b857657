#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
/* A chain of 3000 generations: each process forks one child and exits, so at most two are alive. */
int main(void) {
    for (int i = 0; i < 3000; i++) {
        pid_t pid = fork();
        if (pid < 0) { perror("fork"); return 1; }
        if (pid > 0) { _exit(0); }
    }
    printf("hello os\n");
    return 0;
}
