/* Faulty: the parent prints first and forks without fflush. On a pipe the line is
 * still in stdout's buffer, so both children inherit it and print it again: 5 lines. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    printf("hello os\n");
    for (int i = 0; i < 2; i++) {
        if (fork() == 0) {
            printf("hello os\n");
            exit(0);            /* exit() flushes: the inherited line and its own */
        }
    }
    while (wait(NULL) > 0)
        ;
    return 0;
}
