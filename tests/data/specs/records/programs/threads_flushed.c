/* Three threads printf and fflush each line: each thread's write is its own. */
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *work(void *arg) {
    pthread_mutex_lock(&lock);
    printf("thread pid=%d tid=%ld\n", (int)getpid(), (long)syscall(SYS_gettid));
    fflush(stdout);
    pthread_mutex_unlock(&lock);
    return arg;
}

int main(void) {
    pthread_t t[3];
    for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, work, NULL);
    for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
    printf("main pid=%d tid=%ld done\n", (int)getpid(), (long)syscall(SYS_gettid));
    return 0;
}
