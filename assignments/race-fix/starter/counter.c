/* race-fix: two threads each add 1 to a shared counter ITERATIONS times.
 *
 * As given, the total is usually wrong: add_one() reads the counter, works a
 * little, then writes it back, and the two threads interleave between the
 * read and the write. Fix it with a pthread_mutex_t so that the program always
 * prints  total=2000000
 *
 * Build:  gcc -O0 -Wall -pthread -o counter counter.c
 */
#include <pthread.h>
#include <stdio.h>

#define THREADS 2
#define ITERATIONS 1000000
#define WORK 40                         /* steps of work between the read and the write */

static long counter = 0;
static int ready = 0;                   /* both threads start counting together */

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
        add_one();                      /* TODO: protect this with a mutex */
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
