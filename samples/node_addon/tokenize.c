/* A Node.js addon (N-API): tokenize(text) splits a line into words, at spaces
 * and commas. Words are copied into a table of 8-byte slots, one per word; a
 * word of 8 characters or more overflows its slot, and past the end of the
 * table when it is the last word (a heap buffer overflow WRITE). A line
 * starting with '#' is a comment: its copy is never freed (a leak). */
#include <node_api.h>
#include <stdlib.h>
#include <string.h>

#define SLOT 8
#define MAX_WORDS 16

static char *copy_comment(const char *text, size_t length)
{
    char *copy = malloc(length + 1);
    memcpy(copy, text, length + 1);
    return copy;
}

static size_t count_words(const char *text)
{
    size_t count = 0;
    for (const char *at = text; *at != '\0';) {
        at += strspn(at, " ,");
        if (*at == '\0')
            break;
        count++;
        at += strcspn(at, " ,");
    }
    return count;
}

/* Copies each word into its own SLOT-byte cell of one table. */
static size_t split_words(const char *text, char *table, size_t max_words)
{
    size_t count = 0;
    const char *at = text;
    while (*at != '\0' && count < max_words) {
        while (*at == ' ' || *at == ',')
            at++;
        if (*at == '\0')
            break;
        size_t length = strcspn(at, " ,");
        memcpy(table + count * SLOT, at, length);
        table[count * SLOT + length] = '\0';
        count++;
        at += length;
    }
    return count;
}

static napi_value tokenize(napi_env env, napi_callback_info info)
{
    size_t argc = 1;
    napi_value argv[1];
    napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
    size_t length = 0;
    napi_get_value_string_utf8(env, argv[0], NULL, 0, &length);
    char *text = malloc(length + 1);
    napi_get_value_string_utf8(env, argv[0], text, length + 1, &length);
    napi_value result;
    napi_create_array(env, &result);
    if (text[0] == '#') {
        char *comment = copy_comment(text + 1, length - 1);
        napi_value value;
        napi_create_string_utf8(env, comment, NAPI_AUTO_LENGTH, &value);
        napi_set_element(env, result, 0, value);
        free(text);
        return result;
    }
    size_t words = count_words(text) < MAX_WORDS ? count_words(text) : MAX_WORDS;
    char *table = malloc(words * SLOT + 1);
    size_t count = split_words(text, table, words);
    for (size_t i = 0; i < count; i++) {
        napi_value value;
        napi_create_string_utf8(env, table + i * SLOT, NAPI_AUTO_LENGTH, &value);
        napi_set_element(env, result, (uint32_t)i, value);
    }
    free(table);
    free(text);
    return result;
}

static napi_value init(napi_env env, napi_value exports)
{
    napi_value function;
    napi_create_function(env, "tokenize", NAPI_AUTO_LENGTH, tokenize, NULL, &function);
    napi_set_named_property(env, exports, "tokenize", function);
    return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
