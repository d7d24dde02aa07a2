/* INI reader: "[section]" headers and "key = value" lines; "key += value"
 * appends to an existing value with a space. Prints section.key=value. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    char *key;
    char *value;
    struct entry *next;
};

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

static struct entry *find(struct entry *list, const char *key)
{
    for (; list != NULL; list = list->next)
        if (strcmp(list->key, key) == 0)
            return list;
    return NULL;
}

/* Grows `old` to hold " extra" after it. */
static char *append_value(char *old, const char *extra)
{
    size_t n = strlen(old) + strlen(extra) + 2;
    char *joined = realloc(old, n);
    if (joined == NULL)
        return NULL;
    strcat(joined, " ");
    strcat(joined, extra);
    return joined;
}

static struct entry *set_value(struct entry *list, const char *key, const char *value, int append)
{
    struct entry *e = find(list, key);
    if (e != NULL && append) {
        char *joined = append_value(e->value, value);
        free(e->value);
        e->value = joined;
        return list;
    }
    if (e != NULL) {
        free(e->value);
        e->value = strdup(value);
        return list;
    }
    e = malloc(sizeof *e);
    e->key = strdup(key);
    e->value = strdup(value);
    e->next = list;
    return e;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE.ini\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (f == NULL) {
        perror(argv[1]);
        return 1;
    }
    struct entry *list = NULL;
    char line[512], section[128] = "", key[300];
    while (fgets(line, sizeof line, f) != NULL) {
        char *text = trim(line);
        if (*text == '\0' || *text == ';' || *text == '#')
            continue;
        if (*text == '[') {
            snprintf(section, sizeof section, "%.*s", (int)strcspn(text + 1, "]"), text + 1);
            continue;
        }
        char *eq = strchr(text, '=');
        if (eq == NULL)
            continue;
        int append = eq > text && eq[-1] == '+';
        *(append ? eq - 1 : eq) = '\0';
        snprintf(key, sizeof key, "%s.%s", section, trim(text));
        list = set_value(list, key, trim(eq + 1), append);
    }
    fclose(f);
    while (list != NULL) {
        struct entry *next = list->next;
        printf("%s=%s\n", list->key, list->value);
        free(list->key);
        free(list->value);
        free(list);
        list = next;
    }
    return 0;
}
