/* main joins a thread that waits for a signal that never comes: the run hangs in pthread_join. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void *work(void *arg) {
    (void)arg;
    pause();
    return NULL;
}

int main(void) {
    pthread_t t;
    pthread_create(&t, NULL, work, NULL);
    pthread_join(t, NULL);
    printf("never printed\n");
    return 0;
}
