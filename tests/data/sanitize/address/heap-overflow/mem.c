/* Writes one int past the end of a heap array (the loop runs to <= 4). */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    int *squares = malloc(4 * sizeof *squares);
    if (squares == NULL)
        return 1;
    for (int i = 0; i <= 4; i++)
        squares[i] = i * i;
    printf("%d\n", squares[3]);
    free(squares);
    return 0;
}
