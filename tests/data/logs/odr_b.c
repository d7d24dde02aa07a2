/* The other definition of odr_a.c's global. */
int shared_table[20] = {2};
int second_entry(int i) { return shared_table[i]; }
