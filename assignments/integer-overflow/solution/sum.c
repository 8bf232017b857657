/* integer-overflow reference: the sum in a long long, the mask as an unsigned shift. */
#include <stdio.h>

int main(void)
{
    long long sum = 0;
    for (int i = 0; i < 100000; i++)
        sum += i;
    unsigned int mask = 1u << 31;
    printf("sum=%lld\nmask=%u\n", sum, mask);
    return 0;
}
