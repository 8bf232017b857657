/* Faulty: the mutex is right, but main prints without joining the threads.
 * It prints long before they finish (and returning from main kills them). */
#include <pthread.h>
#include <stdio.h>

#define THREADS 2
#define ITERATIONS 1000000

static long counter = 0;
static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg)
{
    (void)arg;
    for (long i = 0; i < ITERATIONS; i++) {
        pthread_mutex_lock(&counter_lock);
        counter++;
        pthread_mutex_unlock(&counter_lock);
    }
    return NULL;
}

int main(void)
{
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&threads[i], NULL, worker, NULL);
    printf("total=%ld\n", counter);
    return 0;
}
