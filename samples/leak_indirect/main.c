/* Contact list: "name;age;email" per line. Valid contacts are kept in a
 * list sorted by name and printed at the end; invalid lines are reported. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct contact {
    char *name;
    char *email;
    int age;
    struct contact *next;
};

static void free_contact(struct contact *c)
{
    free(c->name);
    free(c->email);
    free(c);
}

/* Parses one line into a new contact, or NULL when the line is invalid. */
static struct contact *parse_contact(char *line)
{
    char *name = strtok(line, ";");
    char *age = strtok(NULL, ";");
    char *email = strtok(NULL, ";");
    if (name == NULL || age == NULL)
        return NULL;
    struct contact *c = calloc(1, sizeof *c);
    c->name = strdup(name);
    c->age = atoi(age);
    if (c->age <= 0 || c->age > 150)
        return NULL;
    c->email = strdup(email != NULL ? email : "");
    return c;
}

static struct contact *insert_sorted(struct contact *head, struct contact *c)
{
    if (head == NULL || strcmp(c->name, head->name) < 0) {
        c->next = head;
        return c;
    }
    struct contact *at = head;
    while (at->next != NULL && strcmp(at->next->name, c->name) <= 0)
        at = at->next;
    c->next = at->next;
    at->next = c;
    return head;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CONTACTS\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (f == NULL) {
        perror(argv[1]);
        return 1;
    }
    struct contact *list = NULL;
    char line[256];
    int number = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        number++;
        line[strcspn(line, "\r\n")] = '\0';
        struct contact *c = parse_contact(line);
        if (c == NULL)
            fprintf(stderr, "line %d: invalid contact\n", number);
        else
            list = insert_sorted(list, c);
    }
    fclose(f);
    while (list != NULL) {
        struct contact *next = list->next;
        printf("%-20s %3d %s\n", list->name, list->age, list->email);
        free_contact(list);
        list = next;
    }
    return 0;
}
