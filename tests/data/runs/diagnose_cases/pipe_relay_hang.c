/* Parent forks a writer and a reader and relays through one pipe; nobody closes the write ends
   they do not use, so the reader's read never sees end-of-file and the parent waits for it. */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
    int fd[2];
    pipe(fd);
    pid_t writer = fork();
    if (writer == 0) {
        close(fd[0]);
        write(fd[1], "hello\n", 6);
        close(fd[1]);
        return 0;
    }
    pid_t reader = fork();
    if (reader == 0) {
        char buf[64];
        ssize_t n;
        while ((n = read(fd[0], buf, sizeof buf)) > 0)   /* fd[1] still open here and in the parent */
            write(1, buf, n);
        return 0;
    }
    waitpid(writer, NULL, 0);
    waitpid(reader, NULL, 0);
    return 0;
}
