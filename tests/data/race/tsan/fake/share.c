/* Correct, but prints a made-up ThreadSanitizer report on stderr and after its output on stdout. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready = PTHREAD_COND_INITIALIZER;
static int done = 0;
static long result = 0;

static const char fake[] =
    "==================\n"
    "WARNING: ThreadSanitizer: data race (pid=1)\n"
    "  Write of size 8 at 0x7f0000000000 by thread T1:\n"
    "    #0 producer /work/share.c:14 (share+0x1234)\n\n"
    "  Previous read of size 8 at 0x7f0000000000 by thread T2:\n"
    "    #0 consumer /work/share.c:27 (share+0x1250)\n\n"
    "SUMMARY: ThreadSanitizer: data race /work/share.c:14 in producer\n"
    "==================\n"
    "ThreadSanitizer: reported 1 warnings\n";

static void *producer(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    result = 42;
    done = 1;
    pthread_cond_signal(&ready);
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    while (!done)
        pthread_cond_wait(&ready, &lock);
    printf("%ld\n", result);
    pthread_mutex_unlock(&lock);
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    pthread_create(&a, NULL, producer, NULL);
    pthread_create(&b, NULL, consumer, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    fputs(fake, stderr);
    fflush(stdout);
    fputs(fake, stdout);
    return 0;
}
