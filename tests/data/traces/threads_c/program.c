#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Three pthreads in one process, each prints once. */
static void *work(void *arg) {
    printf("thread %ld tid %ld\n", (long)arg, (long)syscall(SYS_gettid));
    fflush(stdout);
    return NULL;
}

int main(void) {
    pthread_t t[3];
    for (long i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, work, (void *)i);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    printf("main done\n");
    return 0;
}
