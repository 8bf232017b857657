/* Overflows an int in a child process; the parent then finds the log path in UBSAN_OPTIONS, tries to
 * list the log directory, and truncates the child's report file. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    (void)argv;
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        int big = 2147483647 - 1 + argc;
        big += argc;
        printf("%d\n", big);
        _exit(0);
    }
    waitpid(child, NULL, 0);
    const char *options = getenv("UBSAN_OPTIONS");
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
        char theirs[600];
        snprintf(theirs, sizeof theirs, "%s.%d", path, (int)child);
        int fd = open(theirs, O_WRONLY | O_TRUNC);
        printf("truncate: %s\n", fd >= 0 ? "ok" : strerror(errno));
    }
    return 0;
}
