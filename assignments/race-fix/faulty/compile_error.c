/* Faulty: does not compile (the mutex is used under a name never declared). */
#include <pthread.h>
#include <stdio.h>

#define THREADS 2
#define ITERATIONS 1000000
#define WORK 40                         /* steps of work between the read and the write */

static long counter = 0;
static int ready = 0;
static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;

/* counter = counter + 1, the long way: read, work, write. */
static void add_one(void)
{
    volatile long work = 0;
    long value = counter;               /* read */
    for (int k = 0; k < WORK; k++)      /* some work between the read and the write */
        work += k;
    counter = value + 1;                /* write */
}

static void *worker(void *arg)
{
    (void)arg;
    __atomic_add_fetch(&ready, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&ready, __ATOMIC_SEQ_CST) < THREADS)
        ;                               /* spin until every thread is here */
    for (long i = 0; i < ITERATIONS; i++) {
        pthread_mutex_lock(&lock);
        add_one();
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

int main(void)
{
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&threads[i], NULL, worker, NULL);
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    printf("total=%ld\n", counter);
    return 0;
}
