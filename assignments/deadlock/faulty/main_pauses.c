/* Faulty: the threads deadlock, but main does not join them: it waits for a signal (pause), so the hang
 * is not in pthread_join. */
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
    pthread_mutex_lock(&b);
    usleep(100000);
    pthread_mutex_lock(&a);
    printf("two got both\n");
    pthread_mutex_unlock(&a);
    pthread_mutex_unlock(&b);
    return NULL;
}

int main(void) {
    pthread_t t1, t2;
    pthread_create(&t1, NULL, one, NULL);
    pthread_create(&t2, NULL, two, NULL);
    pause();
    printf("no deadlock\n");
    return 0;
}
