/* Two threads wait for a signal forever; main joins the second one first. strace often splits the second
 * clone call into an unfinished and a resumed line: the joined thread's id word is then only in the
 * resumed half. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void *work(void *arg) {
    (void)arg;
    pause();
    return NULL;
}

int main(void) {
    pthread_t t1, t2;
    pthread_create(&t1, NULL, work, NULL);
    pthread_create(&t2, NULL, work, NULL);
    pthread_join(t2, NULL);
    pthread_join(t1, NULL);
    return 0;
}
