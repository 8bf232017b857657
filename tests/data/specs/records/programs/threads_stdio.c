/* Three threads printf without fflush; stdout is a pipe, so one flush at exit writes every line. */
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static void *work(void *arg) {
    printf("thread pid=%d tid=%ld\n", (int)getpid(), (long)syscall(SYS_gettid));
    return arg;
}

int main(void) {
    pthread_t t[3];
    for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, work, NULL);
    for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
    printf("main pid=%d tid=%ld done\n", (int)getpid(), (long)syscall(SYS_gettid));
    return 0;
}
