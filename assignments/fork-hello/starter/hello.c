/* fork-hello (C): make three processes that each print "hello os" once.
 *
 * The parent forks two children. Each of the three processes prints
 *     hello os
 * exactly once, and the parent waits for both children.
 * Output on a pipe is fully buffered: fflush(stdout) before fork().
 *
 * Build: gcc -Wall -o hello hello.c
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    /* TODO */
    return 0;
}
