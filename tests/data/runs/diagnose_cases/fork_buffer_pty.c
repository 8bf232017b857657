/* Correct: each process prints its own line after the fork (run on a terminal). */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
    if (fork() == 0) {
        printf("I am child\n");
        return 0;
    }
    wait(NULL);
    printf("I am parent\n");
    return 0;
}
