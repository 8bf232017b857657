#include <pthread.h>
#include <stdio.h>
/* 10,000 threads, a few at a time: each starts, prints nothing, and is joined. */
static void *work(void *arg) { return arg; }
int main(void) {
    for (int i = 0; i < 10000; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, work, NULL) != 0) { perror("pthread_create"); return 1; }
        pthread_join(t, NULL);
    }
    printf("hello os\n");
    return 0;
}
