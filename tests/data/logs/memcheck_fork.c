/* A parent and its child making memcheck errors at the same time, run with
 * --trace-children=yes: both write to one terminal, and their lines
 * interleave. Built and run by generate_tools.py. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define OPAQUE(p) __asm__ volatile("" : "+r"(p) : : "memory")

/* One function per error, so that memcheck reports each (it reports an error
 * context once): the parent reads past a block, the child reads a freed one. */
#define ERRORS(n)                                                                  \
    __attribute__((noinline)) int parent_##n(void) {                               \
        int *block = malloc(8);                                                    \
        OPAQUE(block);                                                             \
        int value = block[2];                                                      \
        free(block);                                                               \
        return value;                                                              \
    }                                                                              \
    __attribute__((noinline)) int child_##n(void) {                                \
        char *block = malloc(4);                                                   \
        free(block);                                                               \
        OPAQUE(block);                                                             \
        return block[1];                                                           \
    }

ERRORS(0)
ERRORS(1)
ERRORS(2)
ERRORS(3)
ERRORS(4)
ERRORS(5)
ERRORS(6)
ERRORS(7)
ERRORS(8)
ERRORS(9)
ERRORS(10)
ERRORS(11)

static int (*const parent_errors[])(void) = {
    parent_0, parent_1, parent_2, parent_3, parent_4, parent_5,
    parent_6, parent_7, parent_8, parent_9, parent_10, parent_11,
};
static int (*const child_errors[])(void) = {
    child_0, child_1, child_2, child_3, child_4, child_5,
    child_6, child_7, child_8, child_9, child_10, child_11,
};

int main(void) {
    int ready[2];
    char go = 0;
    if (pipe(ready) != 0) return 2;
    pid_t child = fork();
    /* Both start making errors when the child is up. */
    if (child == 0) {
        if (write(ready[1], &go, 1) != 1) return 2;
    } else if (read(ready[0], &go, 1) != 1) {
        return 2;
    }
    int (*const *errors)(void) = child == 0 ? child_errors : parent_errors;
    int sum = 0;
    for (int i = 0; i < 12; i++) sum += errors[i]();
    if (child != 0) waitpid(child, NULL, 0);
    return sum & 1;
}
