// Initialization-order fiasco, second half: a dynamically initialized global.
#include <cstdlib>
int compute() { return std::atoi("41") + 1; }
int b_value = compute();
