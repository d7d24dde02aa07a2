/* Line statistics for standard input: reads through a fixed-size line
 * buffer, refilling it as lines are consumed, and prints the number of
 * lines, words and the longest line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUFFER_SIZE 128

struct line_buffer {
    FILE *in;
    char data[BUFFER_SIZE];
    size_t start; /* first byte not consumed yet */
    size_t end;   /* one past the last byte read */
    int eof;
};

/* Moves the unconsumed bytes to the front and reads more after them. */
static void refill(struct line_buffer *lb)
{
    size_t remaining = lb->end - lb->start;
    if (lb->start > 0) {
        memcpy(lb->data, lb->data + lb->start, remaining);
        lb->start = 0;
        lb->end = remaining;
    }
    size_t got = fread(lb->data + lb->end, 1, BUFFER_SIZE - lb->end, lb->in);
    lb->end += got;
    if (got == 0)
        lb->eof = 1;
}

/* The next line (without its newline) in `line`; 0 at the end of input.
 * A line longer than the buffer comes back in buffer-sized pieces. */
static int next_line(struct line_buffer *lb, char *line, size_t *length)
{
    for (;;) {
        char *start = lb->data + lb->start;
        char *newline = memchr(start, '\n', lb->end - lb->start);
        size_t take = 0;
        if (newline != NULL)
            take = (size_t)(newline - start);
        else if (lb->end - lb->start == BUFFER_SIZE || (lb->eof && lb->end > lb->start))
            take = lb->end - lb->start;
        else if (lb->eof)
            return 0;
        else {
            refill(lb);
            continue;
        }
        memmove(line, start, take);
        line[take] = '\0';
        *length = take;
        lb->start += take + (newline != NULL);
        return 1;
    }
}

static int count_words(const char *line)
{
    int words = 0, in_word = 0;
    for (; *line != '\0'; line++) {
        int space = *line == ' ' || *line == '\t' || *line == '\r';
        words += !space && !in_word;
        in_word = !space;
    }
    return words;
}

int main(void)
{
    struct line_buffer lb = {stdin, {0}, 0, 0, 0};
    char line[BUFFER_SIZE + 1];
    size_t length = 0, longest = 0;
    long lines = 0, words = 0;
    while (next_line(&lb, line, &length)) {
        lines++;
        words += count_words(line);
        if (length > longest)
            longest = length;
    }
    printf("%ld lines, %ld words, longest %zu\n", lines, words, longest);
    return 0;
}
