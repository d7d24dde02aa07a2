// Control-flow integrity violations, one case per name in argv[1], for clang's
// -fsanitize=cfi with diagnostics. Built and run by generate_tools.py.
#include <cstdio>
#include <cstring>

struct Shape {
    virtual ~Shape() {}
    virtual int area() { return 1; }
};
struct Square : Shape {
    int area() override { return 4; }
};
struct Unrelated {
    virtual ~Unrelated() {}
    virtual int weight() { return 2; }
};

using IntFunction = int (*)(int);
__attribute__((noinline)) float halve(float x) { return x / 2; }

__attribute__((noinline)) int bad_vcall(void *memory) {
    Shape *shape;
    std::memcpy(&shape, &memory, sizeof shape);  // no cast for CFI to check
    return shape->area();
}

__attribute__((noinline)) int bad_icall(void *function) {
    IntFunction call = reinterpret_cast<IntFunction>(function);
    return call(3);
}

__attribute__((noinline)) int bad_unrelated_cast(void *memory) {
    Shape *shape = static_cast<Shape *>(memory);
    return shape != nullptr;
}

__attribute__((noinline)) int bad_derived_cast(Shape *shape) {
    Square *square = static_cast<Square *>(shape);
    return square != nullptr;
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    Unrelated unrelated;
    Shape plain;
    void *opaque = &unrelated;
    __asm__ volatile("" : "+r"(opaque) : : "memory");
    void *function = reinterpret_cast<void *>(&halve);
    __asm__ volatile("" : "+r"(function) : : "memory");
    Shape *base = &plain;
    __asm__ volatile("" : "+r"(base) : : "memory");
    if (!strcmp(argv[1], "vcall")) return bad_vcall(opaque);
    if (!strcmp(argv[1], "icall")) return bad_icall(function);
    if (!strcmp(argv[1], "unrelated_cast")) return bad_unrelated_cast(opaque);
    if (!strcmp(argv[1], "derived_cast")) return bad_derived_cast(base);
    return 2;
}
