/* Faulty: the starter unchanged. counter++ races between the two threads. */
#include <pthread.h>
#include <stdio.h>

#define THREADS 2
#define ITERATIONS 1000000

static long counter = 0;

static void *worker(void *arg)
{
    (void)arg;
    for (long i = 0; i < ITERATIONS; i++)
        counter++;                      /* TODO: protect this with a mutex */
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
