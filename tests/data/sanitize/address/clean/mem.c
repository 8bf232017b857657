/* Correct: every byte it touches is its own, and everything it allocates is freed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    char *name = malloc(8);
    if (name == NULL)
        return 1;
    strcpy(name, "os");
    int *squares = malloc(4 * sizeof *squares);
    for (int i = 0; i < 4; i++)
        squares[i] = i * i;
    printf("%s %d\n", name, squares[3]);
    free(squares);
    free(name);
    return 0;
}
