/* CSV column statistics: the first line names the columns, every other line
 * holds numbers. Prints count, sum, minimum and maximum per column; cells
 * that are not numbers are counted as missing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COLUMNS 16
#define NAME_SIZE 32

struct column {
    char name[NAME_SIZE];
    long count;
    long missing;
    double sum, min, max;
};

static int split(char *line, char **cells, int max_cells)
{
    int n = 0;
    char *cell = line;
    while (n < max_cells) {
        cells[n++] = cell;
        char *comma = strchr(cell, ',');
        if (comma == NULL)
            break;
        *comma = '\0';
        cell = comma + 1;
    }
    return n;
}

static void add_value(struct column *col, const char *text)
{
    char *end = NULL;
    double value = strtod(text, &end);
    if (end == text || *end != '\0') {
        col->missing++;
        return;
    }
    if (col->count == 0 || value < col->min)
        col->min = value;
    if (col->count == 0 || value > col->max)
        col->max = value;
    col->sum += value;
    col->count++;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s TABLE.csv\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (f == NULL) {
        perror(argv[1]);
        return 1;
    }
    struct column columns[MAX_COLUMNS];
    memset(columns, 0, sizeof columns);
    char line[1024];
    char *cells[MAX_COLUMNS];
    int width = 0;
    if (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        width = split(line, cells, MAX_COLUMNS);
        for (int i = 0; i < width; i++)
            snprintf(columns[i].name, NAME_SIZE, "%s", cells[i]);
    }
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        int n = split(line, cells, MAX_COLUMNS);
        for (int i = 0; i < width; i++)
            add_value(&columns[i], i < n ? cells[i] : "");
    }
    fclose(f);
    for (int i = 0; i < width; i++) {
        const struct column *c = &columns[i];
        if (c->count == 0)
            printf("%-12s no values, %ld missing\n", c->name, c->missing);
        else
            printf("%-12s n=%ld sum=%g min=%g max=%g missing=%ld\n", c->name, c->count, c->sum,
                   c->min, c->max, c->missing);
    }
    return 0;
}
