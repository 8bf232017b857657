/* Reads a node after freeing it. */
#include <stdio.h>
#include <stdlib.h>

struct node {
    long value;
    struct node *next;
};

int main(void)
{
    struct node *head = malloc(sizeof *head);
    if (head == NULL)
        return 1;
    head->value = 9;
    head->next = NULL;
    free(head);
    printf("%ld\n", head->value);
    return 0;
}
