/* Two threads that work 0.1 s each; main joins both before it returns. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void *work(void *arg) {
    usleep(100000);
    printf("thread %ld done\n", (long)arg);
    fflush(stdout);
    return NULL;
}

int main(void) {
    pthread_t t[2];
    for (long i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, work, (void *)i);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    printf("main done\n");
    return 0;
}
