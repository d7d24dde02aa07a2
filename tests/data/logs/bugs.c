/* Programs with known memory bugs, one per case name in argv[1].
 * Built and run by generate.py to record what real sanitizer runtimes print. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sanitizer/asan_interface.h>

char global_array[10];
volatile int zero = 0;
volatile long minus_one = -1;

/* Hides a pointer from the optimizer so that the buggy access really happens. */
#define OPAQUE(p) __asm__ volatile("" : "+r"(p) : : "memory")

struct node { struct node *next; char payload[24]; };
struct node *leaked_root;

__attribute__((noinline)) int heap_overflow_read(void) {
    int *p = malloc(10 * sizeof(int));
    int v = p[10];
    free(p);
    return v;
}

__attribute__((noinline)) void heap_overflow_write(void) {
    char *p = malloc(16);
    OPAQUE(p);
    p[16] = 'x';
    OPAQUE(p);
    free(p);
}

__attribute__((noinline)) int heap_underflow(void) {
    char *p = malloc(16);
    int v = p[-1];
    free(p);
    return v;
}

__attribute__((noinline)) int stack_overflow_buf(int i) {
    int arr[4] = {0};
    int *p = arr;
    OPAQUE(p);
    return p[i];
}

__attribute__((noinline)) int global_overflow(int i) { return global_array[i]; }

__attribute__((noinline)) int dynamic_stack(int n) {
    char *buf = __builtin_alloca(n);
    memset(buf, 0, n);
    return buf[n + zero];
}

__attribute__((noinline)) int use_after_free(void) {
    char *p = malloc(32);
    free(p);
    return p[5];
}

__attribute__((noinline)) void double_free(void) {
    char *p = malloc(8);
    OPAQUE(p);
    free(p);
    OPAQUE(p);
    free(p);
}

__attribute__((noinline)) void bad_free(void) {
    int local = 1;
    int *p = &local;
    OPAQUE(p);
    free(p);
}

__attribute__((noinline)) int use_after_scope(void) {
    int *p;
    {
        int inner = 7;
        p = &inner;
        OPAQUE(p);
    }
    OPAQUE(p);
    return *p;
}

__attribute__((noinline)) int *escape_local(void) {
    int local[4] = {1, 2, 3, 4};
    int *volatile p = local;
    return p;
}

__attribute__((noinline)) int use_after_return(void) { return escape_local()[1]; }

__attribute__((noinline)) void memcpy_overlap(void) {
    char buf[32] = "0123456789abcdef";
    char *dst = buf + 2;
    OPAQUE(dst);
    memcpy(dst, buf, 10);
    OPAQUE(dst);
}

__attribute__((noinline)) void strcpy_overlap(void) {
    char buf[32] = "overlapping";
    strcpy(buf + zero + 1, buf);
}

__attribute__((noinline)) void *calloc_overflow(void) { return calloc((size_t)minus_one, 16); }

__attribute__((noinline)) void *alloc_too_big(void) { return malloc((size_t)minus_one - 16); }

__attribute__((noinline)) void negative_size(void) {
    char a[8], b[8];
    char *dst = a;
    OPAQUE(dst);
    void *(*volatile copy)(void *, const void *, size_t) = memcpy;
    copy(dst, b, (size_t)minus_one);
    OPAQUE(dst);
}

__attribute__((noinline)) int segv_null(int *p) { return p[zero]; }

__attribute__((noinline)) void segv_wild_write(void) { *(volatile int *)0x7fff12345678UL = 1; }

__attribute__((noinline)) int fpe(int a) { return a / zero; }

__attribute__((noinline)) int recurse(int n) {
    volatile char pad[256];
    pad[0] = (char)n;
    return recurse(n + 1) + pad[0];
}

__attribute__((noinline)) void make_leaks(void) {
    struct node *a = malloc(sizeof *a);
    a->next = malloc(sizeof *a);
    a->next->next = NULL;
    leaked_root = a;
    OPAQUE(leaked_root);
    leaked_root = NULL;
    char *direct = strdup("forgotten");
    OPAQUE(direct);
}

__attribute__((noinline)) void use_after_poison(void) {
    char *p = malloc(64);
    OPAQUE(p);
    ASAN_POISON_MEMORY_REGION(p + 32, 32);
    p[40 + zero] = 1;
}

__attribute__((noinline)) void *invalid_posix_memalign(void) {
    void *p = NULL;
    posix_memalign(&p, 3 + zero, 16);
    return p;
}

__attribute__((noinline)) void *invalid_aligned_alloc(void) { return aligned_alloc(3 + zero, 16); }

static char *shared_block;

static void *thread_free(void *arg) {
    (void)arg;
    free(shared_block);
    return NULL;
}

__attribute__((noinline)) int thread_use_after_free(void) {
    pthread_t t;
    shared_block = malloc(24);
    pthread_create(&t, NULL, thread_free, NULL);
    pthread_join(t, NULL);
    return shared_block[3];
}

__attribute__((noinline)) void rss_hog(void) {
    for (;;) {
        char *p = malloc(1 << 20);
        OPAQUE(p);
        memset(p, 1, 1 << 20);
        OPAQUE(p);
    }
}

__attribute__((noinline)) int forked(void) {
    printf("parent %d forks\n", (int)getpid());
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        heap_overflow_write();
        return 0;
    }
    waitpid(child, NULL, 0);
    return use_after_free();
}

/* A parent and its child failing at one moment: both runtimes print to one
 * terminal at once, and their reports interleave. */
__attribute__((noinline)) int forked_together(void) {
    int ready[2];
    char go = 0;
    if (pipe(ready) != 0) return 2;
    pid_t child = fork();
    if (child == 0) {
        if (write(ready[1], &go, 1) != 1) return 2;
        return use_after_free();
    }
    if (read(ready[0], &go, 1) != 1) return 2;
    int value = heap_overflow_read();
    waitpid(child, NULL, 0);
    return value;
}

int main(int argc, char **argv) {
    const char *c = argc > 1 ? argv[1] : "";
    printf("running %s\n", c);
    fflush(stdout);
    if (!strcmp(c, "heap_overflow_read")) return heap_overflow_read();
    if (!strcmp(c, "heap_overflow_write")) heap_overflow_write();
    if (!strcmp(c, "heap_underflow")) return heap_underflow();
    if (!strcmp(c, "stack_buffer_overflow")) return stack_overflow_buf(4 + zero);
    if (!strcmp(c, "stack_buffer_underflow")) return stack_overflow_buf(-1 - zero);
    if (!strcmp(c, "global_buffer_overflow")) return global_overflow(10 + zero);
    if (!strcmp(c, "dynamic_stack_buffer_overflow")) return dynamic_stack(16);
    if (!strcmp(c, "heap_use_after_free")) return use_after_free();
    if (!strcmp(c, "double_free")) double_free();
    if (!strcmp(c, "bad_free")) bad_free();
    if (!strcmp(c, "stack_use_after_scope")) return use_after_scope();
    if (!strcmp(c, "stack_use_after_return")) return use_after_return();
    if (!strcmp(c, "memcpy_param_overlap")) memcpy_overlap();
    if (!strcmp(c, "strcpy_param_overlap")) strcpy_overlap();
    if (!strcmp(c, "calloc_overflow")) return calloc_overflow() != NULL;
    if (!strcmp(c, "allocation_size_too_big")) return alloc_too_big() != NULL;
    if (!strcmp(c, "negative_size_param")) negative_size();
    if (!strcmp(c, "segv_null")) return segv_null(NULL);
    if (!strcmp(c, "segv_wild_write")) segv_wild_write();
    if (!strcmp(c, "fpe")) return fpe(argc);
    if (!strcmp(c, "stack_overflow")) return recurse(0);
    if (!strcmp(c, "leaks")) {
        make_leaks();
        char scrub[4096];
        memset(scrub, 0, sizeof scrub);
        OPAQUE(scrub[0]);
    }
    if (!strcmp(c, "use_after_poison")) use_after_poison();
    if (!strcmp(c, "invalid_posix_memalign")) return invalid_posix_memalign() != NULL;
    if (!strcmp(c, "invalid_aligned_alloc")) return invalid_aligned_alloc() != NULL;
    if (!strcmp(c, "thread_use_after_free")) return thread_use_after_free();
    if (!strcmp(c, "symbolize_off")) heap_overflow_write();
    if (!strcmp(c, "rss_limit")) rss_hog();
    if (!strcmp(c, "forked")) return forked();
    if (!strcmp(c, "forked_together")) return forked_together();
    if (!strcmp(c, "abort")) abort();
    if (!strcmp(c, "ill")) __builtin_trap();
    return 0;
}
