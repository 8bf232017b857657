/* A real-time signal queues: two sigqueue() calls of SIGRTMIN+1 are two deliveries (a standard one would merge). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t received;
static volatile sig_atomic_t total;

static void on_rt(int sig, siginfo_t *info, void *ctx) {
    (void)sig; (void)ctx;
    received++;
    total += info->si_value.sival_int;
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_rt;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGRTMIN + 1, &sa, NULL);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGRTMIN + 1);
    sigprocmask(SIG_BLOCK, &block, &old);      /* both arrive while blocked: still two */
    pid_t pid = fork();
    if (pid == 0) {
        union sigval v;
        for (int i = 1; i <= 2; i++) {
            v.sival_int = i;
            sigqueue(getppid(), SIGRTMIN + 1, v);
        }
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("received %d total %d\n", (int)received, (int)total);
    return 0;
}
