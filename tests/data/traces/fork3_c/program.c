#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

/* Fork into three processes; each prints "hello os" once. */
int main(void) {
    for (int i = 0; i < 2; i++)
        if (fork() == 0)
            break;
    printf("hello os\n");
    while (wait(NULL) > 0)
        ;
    return 0;
}
