/* Counter-based random numbers: Philox4x32-10 (Salmon et al., "Parallel random
 * numbers: as easy as 1, 2, 3", SC'11), written here.
 *
 * A draw is a pure function of a key (the seed) and a counter (who, when, what
 * for), so simulations give the same numbers whichever MPI rank evaluates them and
 * in whatever order.  The counter words used by the simulators are
 *
 *   ctr[0] = id      agent, block of agents, or 0 for path-wide draws
 *   ctr[1] = step    time-step index
 *   ctr[2] = path    replication index
 *   ctr[3] = stream << 24 | i   purpose of the draw (StkRngStream) and the index i
 *                    of the 4-word block within it (rejection samplers use several)
 *
 * and the key is the 64-bit seed split in two words.  These are plain C kernels
 * for inner loops (no PETSc error handling); every argument is assumed valid. */
#pragma once
#include <stdint.h>

/* One Philox4x32 bijection with 10 rounds: out = Philox_key(ctr). */
void StkPhilox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/* Purposes of draws (ctr[3] >> 24); a new purpose gets a new number. */
typedef enum {
  STK_RNG_STREAM_GENERIC = 0,
  STK_RNG_STREAM_Z       = 1,  /* outside-yield noise (path-wide) */
  STK_RNG_STREAM_S       = 2,  /* SDE staking noise (path-wide) */
  STK_RNG_STREAM_LEAVE   = 3,  /* block engine: stakers who revise and leave */
  STK_RNG_STREAM_JOIN    = 4,  /* block engine: non-stakers who revise and join */
  STK_RNG_STREAM_SHOCK   = 5,  /* stakers removed by a shock */
  STK_RNG_STREAM_REVISE  = 6,  /* agent engine: revision clocks (4 agents per block) */
  STK_RNG_STREAM_DECIDE  = 7,  /* agent engine: mixed or transitory decisions */
  STK_RNG_STREAM_TYPE    = 8,  /* agent engine: persistent cost types */
  STK_RNG_STREAM_REGIME  = 9   /* regime chain: the switch at the end of a step (path-wide) */
} StkRngStream;

/* A sequential reader of the blocks (key, {id, step, path, stream << 24 | i}),
 * i = 0, 1, 2, ...: uniforms take two words, normals one uniform pair. */
typedef struct {
  uint32_t key[2];
  uint32_t ctr[4];
  uint32_t word[4];
  int      nword;    /* unread words left in word[] (read from the top) */
  double   normal;   /* second Box-Muller normal of the last pair */
  int      hasnormal;
} StkRng;

void StkRngInit(StkRng *rng, uint64_t seed, uint32_t id, uint32_t step, uint32_t path, StkRngStream stream);
/* Uniform on (0, 1), never 0 or 1: (k + 1/2) 2^-52 with k 52 random bits (all
 * values exact and symmetric about 1/2). */
double StkRngUniform(StkRng *rng);
/* One uniform 32-bit word; for integer threshold tests. */
uint32_t StkRngWord(StkRng *rng);
/* Standard normal by Box-Muller on one pair of uniforms (the second is kept). */
double StkRngNormal(StkRng *rng);
/* Binomial(n, p): exact inversion when n min(p, 1-p) < 10, else Hormann's BTRS
 * transformed rejection.  n <= 0 or p <= 0 gives 0, p >= 1 gives n. */
int64_t StkRngBinomial(StkRng *rng, int64_t n, double p);
/* Poisson(mean): inversion below mean 10, else Hormann's PTRS.  mean <= 0 gives 0. */
int64_t StkRngPoisson(StkRng *rng, double mean);

/* Uniform on (0, 1) from two words as StkRngUniform does (for inlined loops). */
static inline double StkRngWordsToUniform(uint32_t hi, uint32_t lo)
{
  const uint64_t k = ((uint64_t)hi << 20) | (lo >> 12); /* 52 bits */
  return ((double)k + 0.5) * 0x1p-52;
}
