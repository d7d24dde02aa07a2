/* Undefined behaviour, one case per name in argv[1]; "several" runs the
 * recoverable ones in one process. Built and run by generate_tools.py. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

volatile int big = 2147483647;
volatile int forty = 40;
volatile int minus = -1;
volatile int zero = 0;
volatile int ten = 10;
volatile int minus_two = -2;
volatile double dzero = 0.0;
volatile double huge = 1e20;

struct point { int x; int y; };
int table[4];

#define OPAQUE(p) __asm__ volatile("" : "+r"(p) : : "memory")

__attribute__((noinline)) int signed_overflow(void) { return big + 1; }
__attribute__((noinline)) int shift_exponent(void) { return 1 << forty; }
__attribute__((noinline)) int shift_base(void) { return minus << 3; }
__attribute__((noinline)) int misaligned_load(void) {
    char buffer[16] = {0};
    char *p = buffer + 1;
    OPAQUE(p);
    return *(int *)p;
}
__attribute__((noinline)) int *null_member(void) {
    struct point *p = NULL;
    OPAQUE(p);
    return &p->y;
}
__attribute__((noinline)) int null_load(void) {
    int *p = NULL;
    OPAQUE(p);
    return *p;
}
__attribute__((noinline)) int index_out_of_bounds(void) { return table[ten]; }
__attribute__((noinline)) int divide_by_zero(void) { return ten / zero; }
__attribute__((noinline)) double float_divide_by_zero(void) { return 1.0 / dzero; }
__attribute__((noinline)) int float_cast_overflow(void) { return (int)huge; }
__attribute__((noinline)) int vla_bound(void) {
    int n = minus_two;
    char vla[n];
    char *q = vla;
    OPAQUE(q);
    return (int)sizeof(vla);
}
__attribute__((noinline)) int bool_load(void) {
    unsigned char raw = 7;
    _Bool *b = (_Bool *)&raw;
    OPAQUE(b);
    return *b ? 1 : 0;
}
__attribute__((noinline)) char *pointer_overflow(void) {
    char *p = NULL;
    OPAQUE(p);
    return p + ten;
}
__attribute__((nonnull)) __attribute__((noinline)) size_t takes_nonnull(const char *s) {
    (void)s;
    return 1;
}
__attribute__((noinline)) size_t nonnull_argument(void) {
    const char *p = NULL;
    OPAQUE(p);
    return takes_nonnull(p);
}
__attribute__((noinline)) int unreachable(void) {
    if (ten == 10) __builtin_unreachable();
    return 0;
}

/* clang's -fsanitize=implicit-conversion: the runtime names each check in the
 * SUMMARY line under report_error_type=1. */
volatile int three_hundred = 300;
__attribute__((noinline)) int implicit_conversion(void) {
    unsigned char signed_truncation = three_hundred;
    signed char both = (unsigned)three_hundred;
    unsigned sign_change = minus;
    unsigned char unsigned_truncation = (unsigned)three_hundred;
    return signed_truncation + both + (int)sign_change + unsigned_truncation;
}

static void run(const char *name) {
    if (!strcmp(name, "signed_overflow")) printf("%d\n", signed_overflow());
    else if (!strcmp(name, "shift_exponent")) printf("%d\n", shift_exponent());
    else if (!strcmp(name, "shift_base")) printf("%d\n", shift_base());
    else if (!strcmp(name, "misaligned_load")) printf("%d\n", misaligned_load());
    else if (!strcmp(name, "null_member")) printf("%p\n", (void *)null_member());
    else if (!strcmp(name, "null_load")) printf("%d\n", null_load());
    else if (!strcmp(name, "index_out_of_bounds")) printf("%d\n", index_out_of_bounds());
    else if (!strcmp(name, "divide_by_zero")) printf("%d\n", divide_by_zero());
    else if (!strcmp(name, "float_divide_by_zero")) printf("%f\n", float_divide_by_zero());
    else if (!strcmp(name, "float_cast_overflow")) printf("%d\n", float_cast_overflow());
    else if (!strcmp(name, "vla_bound")) printf("%d\n", vla_bound());
    else if (!strcmp(name, "bool_load")) printf("%d\n", bool_load());
    else if (!strcmp(name, "pointer_overflow")) printf("%p\n", (void *)pointer_overflow());
    else if (!strcmp(name, "nonnull_argument")) printf("%zu\n", nonnull_argument());
    else if (!strcmp(name, "unreachable")) printf("%d\n", unreachable());
    else if (!strcmp(name, "implicit_conversion")) printf("%d\n", implicit_conversion());
    else fprintf(stderr, "unknown case %s\n", name);
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    if (strcmp(argv[1], "several") == 0) {
        const char *cases[] = {"signed_overflow", "shift_exponent", "shift_base",
                               "misaligned_load", "null_member", "index_out_of_bounds",
                               "vla_bound", "bool_load", "pointer_overflow"};
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
            printf("case %s\n", cases[i]);
            fflush(stdout);
            run(cases[i]);
            fflush(stdout);
        }
        return 0;
    }
    run(argv[1]);
    return 0;
}
