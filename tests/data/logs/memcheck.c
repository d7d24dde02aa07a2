/* Memory errors for Valgrind memcheck on a plain -g build, one case per name
 * in argv[1]; "heap_overflow_write" is also run under ASan to compare the two
 * tools' reports. Built and run by generate_tools.py. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OPAQUE(p) __asm__ volatile("" : "+r"(p) : : "memory")

struct node { struct node *next; char payload[24]; };
struct node *root;

__attribute__((noinline)) void fill(char *buffer, size_t size) {
    for (size_t i = 0; i <= size; i++) buffer[i] = 'x';
}

__attribute__((noinline)) int heap_overflow_write(void) {
    char *buffer = malloc(40);
    OPAQUE(buffer);
    fill(buffer, 40);
    int first = buffer[0];
    free(buffer);
    return first == 'x' ? 0 : 1;
}

__attribute__((noinline)) int heap_overflow_read(void) {
    int *numbers = malloc(10 * sizeof(int));
    OPAQUE(numbers);
    int value = numbers[10];
    free(numbers);
    return value;
}

__attribute__((noinline)) int use_after_free(void) {
    char *buffer = malloc(32);
    OPAQUE(buffer);
    free(buffer);
    OPAQUE(buffer);
    return buffer[5];
}

__attribute__((noinline)) void double_free(void) {
    char *buffer = malloc(8);
    OPAQUE(buffer);
    free(buffer);
    OPAQUE(buffer);
    free(buffer);
}

__attribute__((noinline)) void overlap(void) {
    char text[64] = "abcdefghijklmnopqrstuvwxyz";
    char *p = text;
    OPAQUE(p);
    strncpy(p + 2, p, 10);
    printf("%s\n", p);
}

__attribute__((noinline)) int uninit_condition(void) {
    int *cells = malloc(4 * sizeof(int));
    OPAQUE(cells);
    int result = 0;
    if (cells[2] > 7) {
        puts("large");
        result = 1;
    }
    free(cells);
    return result;
}

__attribute__((noinline)) int fishy_size(long size) {
    char *buffer = malloc(size);
    OPAQUE(buffer);
    free(buffer);
    return buffer == NULL;
}

__attribute__((noinline)) void leaks(void) {
    root = malloc(sizeof *root);
    root->next = malloc(sizeof *root);
    root = NULL;
    char *lost = malloc(10);
    OPAQUE(lost);
    lost = NULL;
}

__attribute__((noinline)) int null_write(void) {
    int *p = NULL;
    OPAQUE(p);
    *p = 1;
    return 0;
}

/* Program output with no newline: valgrind's next line is glued to it. */
__attribute__((noinline)) int output_glued(void) {
    char *block = malloc(16);
    OPAQUE(block);
    printf("progress: 50%% ");
    fflush(stdout);
    int value = block[16];
    free(block);
    return value;
}

__attribute__((noinline)) void syscall_uninit(void) {
    char *block = malloc(8);
    OPAQUE(block);
    int sink = open("/dev/null", O_WRONLY);
    write(sink, block, 8);
    close(sink);
    free(block);
}

__attribute__((noinline)) int realloc_use(void) {
    char *old = malloc(8);
    OPAQUE(old);
    char *grown = realloc(old, 4096);
    OPAQUE(grown);
    int value = old[2];
    free(grown);
    return value;
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    if (!strcmp(argv[1], "heap_overflow_write")) return heap_overflow_write();
    if (!strcmp(argv[1], "heap_overflow_read")) return heap_overflow_read();
    if (!strcmp(argv[1], "use_after_free")) return use_after_free();
    if (!strcmp(argv[1], "double_free")) double_free();
    else if (!strcmp(argv[1], "overlap")) overlap();
    else if (!strcmp(argv[1], "uninit_condition")) return uninit_condition();
    else if (!strcmp(argv[1], "leaks")) leaks();
    else if (!strcmp(argv[1], "fishy_size")) return fishy_size(-1);
    else if (!strcmp(argv[1], "null_write")) return null_write();
    else if (!strcmp(argv[1], "output_glued")) return output_glued();
    else if (!strcmp(argv[1], "syscall_uninit")) syscall_uninit();
    else if (!strcmp(argv[1], "realloc_use")) return realloc_use();
    else return 2;
    return 0;
}
