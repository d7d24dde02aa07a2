/* Tokenizer for a small expression language: reads a source file and prints
 * one token per line with its kind and text. */
#include <stdio.h>
#include <stdlib.h>

enum kind { TOK_NUMBER, TOK_IDENT, TOK_OP, TOK_END };

static const char *const kind_names[] = {"number", "ident", "op", "end"};

struct token {
    enum kind kind;
    size_t start;
    size_t length;
};

struct lexer {
    const char *src;
    size_t len;
    size_t pos;
};

/* The whole file in a buffer of exactly its size: the text is not
 * NUL-terminated, every scan has to stop at len. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (size <= 0) {
        fclose(f);
        return NULL;
    }
    char *buf = malloc((size_t)size);
    if (buf != NULL && fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)size;
    return buf;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static struct token next_token(struct lexer *lx)
{
    while (lx->pos < lx->len && is_space(lx->src[lx->pos]))
        lx->pos++;
    struct token tok = {TOK_END, lx->pos, 0};
    if (lx->pos >= lx->len)
        return tok;
    char c = lx->src[lx->pos];
    if (is_digit(c)) {
        tok.kind = TOK_NUMBER;
        while (is_digit(lx->src[lx->pos]))
            lx->pos++;
    } else if (is_alpha(c)) {
        tok.kind = TOK_IDENT;
        while (lx->pos < lx->len && (is_alpha(lx->src[lx->pos]) || is_digit(lx->src[lx->pos])))
            lx->pos++;
    } else {
        tok.kind = TOK_OP;
        lx->pos++;
    }
    tok.length = lx->pos - tok.start;
    return tok;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
    size_t len = 0;
    char *src = read_file(argv[1], &len);
    if (src == NULL) {
        fprintf(stderr, "%s: empty or unreadable\n", argv[1]);
        return 1;
    }
    struct lexer lx = {src, len, 0};
    int count = 0;
    for (;;) {
        struct token tok = next_token(&lx);
        if (tok.kind == TOK_END)
            break;
        printf("%-6s %.*s\n", kind_names[tok.kind], (int)tok.length, src + tok.start);
        count++;
    }
    printf("%d tokens\n", count);
    free(src);
    return 0;
}
