/* Faulty: both threads take the mutexes in the same order (a, then b): one waits a moment for the other,
 * then both finish: no deadlock, the program ends on its own. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;

static void *one(void *arg) {
    (void)arg;
    pthread_mutex_lock(&a);
    usleep(100000);            /* let the other thread take b */
    pthread_mutex_lock(&b);    /* waits for two, which waits for a */
    printf("one got both\n");
    pthread_mutex_unlock(&b);
    pthread_mutex_unlock(&a);
    return NULL;
}

static void *two(void *arg) {
    (void)arg;
    pthread_mutex_lock(&a);
    usleep(100000);
    pthread_mutex_lock(&b);
    printf("two got both\n");
    pthread_mutex_unlock(&b);
    pthread_mutex_unlock(&a);
    return NULL;
}

int main(void) {
    pthread_t t1, t2;
    pthread_create(&t1, NULL, one, NULL);
    pthread_create(&t2, NULL, two, NULL);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    printf("no deadlock\n");
    return 0;
}
