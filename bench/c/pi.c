/*
 * The C references for bench/kernel.mjs: the π kernels `seeded` (one xoshiro128** stream) and
 * `simd` (16 interleaved streams, which the compiler vectorises) written plainly, with the same
 * seeding and point test, so their hits equal piChunk's and piChunkSimd's for the same arguments.
 *
 *   cc -O3 -march=native -o pi bench/c/pi.c
 *   ./pi <scalar|streams16> <seed> <index> <samples> <rounds>
 * prints the hits, then the samples per CPU-second of each round (each draws the same chunk again;
 * CPU time, not wall time, so that other processes on a shared machine count less).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LANES 16

static uint32_t fmix32(uint32_t h) {
  h = (h ^ (h >> 16)) * 0x85ebca6bu;
  h = (h ^ (h >> 13)) * 0xc2b2ae35u;
  return h ^ (h >> 16);
}

/* The xoshiro128** state of seeded chunk `index`: splitmix32 outputs 4i+1 … 4i+4 from fmix32(seed). */
static void seed_state(uint32_t seed, uint32_t index, uint32_t s[4]) {
  uint32_t sm = fmix32(seed) + (index << 2) * 0x9e3779b9u;
  for (int w = 0; w < 4; w++) s[w] = fmix32(sm += 0x9e3779b9u);
}

static inline uint32_t rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

static inline uint32_t next(uint32_t s[4]) {
  uint32_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 9;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 11);
  return r;
}

static uint64_t scalar(uint32_t seed, uint32_t index, uint64_t n) {
  uint32_t s[4];
  seed_state(seed, index, s);
  uint64_t inside = 0;
  for (uint64_t k = 0; k < n; k++) {
    double x = next(s), y = next(s);
    inside += x * x + y * y <= 0x1p64;
  }
  return inside;
}

/* piChunkSimd: lane l seeded as chunk 16 index + l; sample k drawn by lane k mod 16. */
static uint64_t streams16(uint32_t seed, uint32_t index, uint64_t n) {
  uint32_t s0[LANES], s1[LANES], s2[LANES], s3[LANES];
  for (int l = 0; l < LANES; l++) {
    uint32_t s[4];
    seed_state(seed, index * LANES + l, s);
    s0[l] = s[0], s1[l] = s[1], s2[l] = s[2], s3[l] = s[3];
  }
  uint64_t rounds = n / LANES, inside = 0;
  for (uint64_t k = 0; k < rounds; k++) {
    uint32_t count = 0;
    for (int l = 0; l < LANES; l++) {
      uint32_t s[4] = {s0[l], s1[l], s2[l], s3[l]};
      double x = next(s), y = next(s);
      s0[l] = s[0], s1[l] = s[1], s2[l] = s[2], s3[l] = s[3];
      count += x * x + y * y <= 0x1p64;
    }
    inside += count;
  }
  for (int l = 0; l < (int)(n % LANES); l++) {
    uint32_t s[4] = {s0[l], s1[l], s2[l], s3[l]};
    double x = next(s), y = next(s);
    inside += x * x + y * y <= 0x1p64;
  }
  return inside;
}

int main(int argc, char **argv) {
  if (argc != 6 || (strcmp(argv[1], "scalar") && strcmp(argv[1], "streams16"))) {
    fprintf(stderr, "usage: %s <scalar|streams16> <seed> <index> <samples> <rounds>\n", argv[0]);
    return 2;
  }
  uint64_t (*kernel)(uint32_t, uint32_t, uint64_t) = strcmp(argv[1], "scalar") ? streams16 : scalar;
  uint32_t seed = strtoul(argv[2], 0, 10), index = strtoul(argv[3], 0, 10);
  uint64_t n = strtoull(argv[4], 0, 10);
  int rounds = atoi(argv[5]);
  printf("%llu", (unsigned long long)kernel(seed, index, n));
  for (int r = 0; r < rounds; r++) {
    struct timespec a, b;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
    volatile uint64_t hits = kernel(seed, index, n);
    (void)hits;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
    printf(" %.1f", n / ((b.tv_sec - a.tv_sec) + 1e-9 * (b.tv_nsec - a.tv_nsec)) / 1e6);
  }
  printf("\n");
  return 0;
}
