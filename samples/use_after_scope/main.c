/* Disk usage table: "label bytes" per line. A first line "units=human"
 * prints sizes of 1 KiB and more as KiB/MiB/GiB instead of raw bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const suffixes[] = {"KiB", "MiB", "GiB", "TiB"};

/* Appends `text` to `out` and pads it to `width` columns. */
static size_t put_cell(char *out, size_t pos, const char *text, size_t width)
{
    size_t start = pos;
    for (size_t i = 0; text[i] != '\0'; i++)
        out[pos++] = text[i];
    while (pos - start < width)
        out[pos++] = ' ';
    return pos;
}

static void print_row(const char *label, unsigned long long bytes, int human)
{
    char row[128];
    char raw[32];
    const char *size_text = raw;
    snprintf(raw, sizeof raw, "%llu", bytes);
    if (human && bytes >= 1024) {
        char scaled[32];
        double value = (double)bytes / 1024.0;
        int unit = 0;
        while (value >= 1024.0 && unit < 3) {
            value /= 1024.0;
            unit++;
        }
        snprintf(scaled, sizeof scaled, "%.1f %s", value, suffixes[unit]);
        size_text = scaled;
    }
    size_t pos = put_cell(row, 0, label, 20);
    size_t end = 0;
    while (size_text[end] != '\0')
        end++;
    pos = put_cell(row, pos, "", 12 - (end < 12 ? end : 12));
    pos = put_cell(row, pos, size_text, 0);
    row[pos] = '\0';
    puts(row);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s USAGE\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (f == NULL) {
        perror(argv[1]);
        return 1;
    }
    char line[256], label[32];
    int human = 0;
    unsigned long long bytes = 0, total = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "units=", 6) == 0) {
            human = strncmp(line + 6, "human", 5) == 0;
            continue;
        }
        if (sscanf(line, "%31s %llu", label, &bytes) != 2)
            continue;
        print_row(label, bytes, human);
        total += bytes;
    }
    fclose(f);
    print_row("total", total, human);
    return 0;
}
