/* Correct: the sum fits in a long long and the shift stays inside an unsigned int. */
#include <stdio.h>

int main(void)
{
    long long total = 0;
    for (int i = 0; i < 100000; i++)
        total += i;
    unsigned int mask = 1u << 31;
    printf("%lld %u\n", total, mask);
    return 0;
}
