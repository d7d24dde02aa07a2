/* Log filter: each input line is "LEVEL text" with a numeric level
 * (0 trace .. 4 error). Prints the lines at or above a minimum level with
 * the level's name, then a count per level. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEVEL_COUNT 5
#define MIN_LEVEL 1

static const char *const level_names[LEVEL_COUNT] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR"};
static int level_counts[LEVEL_COUNT];

static const char *level_name(int level)
{
    if (level < 0)
        return "?";
    return level_names[level];
}

static int parse_line(char *line, int *level, char **text)
{
    char *end = NULL;
    long value = strtol(line, &end, 10);
    if (end == line || (*end != ' ' && *end != '\t'))
        return -1;
    while (*end == ' ' || *end == '\t')
        end++;
    *level = (int)value;
    *text = end;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s LOG\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (f == NULL) {
        perror(argv[1]);
        return 1;
    }
    char line[256];
    int skipped = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        int level = 0;
        char *text = NULL;
        if (parse_line(line, &level, &text) != 0) {
            skipped++;
            continue;
        }
        if (level >= 0 && level < LEVEL_COUNT)
            level_counts[level]++;
        if (level >= MIN_LEVEL)
            printf("[%-5s] %s\n", level_name(level), text);
    }
    fclose(f);
    for (int i = 0; i < LEVEL_COUNT; i++)
        printf("%s: %d\n", level_names[i], level_counts[i]);
    printf("skipped: %d\n", skipped);
    return 0;
}
