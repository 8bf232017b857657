/* Reference solution. Marker that must never be readable inside the sandbox: R3F-S0LUT10N-ZK9 */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    for (int i = 0; i < 2; i++) {
        if (fork() == 0) {
            printf("hello os\n");
            fflush(stdout);
            _exit(0);
        }
    }
    printf("hello os\n");
    fflush(stdout);
    while (wait(NULL) > 0) {}
    return 0;
}
