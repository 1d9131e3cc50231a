/* Seedable random numbers (xoshiro256**, seeded through splitmix64).
 * Every component that samples takes an Rng it owns, so a run is reproducible
 * from its --seed whatever the order in which components draw. */
#ifndef BASE_RNG_H
#define BASE_RNG_H

#include <stdint.h>

typedef struct { uint64_t s[4]; } Rng;

void rng_seed(Rng *r, uint64_t seed);
/* A child generator for stream `index` (e.g. a thread or a task): independent of siblings. */
Rng rng_split(const Rng *r, uint64_t index);
uint64_t rng_next(Rng *r);
double rng_uniform(Rng *r);               /* [0, 1) */
int rng_int(Rng *r, int n);               /* [0, n) */
double rng_gauss(Rng *r);                 /* N(0, 1) */
void rng_shuffle_int(Rng *r, int *a, int n);

#endif
