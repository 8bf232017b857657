/* Two children made with CLONE_UNTRACED print "hello os" where strace -f cannot see them: their
   lines would be credited to whoever the log names. The sandbox refuses the flag (EPERM). */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
static char stacks[2][65536];
static int child(void *arg) { (void)arg; printf("hello os\n"); fflush(stdout); return 0; }
int main(void) {
    for (int i = 0; i < 2; i++)
        clone(child, stacks[i] + sizeof stacks[i], CLONE_UNTRACED | SIGCHLD, NULL);
    printf("hello os\n");
    fflush(stdout);
    while (wait(NULL) > 0) {}
    return 0;
}
