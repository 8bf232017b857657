// C++: a function whose name has spaces in its demangled form writes past the end of a new[] array.
#include <cstdio>

static void fill(int *squares, int count)
{
    for (int i = 0; i <= count; i++)
        squares[i] = i * i;
}

int main()
{
    int *squares = new int[4];
    fill(squares, 4);
    std::printf("%d\n", squares[3]);
    delete[] squares;
    return 0;
}
