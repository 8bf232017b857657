/* CS:APP fork14: SIGCHLD signals do not queue, so a handler that reaps one child per signal
   reaps fewer children than ended, and the parent's pause() loop waits for a signal that never
   comes. SIGCHLD is blocked while the children end so that their signals surely merge into one. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#define N 5
volatile sig_atomic_t ccount = 0;
void child_handler(int sig) {
    (void)sig;
    if (wait(NULL) > 0)
        ccount--;
}
int main(void) {
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    ccount = N;
    signal(SIGCHLD, child_handler);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    for (int i = 0; i < N; i++)
        if (fork() == 0)
            exit(0);
    sleep(1);                               /* every child has ended by now */
    sigprocmask(SIG_UNBLOCK, &chld, NULL);  /* one SIGCHLD is delivered for all five */
    while (ccount > 0)
        pause();
    return 0;
}
