/* Faulty: the sum is in a long long now, but 1 << 31 still shifts into the sign bit of an int. */
#include <stdio.h>

int main(void)
{
    long long sum = 0;
    for (int i = 0; i < 100000; i++)
        sum += i;
    int mask = 1 << 31;
    printf("sum=%lld\nmask=%u\n", sum, (unsigned int)mask);
    return 0;
}
