/* Allocates a block per loop and never frees them; the last pointer is dropped too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *copy(const char *text)
{
    char *out = malloc(strlen(text) + 1);
    if (out != NULL)
        strcpy(out, text);
    return out;
}

int main(void)
{
    for (int i = 0; i < 3; i++) {
        char *word = copy("leaked");
        printf("%s %d\n", word, i);
    }
    return 0;
}
