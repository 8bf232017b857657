/* Frees the same block twice. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    char *line = malloc(16);
    if (line == NULL)
        return 1;
    line[0] = 'x';
    free(line);
    free(line);
    puts("done");
    return 0;
}
