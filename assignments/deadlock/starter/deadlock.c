/* deadlock: make two threads deadlock on two mutexes, while main waits for them in pthread_join. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;

static void *one(void *arg) {
    (void)arg;
    /* TODO: lock a, wait a little, then lock b */
    return NULL;
}

static void *two(void *arg) {
    (void)arg;
    /* TODO: lock the two mutexes in the other order */
    return NULL;
}

int main(void) {
    pthread_t t1, t2;
    pthread_create(&t1, NULL, one, NULL);
    pthread_create(&t2, NULL, two, NULL);
    /* TODO: wait for both threads */
    return 0;
}
