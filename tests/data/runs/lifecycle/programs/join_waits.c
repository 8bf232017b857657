/* main joins a thread that is still sleeping: pthread_join waits in futex on the thread's tid word. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void *work(void *arg) {
    (void)arg;
    usleep(200000);
    return NULL;
}

int main(void) {
    pthread_t t;
    pthread_create(&t, NULL, work, NULL);
    pthread_join(t, NULL);
    printf("joined\n");
    return 0;
}
