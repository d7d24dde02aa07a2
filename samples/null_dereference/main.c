/* Key-value store driven by commands on standard input:
 *   set KEY VALUE   store a value
 *   get KEY         print the value, or "(nil)"
 *   len KEY         print the length of the value
 *   del KEY         remove the key
 * Keys live in a chained hash table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS 64

struct entry {
    char *value;
    char *key;
    struct entry *next;
};

static struct entry *table[BUCKETS];

static unsigned hash(const char *s)
{
    unsigned h = 5381;
    while (*s != '\0')
        h = h * 33 + (unsigned char)*s++;
    return h % BUCKETS;
}

static struct entry *lookup(const char *key)
{
    struct entry *e = table[hash(key)];
    while (e != NULL && strcmp(e->key, key) != 0)
        e = e->next;
    return e;
}

static void set(const char *key, const char *value)
{
    struct entry *e = lookup(key);
    if (e == NULL) {
        e = calloc(1, sizeof *e);
        e->key = strdup(key);
        e->next = table[hash(key)];
        table[hash(key)] = e;
    }
    free(e->value);
    e->value = strdup(value);
}

static void del(const char *key)
{
    struct entry **link = &table[hash(key)];
    while (*link != NULL && strcmp((*link)->key, key) != 0)
        link = &(*link)->next;
    struct entry *e = *link;
    if (e == NULL)
        return;
    *link = e->next;
    free(e->key);
    free(e->value);
    free(e);
}

static size_t value_length(const char *key)
{
    struct entry *e = lookup(key);
    return strlen(e->value);
}

int main(void)
{
    char line[512], command[16], key[128], value[256];
    while (fgets(line, sizeof line, stdin) != NULL) {
        value[0] = '\0';
        int fields = sscanf(line, "%15s %127s %255[^\n]", command, key, value);
        if (fields < 2)
            continue;
        if (strcmp(command, "set") == 0 && fields == 3)
            set(key, value);
        else if (strcmp(command, "get") == 0) {
            struct entry *e = lookup(key);
            printf("%s\n", e != NULL ? e->value : "(nil)");
        } else if (strcmp(command, "len") == 0)
            printf("%zu\n", value_length(key));
        else if (strcmp(command, "del") == 0)
            del(key);
    }
    for (int i = 0; i < BUCKETS; i++)
        while (table[i] != NULL)
            del(table[i]->key);
    return 0;
}
