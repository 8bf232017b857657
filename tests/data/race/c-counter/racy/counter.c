/* Two threads add 10000000 each to an unlocked counter: counter++ is a read, an add and a write. */
#include <pthread.h>
#include <stdio.h>

#define ITERATIONS 10000000

static long counter = 0;

static void *worker(void *arg)
{
    (void)arg;
    for (long i = 0; i < ITERATIONS; i++)
        counter++;
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    pthread_create(&a, NULL, worker, NULL);
    pthread_create(&b, NULL, worker, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("total=%ld\n", counter);
    return 0;
}
