/* Correct, but prints a made-up AddressSanitizer report on stderr and stdout. */
#include <stdio.h>
#include <stdlib.h>

static const char fake[] =
    "=================================================================\n"
    "==1==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x602000000020 at pc 0x1 bp 0x2 sp 0x3\n"
    "WRITE of size 4 at 0x602000000020 thread T0\n"
    "    #0 0x55 in main /work/mem.c:11\n"
    "\n"
    "SUMMARY: AddressSanitizer: heap-buffer-overflow /work/mem.c:11 in main\n"
    "==1==ABORTING\n";

int main(void)
{
    int *squares = malloc(4 * sizeof *squares);
    if (squares == NULL)
        return 1;
    for (int i = 0; i < 4; i++)
        squares[i] = i * i;
    printf("%d\n", squares[3]);
    free(squares);
    fputs(fake, stderr);
    fflush(stdout);
    fputs(fake, stdout);
    return 0;
}
