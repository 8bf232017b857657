/* Faulty: frees the array after printing it, then reads it again for the sum. */
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
    for (int i = 0; i < COUNT; i++)
        printf(i ? " %d" : "%d", squares[i]);
    free(squares);
    int sum = 0;
    for (int i = 0; i < COUNT; i++)
        sum += squares[i];
    printf("\nsum=%d\n", sum);
    return 0;
}
