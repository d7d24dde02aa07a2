/* Fixed-width report from a CSV of people: "name,city,age" per line. Each
 * cell is padded to its column width and printed between bars. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_WIDTH 16
#define CITY_WIDTH 12

/* Pads `value` with spaces to `width` characters in `out`; tabs would break
 * the columns, so they become spaces too. */
static void pad_field(char *out, const char *value, size_t value_len, size_t width)
{
    size_t i;
    for (i = 0; i < value_len; i++)
        out[i] = value[i] == '\t' ? ' ' : value[i];
    for (; i < width; i++)
        out[i] = ' ';
    out[i] = '\0';
}

static void format_name(const char *name, size_t len)
{
    char cell[NAME_WIDTH + 1];
    pad_field(cell, name, len, NAME_WIDTH);
    printf("| %s ", cell);
}

static void format_city(const char *city, size_t len)
{
    char cell[CITY_WIDTH + 1];
    pad_field(cell, city, len, CITY_WIDTH);
    printf("| %s ", cell);
}

static int format_row(char *line)
{
    char *name = line;
    char *city = strchr(name, ',');
    if (city == NULL)
        return -1;
    *city++ = '\0';
    char *age = strchr(city, ',');
    if (age == NULL)
        return -1;
    *age++ = '\0';
    format_name(name, strlen(name));
    format_city(city, strlen(city));
    printf("| %3d |\n", atoi(age));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s PEOPLE.csv\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (f == NULL) {
        perror(argv[1]);
        return 1;
    }
    char line[512];
    int rows = 0, bad = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0')
            continue;
        if (format_row(line) == 0)
            rows++;
        else
            bad++;
    }
    fclose(f);
    printf("%d rows, %d malformed\n", rows, bad);
    return 0;
}
