/* Uses of uninitialized memory, one case per name in argv[1], for
 * MemorySanitizer with origin tracking. Built and run by generate_tools.py. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPAQUE(p) __asm__ volatile("" : "+r"(p) : : "memory")

struct record { int id; int flags; };

__attribute__((noinline)) int check(int value) {
    if (value > 10) {
        puts("large");
        return 1;
    }
    return 0;
}

__attribute__((noinline)) void copy_record(struct record *to, const struct record *from) {
    memcpy(to, from, sizeof *to);
}

__attribute__((noinline)) int heap_origin(void) {
    struct record *fresh = malloc(sizeof *fresh);
    struct record copy;
    copy_record(&copy, fresh);
    int r = check(copy.flags);
    free(fresh);
    return r;
}

__attribute__((noinline)) int stack_origin(void) {
    int local[4];
    int *p = local;
    OPAQUE(p);
    return check(p[2]);
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    if (!strcmp(argv[1], "heap_origin")) return heap_origin();
    if (!strcmp(argv[1], "stack_origin")) return stack_origin();
    return 2;
}
