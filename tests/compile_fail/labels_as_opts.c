/* A 0.1-style call: label names where the options now go. With
 * -Werror=incompatible-pointer-types (gcc 14's default, and what promc's
 * own builds use) it does not compile. */
#include "promc.h"

int main(void)
{
    promc_counter *c = promc_counter_new(NULL, "req", "R.", PROMC_LABELS("code"));
    promc_counter_inc(c);
    return 0;
}
