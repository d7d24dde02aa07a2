/* Capability sets: each input line is `name: N N N ...`, a role and the
 * numbers of the capabilities it holds. Prints each role's capability mask
 * and which capabilities all roles share. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The mask used to be 64 bits wide; the bound below still says so. */
#define MAX_CAPABILITY 63

typedef unsigned int capmask;

static int parse_capabilities(char *list, capmask *mask)
{
    capmask bits = 0;
    for (char *word = strtok(list, " \t\n"); word != NULL; word = strtok(NULL, " \t\n")) {
        char *end;
        long bit = strtol(word, &end, 10);
        if (*end != '\0' || bit < 0 || bit > MAX_CAPABILITY) {
            fprintf(stderr, "bad capability '%s'\n", word);
            return -1;
        }
        bits |= 1u << bit;
    }
    *mask = bits;
    return 0;
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
    char line[256];
    capmask shared = ~0u;
    int roles = 0;
    int status = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        char *colon = strchr(line, ':');
        capmask mask;
        if (colon == NULL)
            continue;
        *colon = '\0';
        if (parse_capabilities(colon + 1, &mask) != 0) {
            status = 1;
            continue;
        }
        printf("%-12s %08x\n", line, mask);
        shared &= mask;
        roles++;
    }
    fclose(f);
    if (roles > 0)
        printf("%-12s %08x\n", "(shared)", shared);
    return status;
}
