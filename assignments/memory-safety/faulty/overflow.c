/* Faulty: the starter unchanged. The array has room for COUNT - 1 squares and the loop stores COUNT.
 *
 * As given, the program writes past the end of its array: it allocates room for
 * COUNT - 1 ints and stores COUNT. Without a sanitizer it usually prints the right
 * numbers anyway. Fix it so that every byte it touches is its own, and free the
 * array exactly once, after its last use.
 *
 * Build:  gcc -O0 -Wall -o list list.c   (the grader adds -fsanitize=address -g)
 */
#include <stdio.h>
#include <stdlib.h>

#define COUNT 5

int main(void)
{
    int *squares = malloc((COUNT - 1) * sizeof *squares);
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
