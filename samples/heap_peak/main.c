/* Sparse matrix summary: the first line gives the matrix size as
 * "ROWS COLS", every other line one cell as "ROW COL VALUE". The cells are
 * loaded into a dense table, then the row and column sums are printed.
 * The dense table holds ROWS * COLS doubles, so its size (and the program's
 * heap peak) follows the declared size, not the number of cells given. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DIM 4096

struct cell {
    long row, col;
    double value;
};

struct cells {
    struct cell *items;
    size_t count, capacity;
};

struct table {
    long rows, cols;
    double *values;
};

/* Appends every "ROW COL VALUE" line of `f` to `out`; bad lines are skipped. */
static int read_cells(FILE *f, struct cells *out)
{
    char line[128];
    int skipped = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        struct cell c;
        if (sscanf(line, "%ld %ld %lf", &c.row, &c.col, &c.value) != 3) {
            skipped++;
            continue;
        }
        if (out->count == out->capacity) {
            size_t grown = out->capacity ? out->capacity * 2 : 16;
            struct cell *items = realloc(out->items, grown * sizeof *items);
            if (items == NULL)
                return -1;
            out->items = items;
            out->capacity = grown;
        }
        out->items[out->count++] = c;
    }
    return skipped;
}

/* The dense ROWS x COLS table with the given cells filled in. */
struct table *load_table(long rows, long cols, const struct cells *cells)
{
    struct table *t = malloc(sizeof *t);
    if (t == NULL)
        return NULL;
    t->rows = rows;
    t->cols = cols;
    size_t count = (size_t)(rows * cols);
    t->values = malloc(count * sizeof *t->values);
    if (t->values == NULL) {
        free(t);
        return NULL;
    }
    for (size_t i = 0; i < count; i++)
        t->values[i] = 0.0;
    for (size_t i = 0; i < cells->count; i++) {
        const struct cell *c = &cells->items[i];
        if (c->row >= 0 && c->row < rows && c->col >= 0 && c->col < cols)
            t->values[c->row * cols + c->col] += c->value;
    }
    return t;
}

/* Sums along one axis: per row when `by_row`, else per column. */
static double *sums(const struct table *t, int by_row)
{
    long n = by_row ? t->rows : t->cols;
    double *out = calloc((size_t)n, sizeof *out);
    if (out == NULL)
        return NULL;
    for (long r = 0; r < t->rows; r++)
        for (long c = 0; c < t->cols; c++)
            out[by_row ? r : c] += t->values[r * t->cols + c];
    return out;
}

static void print_nonzero(const char *label, const double *values, long n)
{
    for (long i = 0; i < n; i++)
        if (values[i] != 0.0)
            printf("%s %ld: %g\n", label, i, values[i]);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s MATRIX\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (f == NULL) {
        perror(argv[1]);
        return 1;
    }
    long rows = 0, cols = 0;
    if (fscanf(f, "%ld %ld\n", &rows, &cols) != 2 || rows < 1 || cols < 1 || rows > MAX_DIM ||
        cols > MAX_DIM) {
        fprintf(stderr, "%s: first line must be ROWS COLS (1..%d)\n", argv[1], MAX_DIM);
        fclose(f);
        return 1;
    }
    struct cells cells = {NULL, 0, 0};
    int skipped = read_cells(f, &cells);
    fclose(f);
    struct table *t = skipped < 0 ? NULL : load_table(rows, cols, &cells);
    free(cells.items);
    if (t == NULL) {
        fprintf(stderr, "%s: out of memory\n", argv[1]);
        return 1;
    }
    double *row_sums = sums(t, 1);
    double *col_sums = sums(t, 0);
    free(t->values);
    free(t);
    if (row_sums != NULL && col_sums != NULL) {
        print_nonzero("row", row_sums, rows);
        print_nonzero("col", col_sums, cols);
    }
    printf("%zu cells, %d lines skipped\n", cells.count, skipped);
    free(row_sums);
    free(col_sums);
    return 0;
}
