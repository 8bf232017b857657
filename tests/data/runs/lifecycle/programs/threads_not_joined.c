/* Two threads that would work 0.3 s each; main returns at once without joining: exit_group ends them. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void *work(void *arg) {
    usleep(300000);
    printf("thread %ld done\n", (long)arg);
    return NULL;
}

int main(void) {
    pthread_t t[2];
    for (long i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, work, (void *)i);
    usleep(50000);
    printf("main done\n");
    return 0;
}
