/* memory-safety reference: room for all five squares, each block freed once, after its last use. */
#include <stdio.h>
#include <stdlib.h>

#define COUNT 5

int main(void)
{
    int *squares = malloc(COUNT * sizeof *squares);
    if (squares == NULL)
        return 1;
    for (int i = 0; i < COUNT; i++)
        squares[i] = i * i;
    int sum = 0;
    for (int i = 0; i < COUNT; i++) {
        printf(i ? " %d" : "%d", squares[i]);
        sum += squares[i];
    }
    printf("\nsum=%d\n", sum);
    free(squares);
    return 0;
}
