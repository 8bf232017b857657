/* Copies 5 ints into a local array of 4. */
#include <stdio.h>

int main(void)
{
    int squares[4];
    for (int i = 0; i <= 4; i++)
        squares[i] = i * i;
    printf("%d\n", squares[3]);
    return 0;
}
