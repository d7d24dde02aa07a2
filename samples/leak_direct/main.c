/* Path normalizer: one absolute path per line; prints it with "." and ".."
 * resolved and repeated slashes removed, or an error for paths that climb
 * above the root. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARTS 64

/* Writes the normalized form of `path` into `out`; -1 if it leaves the root. */
static int normalize(const char *path, char *out, size_t out_size)
{
    char *copy = strdup(path);
    const char *parts[MAX_PARTS];
    size_t count = 0;
    for (char *part = strtok(copy, "/"); part != NULL; part = strtok(NULL, "/")) {
        if (strcmp(part, ".") == 0)
            continue;
        if (strcmp(part, "..") == 0) {
            if (count == 0)
                return -1;
            count--;
            continue;
        }
        if (count < MAX_PARTS)
            parts[count++] = part;
    }
    size_t pos = 0;
    out[pos++] = '/';
    for (size_t i = 0; i < count && pos < out_size; i++) {
        pos += (size_t)snprintf(out + pos, out_size - pos, "%s%s", parts[i], i + 1 < count ? "/" : "");
    }
    out[pos < out_size ? pos : out_size - 1] = '\0';
    free(copy);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s PATHS\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (f == NULL) {
        perror(argv[1]);
        return 1;
    }
    char line[512], out[512];
    int errors = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] != '/')
            continue;
        if (normalize(line, out, sizeof out) == 0) {
            printf("%s\n", out);
        } else {
            printf("%s: climbs above /\n", line);
            errors++;
        }
    }
    fclose(f);
    printf("%d errors\n", errors);
    return 0;
}
