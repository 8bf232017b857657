/* Faulty: the starter unchanged. counter++ races between the two threads. */
#include <pthread.h>
#include <stdio.h>

#define THREADS 2
#define ITERATIONS 10000000

static long counter = 0;
static int ready = 0;                   /* both threads start counting together */

static void *worker(void *arg)
{
    (void)arg;
    __atomic_add_fetch(&ready, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&ready, __ATOMIC_SEQ_CST) < THREADS)
        ;                               /* spin until every thread is here */
    for (long i = 0; i < ITERATIONS; i++) {
        counter++;                      /* TODO: protect this with a mutex */
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
