/* Reads one element past the end of a global table. */
#include <stdio.h>

int table[4] = {1, 2, 3, 4};

int main(int argc, char **argv)
{
    (void)argv;
    printf("%d\n", table[3 + argc]);
    return 0;
}
