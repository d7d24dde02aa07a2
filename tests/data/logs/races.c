/* Threading bugs for ThreadSanitizer, one case per name in argv[1].
 * Built and run by generate_tools.py. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int counter;
pthread_mutex_t first = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t second = PTHREAD_MUTEX_INITIALIZER;

__attribute__((noinline)) void bump(void) { counter++; }

static void *racer(void *arg) {
    (void)arg;
    bump();
    return NULL;
}

__attribute__((noinline)) int data_race(void) {
    pthread_t thread;
    pthread_create(&thread, NULL, racer, NULL);
    bump();
    pthread_join(thread, NULL);
    return counter;
}

__attribute__((noinline)) void *heap_writer(void *arg) {
    int *cell = arg;
    *cell = 42;
    return NULL;
}

__attribute__((noinline)) int heap_race(void) {
    int *cell = malloc(sizeof *cell);
    pthread_t thread;
    pthread_create(&thread, NULL, heap_writer, cell);
    int seen = *cell;
    pthread_join(thread, NULL);
    free(cell);
    return seen;
}

__attribute__((noinline)) void lock_in_order(pthread_mutex_t *a, pthread_mutex_t *b) {
    pthread_mutex_lock(a);
    pthread_mutex_lock(b);
    pthread_mutex_unlock(b);
    pthread_mutex_unlock(a);
}

__attribute__((noinline)) int lock_order_inversion(void) {
    lock_in_order(&first, &second);
    lock_in_order(&second, &first);
    return 0;
}

static void *idle(void *arg) {
    (void)arg;
    return NULL;
}

__attribute__((noinline)) int thread_leak(void) {
    pthread_t thread;
    pthread_create(&thread, NULL, idle, NULL);
    sleep(1);
    return 0;
}

static void *locked_bumper(void *arg) {
    (void)arg;
    pthread_mutex_lock(&first);
    bump();
    pthread_mutex_unlock(&first);
    return NULL;
}

__attribute__((noinline)) int locked_race(void) {
    pthread_t thread;
    pthread_create(&thread, NULL, locked_bumper, NULL);
    bump();
    pthread_join(thread, NULL);
    return counter;
}

__attribute__((noinline)) int use_after_free(void) {
    int *cell = malloc(sizeof *cell);
    *cell = 1;
    free(cell);
    return *(volatile int *)cell;
}

__attribute__((noinline)) int unlock_unlocked(void) {
    pthread_mutex_t mutex;
    pthread_mutex_init(&mutex, NULL);
    return pthread_mutex_unlock(&mutex);
}

/* The runtime's dynamic annotations: a lock taken twice without a release. */
void AnnotateRWLockAcquired(const char *file, int line, void *lock, long is_writer);

__attribute__((noinline)) void acquire(void *lock) {
    AnnotateRWLockAcquired(__FILE__, __LINE__, lock, 1);
}

static void *acquirer(void *lock) {
    acquire(lock);
    return NULL;
}

__attribute__((noinline)) int double_lock(void) {
    static int lock;
    acquire(&lock);
    pthread_t thread;
    pthread_create(&thread, NULL, acquirer, &lock);
    pthread_join(thread, NULL);
    return 0;
}

static volatile sig_atomic_t handled;

__attribute__((noinline)) void unsafe_handler(int signal) {
    (void)signal;
    volatile char *block = malloc(16);
    block[0] = 1;
    free((void *)block);
    handled = 1;
}

__attribute__((noinline)) int signal_unsafe(void) {
    signal(SIGUSR1, unsafe_handler);
    kill(getpid(), SIGUSR1);
    while (!handled) usleep(1000);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    if (!strcmp(argv[1], "data_race")) return data_race() > 2;
    if (!strcmp(argv[1], "heap_race")) return heap_race() == 7;
    if (!strcmp(argv[1], "lock_order_inversion")) return lock_order_inversion();
    if (!strcmp(argv[1], "thread_leak")) return thread_leak();
    if (!strcmp(argv[1], "locked_race")) return locked_race() > 2;
    if (!strcmp(argv[1], "use_after_free")) return use_after_free();
    if (!strcmp(argv[1], "unlock_unlocked")) return unlock_unlocked();
    if (!strcmp(argv[1], "double_lock")) return double_lock();
    if (!strcmp(argv[1], "signal_unsafe")) return signal_unsafe();
    return 2;
}
