/* Faulty: the threads never touch the mutexes; each sleeps "forever". The program hangs, but in a sleep,
 * not in a deadlock (main does wait in pthread_join). */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void *work(void *arg) {
    (void)arg;
    sleep(100);
    return NULL;
}

int main(void) {
    pthread_t t1, t2;
    pthread_create(&t1, NULL, work, NULL);
    pthread_create(&t2, NULL, work, NULL);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    printf("no deadlock\n");
    return 0;
}
