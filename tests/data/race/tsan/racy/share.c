/* A producer thread sets a result, then a flag; a consumer spins on the flag, then prints the result.
 * Neither is protected: both are data races (the flag at lines 12 and 19, the result at 11 and 21). */
#include <pthread.h>
#include <stdio.h>

static int done = 0;
static long result = 0;

static void *producer(void *arg)
{
    (void)arg;
    result = 42;
    done = 1;
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    while (!done)
        ;
    printf("%ld\n", result);
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    pthread_create(&a, NULL, producer, NULL);
    pthread_create(&b, NULL, consumer, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    return 0;
}
