/* Image header checker: reads `key=value` lines describing a raw image
 * (width, height, channels, depth) and prints how many bytes its pixels take,
 * refusing images above a size limit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BYTES (64L * 1024 * 1024)

struct image_spec {
    long width;
    long height;
    long channels;
    long depth;
};

/* Every field is meant to be set by the header; a missing `depth=` line
 * leaves it as malloc returned it. */
static struct image_spec *read_spec(FILE *f)
{
    struct image_spec *spec = malloc(sizeof *spec);
    char line[128];
    if (spec == NULL)
        return NULL;
    spec->width = 0;
    spec->height = 0;
    spec->channels = 1;
    while (fgets(line, sizeof line, f) != NULL) {
        char *eq = strchr(line, '=');
        if (eq == NULL || line[0] == '#')
            continue;
        *eq = '\0';
        long value = strtol(eq + 1, NULL, 10);
        if (strcmp(line, "width") == 0)
            spec->width = value;
        else if (strcmp(line, "height") == 0)
            spec->height = value;
        else if (strcmp(line, "channels") == 0)
            spec->channels = value;
        else if (strcmp(line, "depth") == 0)
            spec->depth = value;
    }
    return spec;
}

static long pixel_bytes(const struct image_spec *spec)
{
    long bytes = spec->width * spec->height * spec->channels;
    if (spec->depth > 8) {
        printf("%ld-bit samples\n", spec->depth);
        bytes *= 2;
    }
    return bytes;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s HEADER\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (f == NULL) {
        perror(argv[1]);
        return 2;
    }
    struct image_spec *spec = read_spec(f);
    fclose(f);
    if (spec == NULL)
        return 2;
    long bytes = pixel_bytes(spec);
    int status = 0;
    if (bytes > MAX_BYTES) {
        printf("too large: %ld bytes\n", bytes);
        status = 1;
    } else {
        printf("%ld x %ld x %ld: %ld bytes\n", spec->width, spec->height, spec->channels, bytes);
    }
    free(spec);
    return status;
}
