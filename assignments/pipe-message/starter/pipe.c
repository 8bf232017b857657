/* pipe-message (C): the child sends a message to its parent through a pipe.
 *
 * 1. pipe(fds), then fork().
 * 2. The child writes  "hello from child <its pid>"  into the pipe and exits.
 * 3. The parent reads until read() returns 0 (end-of-file), prints
 *        parent got: hello from child <pid>
 *    and waits for the child.
 * Close the ends you do not use. read() returns 0 only when EVERY write end
 * is closed, including the parent's own copy.
 *
 * Build: gcc -Wall -o pipe pipe.c
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    /* TODO */
    return 0;
}
