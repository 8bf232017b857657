/* Shifts a 32-bit int by 32 bits (undefined: the count must be below the type's width). */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    int bits = argc > 1 ? atoi(argv[1]) : 32;
    int mask = 1 << bits;
    printf("%d\n", mask);
    return 0;
}
