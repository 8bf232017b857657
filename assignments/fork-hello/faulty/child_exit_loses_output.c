/* Faulty: the children print and leave with _exit(), which does not flush stdio.
 * On a terminal stdout is line-buffered and it works; on a pipe their lines are lost. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    for (int i = 0; i < 2; i++) {
        if (fork() == 0) {
            printf("hello os\n");
            _exit(0);
        }
    }
    printf("hello os\n");
    while (wait(NULL) > 0)
        ;
    return 0;
}
