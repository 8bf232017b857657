/* Faulty: the starter unchanged. The sum passes INT_MAX in an int, and 1 << 31 overflows an int.
 *
 * As given, the sum is kept in an int: it passes INT_MAX (2147483647), and a
 * signed overflow is undefined behaviour in C (the compiler may assume it never
 * happens). The mask shifts 1 into the sign bit of an int, which is undefined
 * too. Fix both: print
 *     sum=4999950000
 *     mask=2147483648
 *
 * Build:  gcc -O0 -Wall -o sum sum.c   (the grader adds -fsanitize=undefined -g)
 */
#include <stdio.h>

int main(void)
{
    int sum = 0;
    for (int i = 0; i < 100000; i++)
        sum += i;
    int mask = 1 << 31;
    printf("sum=%d\nmask=%u\n", sum, (unsigned int)mask);
    return 0;
}
