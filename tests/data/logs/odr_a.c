/* One instrumented global defined in two shared libraries with two sizes:
 * ASan reports an odr-violation when the second library is loaded. */
int shared_table[10] = {1};
int first_entry(int i) { return shared_table[i]; }
