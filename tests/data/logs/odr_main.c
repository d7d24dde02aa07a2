/* Loads libodr_a.so and libodr_b.so, which define one global twice. */
#include <stdio.h>

int first_entry(int i);
int second_entry(int i);

int main(void) {
    printf("%d %d\n", first_entry(0), second_entry(0));
    return 0;
}
