/* Every allocator the ltrace ledger pairs, with known sizes: what it allocates,
 * frees and leaks is written beside each call (tests/integration/test_ledger.py).
 * Leaked: 40 (realloc), 256 (aligned_alloc), 15 (strdup), 32 (new), 77 (new[]). */
#include <cstdio>
#include <cstdlib>
#include <cstring>

extern "C" __attribute__((noinline)) void sink(void *p) { __asm__ volatile("" : : "r"(p) : "memory"); }

/* realloc chain: 16 -> 32 -> 64 -> 128, finally freed */
__attribute__((noinline)) static void realloc_chain() {
    char *p = (char *)malloc(16);
    sink(p);
    for (size_t n = 32; n <= 128; n *= 2) {
        p = (char *)realloc(p, n);
        sink(p);
    }
    free(p);
}

/* realloc chain that leaks: 10 -> 20 -> 40 (40 bytes leaked) */
__attribute__((noinline)) static char *realloc_leak() {
    char *p = (char *)malloc(10);
    sink(p);
    p = (char *)realloc(p, 20);
    sink(p);
    p = (char *)realloc(p, 40);
    sink(p);
    return p;
}

/* NULL, where the compiler cannot see it (it would turn realloc(NULL, n) into malloc) */
__attribute__((noinline)) static char *nothing() {
    char *p = nullptr;
    __asm__ volatile("" : "+r"(p));
    return p;
}

/* realloc(NULL, n) = malloc; realloc(p, 0) = free (glibc) */
__attribute__((noinline)) static void realloc_edges() {
    char *p = (char *)realloc(nothing(), 48);
    sink(p);
    p = (char *)realloc(p, 0);
    sink(p);
}

__attribute__((noinline)) static void aligned() {
    void *a = nullptr;
    if (posix_memalign(&a, 64, 200) != 0) abort();
    sink(a);
    void *b = aligned_alloc(128, 256);  /* leaked: 256 bytes */
    sink(b);
    free(a);
}

__attribute__((noinline)) static void strings() {
    char *s = strdup("hello world");  /* 12 bytes, freed */
    sink(s);
    free(s);
    char *t = strdup("leaked string!");  /* 15 bytes, leaked */
    sink(t);
    char *u = (char *)calloc(7, 9);  /* 63, freed */
    sink(u);
    free(u);
}

struct Node { long v[4]; };  /* 32 bytes */

__attribute__((noinline)) static void cxx() {
    Node *n = new Node();        /* 32, freed */
    sink(n);
    delete n;
    int *arr = new int[25];      /* 100, freed */
    sink(arr);
    delete[] arr;
    Node *kept = new Node();     /* 32, leaked */
    sink(kept);
    char *buf = new char[77];    /* 77, leaked */
    sink(buf);
}

int main() {
    realloc_chain();
    sink(realloc_leak());
    realloc_edges();
    aligned();
    strings();
    cxx();
    return 0;
}
