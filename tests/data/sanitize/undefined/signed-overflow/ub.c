/* Sums into an int: the total passes INT_MAX (signed overflow is undefined behaviour). */
#include <stdio.h>

int main(void)
{
    int total = 0;
    for (int i = 0; i < 100000; i++)
        total += i;
    printf("%d\n", total);
    return 0;
}
