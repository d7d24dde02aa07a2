/* S-expression pretty printer: reads one expression like
 * (define (square x) (* x x)) and prints it indented, one list per line,
 * with each list's head symbol as its label. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LABEL_SIZE 1024

struct reader {
    const char *text;
    size_t pos;
};

static void skip_space(struct reader *r)
{
    while (r->text[r->pos] == ' ' || r->text[r->pos] == '\n' || r->text[r->pos] == '\t')
        r->pos++;
}

static size_t read_atom(struct reader *r, char *out, size_t size)
{
    size_t n = 0;
    while (r->text[r->pos] != '\0' && strchr(" \n\t()", r->text[r->pos]) == NULL) {
        if (n + 1 < size)
            out[n++] = r->text[r->pos];
        r->pos++;
    }
    out[n] = '\0';
    return n;
}

/* Prints the list starting after its '(' and returns the number of atoms. */
static int print_list(struct reader *r, int depth)
{
    char label[LABEL_SIZE];
    int atoms = 0;
    skip_space(r);
    if (r->text[r->pos] == '(')
        strcpy(label, "list");
    else
        read_atom(r, label, sizeof label);
    printf("%*s(%s\n", depth < 32 ? depth * 2 : 64, "", label);
    for (;;) {
        skip_space(r);
        char c = r->text[r->pos];
        if (c == '\0' || c == ')') {
            r->pos += c == ')';
            break;
        }
        if (c == '(') {
            r->pos++;
            atoms += print_list(r, depth + 1);
        } else {
            char atom[64];
            read_atom(r, atom, sizeof atom);
            printf("%*s%s\n", depth < 32 ? depth * 2 + 2 : 66, "", atom);
            atoms++;
        }
    }
    printf("%*s) ; %s\n", depth * 2, "", label);
    return atoms;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s EXPR\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (f == NULL) {
        perror(argv[1]);
        return 1;
    }
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    struct reader r = {text, 0};
    skip_space(&r);
    if (text[r.pos] != '(') {
        fprintf(stderr, "%s: expected '('\n", argv[1]);
        return 1;
    }
    r.pos++;
    printf("%d atoms\n", print_list(&r, 0));
    return 0;
}
