// Initialization-order fiasco, first half: reads a global of initorder_b.cc
// before its dynamic initializer ran (link order puts this file first).
extern int b_value;
int read_b() { return b_value + 1; }
int a_value = read_b();
int main() { return a_value == 1 ? 0 : 2; }
