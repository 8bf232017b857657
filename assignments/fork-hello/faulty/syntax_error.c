/* Faulty: a syntax error (a missing semicolon): gcc stops, nothing runs. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    for (int i = 0; i < 2; i++) {
        fflush(stdout);
        if (fork() == 0) {
            printf("hello os\n")
            fflush(stdout);
            _exit(0);
        }
    }
    printf("hello os\n");
    while (wait(NULL) > 0)
        ;
    return 0;
}
