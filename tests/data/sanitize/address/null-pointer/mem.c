/* Writes through a NULL pointer. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    (void)argv;
    int *slot = argc > 5 ? malloc(sizeof *slot) : NULL;
    *slot = 7;
    printf("%d\n", *slot);
    return 0;
}
