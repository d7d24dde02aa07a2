/* Reader for simple mail-like messages: "Name: value" header lines, a blank
 * line, then "key=value" body lines. Prints what it understood. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIELD_SIZE 24
#define MAX_BODY 16

struct message {
    char *from;
    char *subject;
    char *body[MAX_BODY];
    int body_count;
};

/* Copies a value up to the end of its line into a field buffer. */
static size_t copy_field(char *dst, const char *src)
{
    size_t n = 0;
    while (src[n] != '\0' && src[n] != '\n' && src[n] != '\r') {
        dst[n] = src[n];
        n++;
    }
    dst[n] = '\0';
    return n;
}

static void parse_header(struct message *msg, const char *line)
{
    const char *colon = strchr(line, ':');
    if (colon == NULL)
        return;
    const char *value = colon + 1;
    while (*value == ' ')
        value++;
    char *field = malloc(FIELD_SIZE);
    copy_field(field, value);
    if (strncmp(line, "From:", 5) == 0 && msg->from == NULL)
        msg->from = field;
    else if (strncmp(line, "Subject:", 8) == 0 && msg->subject == NULL)
        msg->subject = field;
    else
        free(field);
}

static void parse_body(struct message *msg, const char *line)
{
    const char *eq = strchr(line, '=');
    if (eq == NULL || msg->body_count == MAX_BODY)
        return;
    char *field = malloc(FIELD_SIZE);
    copy_field(field, eq + 1);
    msg->body[msg->body_count++] = field;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s MESSAGE\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (f == NULL) {
        perror(argv[1]);
        return 1;
    }
    struct message msg = {0};
    char line[256];
    int in_body = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (!in_body && (line[0] == '\n' || line[0] == '\r'))
            in_body = 1;
        else if (in_body)
            parse_body(&msg, line);
        else
            parse_header(&msg, line);
    }
    fclose(f);
    printf("from: %s\nsubject: %s\n", msg.from ? msg.from : "-", msg.subject ? msg.subject : "-");
    for (int i = 0; i < msg.body_count; i++) {
        printf("body[%d]: %s\n", i, msg.body[i]);
        free(msg.body[i]);
    }
    free(msg.from);
    free(msg.subject);
    return 0;
}
