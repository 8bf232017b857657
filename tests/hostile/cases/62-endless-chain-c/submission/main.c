/* An endless fork chain: each process forks one child and exits at once, so at any moment only one or
   two processes of the program are alive, and a list of /proc read a moment ago names none of them. */
#include <unistd.h>

int main(void) {
    for (;;) {
        pid_t child = fork();
        if (child > 0)
            _exit(0);
    }
}
