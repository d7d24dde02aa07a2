// Undefined behaviour only C++ has, one case per name in argv[1]. Built with
// -fsanitize=undefined and run by generate_tools.py.
#include <cstdio>
#include <cstring>

struct Base {
    virtual ~Base() {}
    virtual int get() { return 1; }
};
struct Derived : Base {
    int extra = 2;
    int get() override { return extra; }
};
struct Unrelated {
    virtual ~Unrelated() {}
    virtual int other() { return 3; }
};

// A downcast to the wrong type, then a member access through it.
__attribute__((noinline)) int bad_downcast(Base *base) {
    return static_cast<Derived *>(base)->extra;
}
// A virtual call on an object of an unrelated type.
__attribute__((noinline)) int wrong_dynamic_type(Unrelated *object) {
    return reinterpret_cast<Base *>(object)->get();
}
__attribute__((noinline)) int missing_return(int value) {
    if (value > 10) return 1;
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    if (!std::strcmp(argv[1], "vptr")) {
        Base *base = new Base;
        Unrelated *unrelated = new Unrelated;
        std::printf("%d %d\n", bad_downcast(base), wrong_dynamic_type(unrelated));
        delete base;
        delete unrelated;
        return 0;
    }
    if (!std::strcmp(argv[1], "missing_return")) return missing_return(argc);
    return 2;
}
