// Mismatched allocation and release for Valgrind memcheck, in C++.
// Built and run by generate_tools.py.
#include <cstdlib>

__attribute__((noinline)) void release(int *numbers) { delete numbers; }

int main() {
    int *numbers = new int[8];
    numbers[0] = 1;
    release(numbers);
    return 0;
}
