/* Account list reader: blocks of "user=", "home=" and "shell=" lines
 * separated by blank lines. Accounts without a home get /home/<user>, without
 * a shell /bin/sh. Prints one passwd-like line per account. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_SHELL "/bin/sh"

struct account {
    char *user;
    char *home;
    char *shell;
};

static void clear_account(struct account *a)
{
    free(a->user);
    free(a->home);
    free(a->shell);
    memset(a, 0, sizeof *a);
}

static void set_field(struct account *a, const char *line)
{
    const char *value = strchr(line, '=');
    if (value == NULL)
        return;
    value++;
    char **slot = NULL;
    if (strncmp(line, "user=", 5) == 0)
        slot = &a->user;
    else if (strncmp(line, "home=", 5) == 0)
        slot = &a->home;
    else if (strncmp(line, "shell=", 6) == 0)
        slot = &a->shell;
    if (slot == NULL)
        return;
    free(*slot);
    *slot = strdup(value);
}

static int finish_account(struct account *a, int uid)
{
    if (a->user == NULL) {
        clear_account(a);
        return 0;
    }
    char fallback_home[128];
    if (a->home == NULL) {
        snprintf(fallback_home, sizeof fallback_home, "/home/%s", a->user);
        a->home = fallback_home;
    }
    printf("%s:x:%d:%d::%s:%s\n", a->user, uid, uid, a->home,
           a->shell ? a->shell : DEFAULT_SHELL);
    clear_account(a);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s ACCOUNTS\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (f == NULL) {
        perror(argv[1]);
        return 1;
    }
    struct account current = {0};
    char line[256];
    int uid = 1000;
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0')
            uid += finish_account(&current, uid);
        else
            set_field(&current, line);
    }
    uid += finish_account(&current, uid);
    fclose(f);
    printf("%d accounts\n", uid - 1000);
    return 0;
}
