/* Racy, and at the end it tries to erase the sanitizer's report: it finds the log path in TSAN_OPTIONS,
 * tries to list the log directory, then truncates its own report file. */
#include <pthread.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    const char *options = getenv("TSAN_OPTIONS");
    const char *at = options ? strstr(options, "log_path=") : NULL;
    if (at != NULL) {
        char path[512];
        snprintf(path, sizeof path, "%s", at + strlen("log_path="));
        char *end = strchr(path, ':');
        if (end != NULL)
            *end = 0;
        char dir[512];
        snprintf(dir, sizeof dir, "%s", path);
        *strrchr(dir, '/') = 0;
        DIR *listing = opendir(dir);
        printf("list: %s\n", listing ? "ok" : strerror(errno));
        char mine[600];
        snprintf(mine, sizeof mine, "%s.%d", path, (int)getpid());
        int fd = open(mine, O_WRONLY | O_TRUNC);
        printf("truncate: %s\n", fd >= 0 ? "ok" : strerror(errno));
    }
    return 0;
}
