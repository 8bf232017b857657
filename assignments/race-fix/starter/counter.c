/* race-fix: two threads each add 1 to a shared counter ITERATIONS times.
 *
 * As given, the total is usually wrong: counter++ is a load, an add and a
 * store, and the two threads interleave between them. Fix it with a
 * pthread_mutex_t so that the program always prints  total=2000000
 *
 * Build:  gcc -O0 -Wall -pthread -o counter counter.c
 */
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
