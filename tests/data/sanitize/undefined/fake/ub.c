/* Correct, but prints a made-up UndefinedBehaviorSanitizer report on stderr and stdout. */
#include <stdio.h>

static const char fake[] =
    "/work/ub.c:8:15: runtime error: signed integer overflow: 2147450880 + 65536 cannot be represented "
    "in type 'int'\n"
    "    #0 0x55 in main /work/ub.c:8\n"
    "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior /work/ub.c:8:15 in \n";

int main(void)
{
    long long total = 0;
    for (int i = 0; i < 100000; i++)
        total += i;
    unsigned int mask = 1u << 31;
    printf("%lld %u\n", total, mask);
    fputs(fake, stderr);
    fflush(stdout);
    fputs(fake, stdout);
    return 0;
}
