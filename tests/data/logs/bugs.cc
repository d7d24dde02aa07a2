// C++ memory bugs, one per case name in argv[1]; see bugs.c.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

struct Base {
    int a;
};
struct Derived : Base {
    long extra[4];
};

volatile int zero = 0;

// Hides a pointer from the optimizer so that the buggy call really happens.
#define OPAQUE(p) __asm__ volatile("" : "+r"(p) : : "memory")

namespace shapes {
template <typename T>
struct Grid {
    std::vector<T> cells;
    __attribute__((noinline)) T at(std::size_t i) const { return cells.data()[i]; }
};
}  // namespace shapes

__attribute__((noinline)) void new_array_delete() {
    int *p = new int[10];
    OPAQUE(p);
    delete p;
}

__attribute__((noinline)) void malloc_delete() {
    char *p = static_cast<char *>(std::malloc(16));
    OPAQUE(p);
    delete p;
}

__attribute__((noinline)) void new_free() {
    auto *p = new Derived;
    OPAQUE(p);
    std::free(p);
}

__attribute__((noinline)) void type_mismatch() {
    Base *b = new Derived;
    OPAQUE(b);
    ::operator delete(b, sizeof(Base));
}

__attribute__((noinline)) int container_overflow() {
    shapes::Grid<int> g;
    g.cells.reserve(16);
    g.cells.resize(4);
    return g.at(6 + zero);
}

__attribute__((noinline)) int template_overflow() {
    shapes::Grid<long> g;
    g.cells.resize(3);
    auto *raw = new long[3];
    int v = static_cast<int>(raw[3 + zero]);
    delete[] raw;
    return v + static_cast<int>(g.at(0));
}

int main(int argc, char **argv) {
    const char *c = argc > 1 ? argv[1] : "";
    std::printf("running %s\n", c);
    std::fflush(stdout);
    if (!std::strcmp(c, "alloc_dealloc_mismatch")) new_array_delete();
    if (!std::strcmp(c, "malloc_delete")) malloc_delete();
    if (!std::strcmp(c, "new_free")) new_free();
    if (!std::strcmp(c, "new_delete_type_mismatch")) type_mismatch();
    if (!std::strcmp(c, "container_overflow")) return container_overflow();
    if (!std::strcmp(c, "cxx_heap_overflow")) return template_overflow();
    return 0;
}
