/* Constant-time helpers: masks, selects, wiping, and the hook that lets the
 * valgrind constant-time check declassify values that are public by design
 * (a rejected nonce candidate, the retry decision of GB/T 32918.2 A5/A6,
 * the signature itself). */
#ifndef TK_CT_H
#define TK_CT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef TK_CT_VALGRIND
#include <valgrind/memcheck.h>
#define TK_SECRET(p, n) VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#define TK_DECLASSIFY(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))
#else
#define TK_SECRET(p, n) ((void)(p), (void)(n))
#define TK_DECLASSIFY(p, n) ((void)(p), (void)(n))
#endif

/* A value the optimiser cannot see through, so masks stay masks. */
static inline uint64_t tk_ct_barrier(uint64_t x) {
#if defined(__GNUC__)
    __asm__("" : "+r"(x));
#endif
    return x;
}

/* All ones if x == 0, else zero. */
static inline uint64_t tk_ct_is_zero_mask(uint64_t x) {
    x = tk_ct_barrier(x);
    return ((x | (0 - x)) >> 63) - 1;
}

/* All ones if a == b, else zero. */
static inline uint64_t tk_ct_eq_mask(uint64_t a, uint64_t b) { return tk_ct_is_zero_mask(a ^ b); }

/* 1 -> all ones, 0 -> zero. */
static inline uint64_t tk_ct_bit_to_mask(uint64_t bit) { return 0 - tk_ct_barrier(bit & 1); }

/* Wipe memory in a way the compiler may not elide: the empty asm statement
 * claims to read the buffer, so the memset is not a dead store. */
static inline void tk_memzero(void *p, size_t n) {
    memset(p, 0, n);
#if defined(__GNUC__)
    __asm__ __volatile__("" : : "r"(p) : "memory");
#else
    volatile uint8_t *v = (volatile uint8_t *)p;
    while (n--) *v++ = 0;
#endif
}

#endif
