/* Message digest: a message is a header line (`To: ...` and the like, ended
 * by a newline) followed by a body. The body is summed as 32-bit words into
 * a digest that is printed with the header. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The sender pads headers to a multiple of four bytes, so the body is
 * assumed to start on a word boundary; a header of any other length moves
 * every word off it. */
static uint32_t body_digest(const char *body, size_t len)
{
    const uint32_t *words = (const uint32_t *)body;
    uint32_t digest = 0;
    for (size_t i = 0; i < len / 4; i++)
        digest = (digest << 5 | digest >> 27) ^ words[i];
    for (size_t i = len / 4 * 4; i < len; i++)
        digest = (digest << 5 | digest >> 27) ^ (unsigned char)body[i];
    return digest;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = malloc(4096);
    *len = buf != NULL ? fread(buf, 1, 4095, f) : 0;
    fclose(f);
    if (buf != NULL)
        buf[*len] = '\0';
    return buf;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s MESSAGE\n", argv[0]);
        return 2;
    }
    size_t len;
    char *message = read_file(argv[1], &len);
    if (message == NULL) {
        perror(argv[1]);
        return 2;
    }
    char *newline = memchr(message, '\n', len);
    if (newline == NULL) {
        fprintf(stderr, "%s: no header line\n", argv[1]);
        free(message);
        return 1;
    }
    size_t header_len = (size_t)(newline - message) + 1;
    *newline = '\0';
    printf("%s\n", message);
    printf("digest %08x over %zu bytes\n", body_digest(newline + 1, len - header_len),
           len - header_len);
    free(message);
    return 0;
}
