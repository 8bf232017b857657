/* A consumer thread waits on a condition variable for the producer (main) to hand it an item.
 * It waits only while the item is not there, so a signal sent before it waits is not lost. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready_cv = PTHREAD_COND_INITIALIZER;
static int item = 0;

static void *consumer(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    while (item == 0)                      /* the predicate, checked under the lock */
        pthread_cond_wait(&ready_cv, &lock);
    printf("consumer: got %d\n", item);
    pthread_mutex_unlock(&lock);
    return NULL;
}

int main(void)
{
    pthread_t t;
    setvbuf(stdout, NULL, _IONBF, 0);
    pthread_create(&t, NULL, consumer, NULL);
    pthread_mutex_lock(&lock);
    item = 42;
    pthread_cond_signal(&ready_cv);
    pthread_mutex_unlock(&lock);
    printf("producer: item ready\n");
    pthread_join(t, NULL);
    return 0;
}
