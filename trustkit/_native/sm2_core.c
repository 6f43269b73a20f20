/*
 * SM2 digital signature and point arithmetic (GB/T 32918.1/.2/.5) over the
 * recommended curve sm2p256v1.  See sm2_core.h for the boundary.
 *
 * Layout of this file:
 *   1. constants and field/scalar representation (4 x 64-bit limbs, little endian)
 *   2. field add/sub/select (shared by every backend)
 *   3. scalar arithmetic mod n (Montgomery, generic CIOS; a handful per signature)
 *   4. the backends: sm2_field_impl.h compiled twice, once portable and once with
 *      MULX/ADCX/ADOX, chosen at run time by CPUID
 *   5. the public functions
 *
 * Field elements are kept in Montgomery form (R = 2^256) and fully reduced.
 */
#include "sm2_core.h"

#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "ct.h"
#include "sm3.h"

typedef unsigned __int128 u128;
typedef uint64_t fe[4];

typedef struct {
    fe X, Y, Z; /* Jacobian: x = X/Z^2, y = Y/Z^3; Z = 0 is the point at infinity */
} jac;

typedef struct {
    fe x, y;
} aff;

/* ---- 1. constants --------------------------------------------------------- */

static const uint64_t P[4] = {0xFFFFFFFFFFFFFFFFULL, 0xFFFFFFFF00000000ULL, 0xFFFFFFFFFFFFFFFFULL,
                              0xFFFFFFFEFFFFFFFFULL};
static const uint64_t N[4] = {0x53BBF40939D54123ULL, 0x7203DF6B21C6052BULL, 0xFFFFFFFFFFFFFFFFULL,
                              0xFFFFFFFEFFFFFFFFULL};

/* Curve parameters as the standard prints them (GB/T 32918.5), big endian. */
static const uint8_t B_BYTES[32] = {
    0x28, 0xE9, 0xFA, 0x9E, 0x9D, 0x9F, 0x5E, 0x34, 0x4D, 0x5A, 0x9E, 0x4B, 0xCF, 0x65, 0x09, 0xA7,
    0xF3, 0x97, 0x89, 0xF5, 0x15, 0xAB, 0x8F, 0x92, 0xDD, 0xBC, 0xBD, 0x41, 0x4D, 0x94, 0x0E, 0x93};
static const uint8_t GX_BYTES[32] = {
    0x32, 0xC4, 0xAE, 0x2C, 0x1F, 0x19, 0x81, 0x19, 0x5F, 0x99, 0x04, 0x46, 0x6A, 0x39, 0xC9, 0x94,
    0x8F, 0xE3, 0x0B, 0xBF, 0xF2, 0x66, 0x0B, 0xE1, 0x71, 0x5A, 0x45, 0x89, 0x33, 0x4C, 0x74, 0xC7};
static const uint8_t GY_BYTES[32] = {
    0xBC, 0x37, 0x36, 0xA2, 0xF4, 0xF6, 0x77, 0x9C, 0x59, 0xBD, 0xCE, 0xE3, 0x6B, 0x69, 0x21, 0x53,
    0xD0, 0xA9, 0x87, 0x7C, 0xC6, 0x2A, 0x47, 0x40, 0x02, 0xDF, 0x32, 0xE5, 0x21, 0x39, 0xF0, 0xA0};

/* Filled by tk_sm2_init(). */
static fe FE_R2;      /* R^2 mod p, to enter Montgomery form */
static fe FE_ONE;     /* R mod p: 1 in Montgomery form */
static fe FE_B;       /* b in Montgomery form */
static fe FE_A;       /* a = -3 in Montgomery form */
static aff G_AFF;     /* generator, Montgomery form */
static uint64_t SC_R2[4]; /* R^2 mod n */
static uint64_t SC_N0;    /* -n^-1 mod 2^64 */
static int INITIALISED;

#define COMB_W 7
#define COMB_WINDOWS 37   /* ceil(257 / 7): Booth windows cover the 256-bit scalar */
#define COMB_POINTS 64    /* 2^(w-1) multiples per window */
static aff G_COMB[COMB_WINDOWS][COMB_POINTS];

const size_t TK_SM2_VERIFY_TABLE_BYTES = sizeof(aff) * COMB_WINDOWS * COMB_POINTS;

/* ---- 2. limb helpers and field add/sub -------------------------------------- */

static void limbs_from_bytes(uint64_t r[4], const uint8_t b[32]) {
    for (int i = 0; i < 4; i++) {
        const uint8_t *q = b + 8 * (3 - i);
        r[i] = ((uint64_t)q[0] << 56) | ((uint64_t)q[1] << 48) | ((uint64_t)q[2] << 40) |
               ((uint64_t)q[3] << 32) | ((uint64_t)q[4] << 24) | ((uint64_t)q[5] << 16) |
               ((uint64_t)q[6] << 8) | (uint64_t)q[7];
    }
}

static void limbs_to_bytes(uint8_t b[32], const uint64_t r[4]) {
    for (int i = 0; i < 4; i++) {
        uint8_t *q = b + 8 * (3 - i);
        for (int j = 0; j < 8; j++) q[j] = (uint8_t)(r[i] >> (56 - 8 * j));
    }
}

/* r = a - b, returns the borrow (0 or 1). */
static inline uint64_t limbs_sub(uint64_t r[4], const uint64_t a[4], const uint64_t b[4]) {
    uint64_t borrow = 0;
    for (int i = 0; i < 4; i++) {
        u128 d = (u128)a[i] - b[i] - borrow;
        r[i] = (uint64_t)d;
        borrow = (uint64_t)(d >> 64) & 1;
    }
    return borrow;
}

/* r = a + b, returns the carry (0 or 1). */
static inline uint64_t limbs_add(uint64_t r[4], const uint64_t a[4], const uint64_t b[4]) {
    uint64_t carry = 0;
    for (int i = 0; i < 4; i++) {
        u128 s = (u128)a[i] + b[i] + carry;
        r[i] = (uint64_t)s;
        carry = (uint64_t)(s >> 64);
    }
    return carry;
}

/* All ones if a < m (as 256-bit integers), constant time. */
static inline uint64_t limbs_lt_mask(const uint64_t a[4], const uint64_t m[4]) {
    uint64_t t[4];
    return 0 - limbs_sub(t, a, m);
}

static inline uint64_t limbs_is_zero_mask(const uint64_t a[4]) {
    return tk_ct_is_zero_mask(a[0] | a[1] | a[2] | a[3]);
}

/* r = mask ? a : r */
static inline void limbs_cmov(uint64_t r[4], const uint64_t a[4], uint64_t mask) {
    for (int i = 0; i < 4; i++) r[i] ^= mask & (r[i] ^ a[i]);
}

/* r = (a + b) mod m for a, b < m. */
static inline void limbs_add_mod(uint64_t r[4], const uint64_t a[4], const uint64_t b[4],
                                 const uint64_t m[4]) {
    uint64_t sum[4], red[4];
    uint64_t carry = limbs_add(sum, a, b);
    uint64_t borrow = limbs_sub(red, sum, m);
    /* keep the unreduced sum only if the subtraction borrowed and the add did not carry */
    uint64_t keep = 0 - (borrow & (carry ^ 1));
    for (int i = 0; i < 4; i++) r[i] = (sum[i] & keep) | (red[i] & ~keep);
}

/* r = (a - b) mod m for a, b < m. */
static inline void limbs_sub_mod(uint64_t r[4], const uint64_t a[4], const uint64_t b[4],
                                 const uint64_t m[4]) {
    uint64_t diff[4], mm[4];
    uint64_t mask = 0 - limbs_sub(diff, a, b);
    for (int i = 0; i < 4; i++) mm[i] = m[i] & mask;
    limbs_add(r, diff, mm);
}

/* r = a mod m for any 256-bit a, when m > 2^255 (true for p and n): one conditional subtraction. */
static inline void limbs_reduce_once(uint64_t r[4], const uint64_t a[4], const uint64_t m[4]) {
    uint64_t red[4];
    uint64_t keep = 0 - limbs_sub(red, a, m);
    for (int i = 0; i < 4; i++) r[i] = (a[i] & keep) | (red[i] & ~keep);
}

/* r = (s3..s0 + top * 2^256) mod p for a value below 2p: subtract p once unless
 * that borrows past the top bit.  Constant time. */
static inline void fe_reduce_carry(fe r, uint64_t s0, uint64_t s1, uint64_t s2, uint64_t s3, uint64_t top) {
    u128 d = (u128)s0 - P[0];
    uint64_t d0 = (uint64_t)d;
    d = (u128)s1 - P[1] - ((uint64_t)(d >> 64) & 1);
    uint64_t d1 = (uint64_t)d;
    d = (u128)s2 - P[2] - ((uint64_t)(d >> 64) & 1);
    uint64_t d2 = (uint64_t)d;
    d = (u128)s3 - P[3] - ((uint64_t)(d >> 64) & 1);
    uint64_t d3 = (uint64_t)d, borrow = (uint64_t)(d >> 64) & 1;
    uint64_t keep = 0 - (borrow & (top ^ 1));
    r[0] = (s0 & keep) | (d0 & ~keep);
    r[1] = (s1 & keep) | (d1 & ~keep);
    r[2] = (s2 & keep) | (d2 & ~keep);
    r[3] = (s3 & keep) | (d3 & ~keep);
}

/* Straight-line modular addition and subtraction for the portable backend. */
static inline void fe_add(fe r, const fe a, const fe b) {
    u128 c = (u128)a[0] + b[0];
    uint64_t s0 = (uint64_t)c;
    c = (c >> 64) + a[1] + b[1];
    uint64_t s1 = (uint64_t)c;
    c = (c >> 64) + a[2] + b[2];
    uint64_t s2 = (uint64_t)c;
    c = (c >> 64) + a[3] + b[3];
    fe_reduce_carry(r, s0, s1, s2, (uint64_t)c, (uint64_t)(c >> 64));
}

static inline void fe_sub(fe r, const fe a, const fe b) {
    u128 d = (u128)a[0] - b[0];
    uint64_t d0 = (uint64_t)d;
    d = (u128)a[1] - b[1] - ((uint64_t)(d >> 64) & 1);
    uint64_t d1 = (uint64_t)d;
    d = (u128)a[2] - b[2] - ((uint64_t)(d >> 64) & 1);
    uint64_t d2 = (uint64_t)d;
    d = (u128)a[3] - b[3] - ((uint64_t)(d >> 64) & 1);
    uint64_t d3 = (uint64_t)d, mask = 0 - ((uint64_t)(d >> 64) & 1);
    u128 c = (u128)d0 + (P[0] & mask);
    r[0] = (uint64_t)c;
    c = (c >> 64) + d1 + (P[1] & mask);
    r[1] = (uint64_t)c;
    c = (c >> 64) + d2 + (P[2] & mask);
    r[2] = (uint64_t)c;
    r[3] = d3 + (P[3] & mask) + (uint64_t)(c >> 64);
}

static inline void fe_neg(fe r, const fe a) {
    static const fe zero = {0, 0, 0, 0};
    limbs_sub_mod(r, zero, a, P);
}
static inline void fe_copy(fe r, const fe a) { memcpy(r, a, sizeof(fe)); }
static inline int fe_equal_vartime(const fe a, const fe b) { return memcmp(a, b, sizeof(fe)) == 0; }
static inline int fe_is_zero_vartime(const fe a) { return (a[0] | a[1] | a[2] | a[3]) == 0; }

/* ---- Montgomery reduction shared by both field backends -------------------- */

/*
 * One reduction round on x = (x0, x1, x2, x3, x4): with m = x0,
 * (x + m*p) / 2^64 = (x >> 64) + m*q where q = (p + 1) / 2^64
 * = 2^192 - 2^160 - 2^32 + 1.  Because p = -1 mod 2^64 the Montgomery factor
 * -p^-1 mod 2^64 is 1, so m needs no multiplication and m*q is only shifts,
 * additions and subtractions (reference/sm2-performance.md, technique 1):
 * m*q = (m, 0, 0, m) - (lo, hi, lo, hi) with lo = m << 32, hi = m >> 32.
 */
#define TK_REDC_ROUND(x0, x1, x2, x3, x4)                                   \
    do {                                                                    \
        uint64_t m_ = x0, lo_ = m_ << 32, hi_ = m_ >> 32;                   \
        uint64_t q0_ = m_ - lo_, b_ = m_ < lo_;                             \
        uint64_t q1_ = 0 - hi_ - b_;                                        \
        b_ = (hi_ | b_) != 0;                                               \
        uint64_t q2_ = 0 - lo_ - b_;                                        \
        b_ = (lo_ | b_) != 0;                                               \
        uint64_t q3_ = m_ - hi_ - b_;                                       \
        u128 acc_ = (u128)x1 + q0_;                                         \
        x0 = (uint64_t)acc_;                                                \
        acc_ = (acc_ >> 64) + x2 + q1_;                                     \
        x1 = (uint64_t)acc_;                                                \
        acc_ = (acc_ >> 64) + x3 + q2_;                                     \
        x2 = (uint64_t)acc_;                                                \
        acc_ = (acc_ >> 64) + x4 + q3_;                                     \
        x3 = (uint64_t)acc_;                                                \
        x4 = (uint64_t)(acc_ >> 64);                                        \
    } while (0)

/* r = t / 2^256 mod p for t < p^2: reduce the low half (result <= p), add the
 * high half (< p), subtract p once if needed. */
static inline void fe_mont_reduce(fe r, const uint64_t t[8]) {
    uint64_t x0 = t[0], x1 = t[1], x2 = t[2], x3 = t[3], x4 = 0;
    TK_REDC_ROUND(x0, x1, x2, x3, x4);
    TK_REDC_ROUND(x0, x1, x2, x3, x4);
    TK_REDC_ROUND(x0, x1, x2, x3, x4);
    TK_REDC_ROUND(x0, x1, x2, x3, x4);
    u128 acc = (u128)x0 + t[4];
    uint64_t s0 = (uint64_t)acc;
    acc = (acc >> 64) + x1 + t[5];
    uint64_t s1 = (uint64_t)acc;
    acc = (acc >> 64) + x2 + t[6];
    uint64_t s2 = (uint64_t)acc;
    acc = (acc >> 64) + x3 + t[7];
    fe_reduce_carry(r, s0, s1, s2, (uint64_t)acc, (uint64_t)(acc >> 64) + x4);
}

/* ---- 3. scalars mod n -------------------------------------------------------- */

/* r = a * b / 2^256 mod n (CIOS Montgomery multiplication), constant time. */
static void sc_mont_mul(uint64_t r[4], const uint64_t a[4], const uint64_t b[4]) {
    uint64_t t[6] = {0, 0, 0, 0, 0, 0};
    for (int i = 0; i < 4; i++) {
        u128 c = 0;
        for (int j = 0; j < 4; j++) {
            c += (u128)a[j] * b[i] + t[j];
            t[j] = (uint64_t)c;
            c >>= 64;
        }
        c += t[4];
        t[4] = (uint64_t)c;
        t[5] = (uint64_t)(c >> 64);
        uint64_t m = t[0] * SC_N0;
        c = (u128)m * N[0] + t[0];
        c >>= 64;
        for (int j = 1; j < 4; j++) {
            c += (u128)m * N[j] + t[j];
            t[j - 1] = (uint64_t)c;
            c >>= 64;
        }
        c += t[4];
        t[3] = (uint64_t)c;
        t[4] = t[5] + (uint64_t)(c >> 64);
    }
    uint64_t red[4];
    uint64_t borrow = limbs_sub(red, t, N);
    uint64_t keep = 0 - (borrow & (t[4] ^ 1));
    for (int i = 0; i < 4; i++) r[i] = (t[i] & keep) | (red[i] & ~keep);
}

/* r = a * b mod n for a, b < n. */
static void sc_mul(uint64_t r[4], const uint64_t a[4], const uint64_t b[4]) {
    uint64_t t[4];
    sc_mont_mul(t, a, b);
    sc_mont_mul(r, t, SC_R2);
}

/* r = a^-1 mod n by Fermat (a^(n-2)); the exponent is public, so branching on
 * its bits is constant time with respect to a. */
static void sc_inv(uint64_t r[4], const uint64_t a[4]) {
    uint64_t am[4], acc[4], e[4];
    static const uint64_t two[4] = {2, 0, 0, 0};
    limbs_sub(e, N, two);
    sc_mont_mul(am, a, SC_R2); /* a in Montgomery form */
    memcpy(acc, am, sizeof acc);
    for (int bit = 254; bit >= 0; bit--) { /* bit 255 of n-2 is 1: acc starts at a */
        sc_mont_mul(acc, acc, acc);
        if ((e[bit / 64] >> (bit % 64)) & 1) sc_mont_mul(acc, acc, am);
    }
    static const uint64_t one[4] = {1, 0, 0, 0};
    sc_mont_mul(r, acc, one); /* leave Montgomery form */
    tk_memzero(am, sizeof am);
    tk_memzero(acc, sizeof acc);
}

/* ---- scalar recoding (public positions, secret-safe arithmetic) ------------- */

/* nbits bits of k starting at bit pos (pos = -1 reads an implicit zero below bit 0). */
static inline uint64_t window_bits(const uint64_t k[5], int pos, int nbits) {
    uint64_t mask = ((uint64_t)1 << nbits) - 1;
    if (pos < 0) return (k[0] << 1) & mask;
    int word = pos >> 6, sh = pos & 63;
    uint64_t v = k[word] >> sh;
    if (sh + nbits > 64) v |= k[word + 1] << (64 - sh);
    return v & mask;
}

/* Signed (Booth) digit of a (w+1)-bit window: value = (v >> 1) + (v & 1) - 2^w * bit_w,
 * in [-2^(w-1), 2^(w-1)], returned as sign and magnitude without branches. */
static inline void booth_digit(uint64_t *sign, uint64_t *abs, uint64_t v, int w) {
    uint64_t s = (v >> w) & 1;
    uint64_t d = (v >> 1) + (v & 1);
    uint64_t m = 0 - s;
    uint64_t neg = ((uint64_t)1 << w) - d;
    *abs = (neg & m) | (d & ~m);
    *sign = s;
}

/* Width-5 non-adjacent form of a public scalar; returns the number of digits. */
static int wnaf5(int8_t naf[260], const uint64_t k_in[4]) {
    uint64_t k[5] = {k_in[0], k_in[1], k_in[2], k_in[3], 0};
    int len = 0;
    memset(naf, 0, 260);
    while ((k[0] | k[1] | k[2] | k[3] | k[4]) && len < 260) {
        int d = 0;
        if (k[0] & 1) {
            d = (int)(k[0] & 31);
            if (d > 16) d -= 32;
            uint64_t carry;
            if (d > 0) {
                uint64_t old = k[0];
                k[0] -= (uint64_t)d;
                carry = k[0] > old;
                for (int i = 1; i < 5 && carry; i++) carry = (k[i]-- == 0);
            } else {
                uint64_t old = k[0];
                k[0] += (uint64_t)(-d);
                carry = k[0] < old;
                for (int i = 1; i < 5 && carry; i++) carry = (++k[i] == 0);
            }
        }
        naf[len++] = (int8_t)d;
        for (int i = 0; i < 4; i++) k[i] = (k[i] >> 1) | (k[i + 1] << 63);
        k[4] >>= 1;
    }
    return len;
}

/* ---- 4. backends ------------------------------------------------------------- */

/* Portable: schoolbook 4x4 product with 128-bit accumulators. */
static inline void fe_mul_wide_portable(uint64_t t[8], const uint64_t a[4], const uint64_t b[4]) {
    for (int i = 0; i < 8; i++) t[i] = 0;
    for (int i = 0; i < 4; i++) {
        u128 c = 0;
        for (int j = 0; j < 4; j++) {
            c += (u128)a[i] * b[j] + t[i + j];
            t[i + j] = (uint64_t)c;
            c >>= 64;
        }
        t[i + 4] = (uint64_t)c;
    }
}

#define FE_MUL_WIDE fe_mul_wide_portable
#define FE_REDUCE fe_mont_reduce
#define FE_ADD fe_add
#define FE_SUB fe_sub
#define FN(name) name##_portable
#include "sm2_field_impl.h"
#undef FN
#undef FE_MUL_WIDE
#undef FE_REDUCE
#undef FE_ADD
#undef FE_SUB

#if defined(__x86_64__) && defined(__GNUC__) && !defined(TK_NO_ADX)
#define TK_HAVE_ADX_BACKEND 1
#pragma GCC push_options
#pragma GCC target("bmi2,adx,avx2")
#define TK_IMPL_AVX2 1

/* MULX/ADCX/ADOX: rows of the product accumulate along two independent carry
 * chains (CF for low halves, OF for high halves). */
static inline void fe_mul_wide_adx(uint64_t t[8], const uint64_t a[4], const uint64_t b[4]) {
    uint64_t r0, r1, r2, r3, r4, lo, hi, zero;
    __asm__ volatile(
        "xorl %k[z], %k[z]\n\t"
        /* row 0: t0..t4 = a * b0 */
        "movq 0(%[b]), %%rdx\n\t"
        "mulxq 0(%[a]), %[r0], %[r1]\n\t"
        "mulxq 8(%[a]), %[lo], %[r2]\n\t"
        "addq %[lo], %[r1]\n\t"
        "mulxq 16(%[a]), %[lo], %[r3]\n\t"
        "adcq %[lo], %[r2]\n\t"
        "mulxq 24(%[a]), %[lo], %[r4]\n\t"
        "adcq %[lo], %[r3]\n\t"
        "adcq %[z], %[r4]\n\t"
        "movq %[r0], 0(%[t])\n\t"
        /* row 1: t1..t5 += a * b1; r0 now holds t5 */
        "movq 8(%[b]), %%rdx\n\t"
        "xorl %k[r0], %k[r0]\n\t"
        "mulxq 0(%[a]), %[lo], %[hi]\n\t"
        "adcxq %[lo], %[r1]\n\t"
        "adoxq %[hi], %[r2]\n\t"
        "mulxq 8(%[a]), %[lo], %[hi]\n\t"
        "adcxq %[lo], %[r2]\n\t"
        "adoxq %[hi], %[r3]\n\t"
        "mulxq 16(%[a]), %[lo], %[hi]\n\t"
        "adcxq %[lo], %[r3]\n\t"
        "adoxq %[hi], %[r4]\n\t"
        "mulxq 24(%[a]), %[lo], %[hi]\n\t"
        "adcxq %[lo], %[r4]\n\t"
        "adoxq %[hi], %[r0]\n\t"
        "adcxq %[z], %[r0]\n\t"
        "movq %[r1], 8(%[t])\n\t"
        /* row 2: t2..t6 += a * b2; r1 now holds t6 */
        "movq 16(%[b]), %%rdx\n\t"
        "xorl %k[r1], %k[r1]\n\t"
        "mulxq 0(%[a]), %[lo], %[hi]\n\t"
        "adcxq %[lo], %[r2]\n\t"
        "adoxq %[hi], %[r3]\n\t"
        "mulxq 8(%[a]), %[lo], %[hi]\n\t"
        "adcxq %[lo], %[r3]\n\t"
        "adoxq %[hi], %[r4]\n\t"
        "mulxq 16(%[a]), %[lo], %[hi]\n\t"
        "adcxq %[lo], %[r4]\n\t"
        "adoxq %[hi], %[r0]\n\t"
        "mulxq 24(%[a]), %[lo], %[hi]\n\t"
        "adcxq %[lo], %[r0]\n\t"
        "adoxq %[hi], %[r1]\n\t"
        "adcxq %[z], %[r1]\n\t"
        "movq %[r2], 16(%[t])\n\t"
        /* row 3: t3..t7 += a * b3; r2 now holds t7 */
        "movq 24(%[b]), %%rdx\n\t"
        "xorl %k[r2], %k[r2]\n\t"
        "mulxq 0(%[a]), %[lo], %[hi]\n\t"
        "adcxq %[lo], %[r3]\n\t"
        "adoxq %[hi], %[r4]\n\t"
        "mulxq 8(%[a]), %[lo], %[hi]\n\t"
        "adcxq %[lo], %[r4]\n\t"
        "adoxq %[hi], %[r0]\n\t"
        "mulxq 16(%[a]), %[lo], %[hi]\n\t"
        "adcxq %[lo], %[r0]\n\t"
        "adoxq %[hi], %[r1]\n\t"
        "mulxq 24(%[a]), %[lo], %[hi]\n\t"
        "adcxq %[lo], %[r1]\n\t"
        "adoxq %[hi], %[r2]\n\t"
        "adcxq %[z], %[r2]\n\t"
        "movq %[r3], 24(%[t])\n\t"
        "movq %[r4], 32(%[t])\n\t"
        "movq %[r0], 40(%[t])\n\t"
        "movq %[r1], 48(%[t])\n\t"
        "movq %[r2], 56(%[t])\n\t"
        : [r0] "=&r"(r0), [r1] "=&r"(r1), [r2] "=&r"(r2), [r3] "=&r"(r3), [r4] "=&r"(r4),
          [lo] "=&r"(lo), [hi] "=&r"(hi), [z] "=&r"(zero)
        : [a] "r"(a), [b] "r"(b), [t] "r"(t)
        : "rdx", "cc", "memory");
}

/* r = t / 2^256 mod p: the reduction of fe_mont_reduce in assembly.  Each
 * round adds (m, 0, 0, m) and subtracts (lo, hi, lo, hi) to the shifted value;
 * the true result stays below 2^256, so carries out of the top limb cancel. */
#define TK_REDC_ASM_ROUND(a, b, c, d)            \
    "movq %" a ", %[lo]\n\t"                    \
    "shlq $32, %[lo]\n\t"                       \
    "movq %" a ", %[hi]\n\t"                    \
    "shrq $32, %[hi]\n\t"                       \
    "addq %" a ", %" b "\n\t"                    \
    "adcq $0, %" c "\n\t"                        \
    "adcq $0, %" d "\n\t"                        \
    "adcq $0, %" a "\n\t"                        \
    "subq %[lo], %" b "\n\t"                     \
    "sbbq %[hi], %" c "\n\t"                     \
    "sbbq %[lo], %" d "\n\t"                     \
    "sbbq %[hi], %" a "\n\t"

static inline void fe_mont_reduce_adx(fe r, const uint64_t t[8]) {
    uint64_t x0, x1, x2, x3, lo, hi, y2, top;
    __asm__ volatile(
        "movq 0(%[t]), %[x0]\n\t"
        "movq 8(%[t]), %[x1]\n\t"
        "movq 16(%[t]), %[x2]\n\t"
        "movq 24(%[t]), %[x3]\n\t"
        TK_REDC_ASM_ROUND("[x0]", "[x1]", "[x2]", "[x3]")
        TK_REDC_ASM_ROUND("[x1]", "[x2]", "[x3]", "[x0]")
        TK_REDC_ASM_ROUND("[x2]", "[x3]", "[x0]", "[x1]")
        TK_REDC_ASM_ROUND("[x3]", "[x0]", "[x1]", "[x2]")
        /* add the high half */
        "xorl %k[top], %k[top]\n\t"
        "addq 32(%[t]), %[x0]\n\t"
        "adcq 40(%[t]), %[x1]\n\t"
        "adcq 48(%[t]), %[x2]\n\t"
        "adcq 56(%[t]), %[x3]\n\t"
        "adcq $0, %[top]\n\t"
        /* y = x - p; keep x if that borrows past the top bit */
        "movq %[x0], %[lo]\n\t"
        "movq %[x1], %[hi]\n\t"
        "movq %[x2], %[y2]\n\t"
        "subq 0(%[p]), %[lo]\n\t"
        "sbbq 8(%[p]), %[hi]\n\t"
        "sbbq 16(%[p]), %[y2]\n\t"
        "movq %[x3], %[t]\n\t"
        "sbbq 24(%[p]), %[t]\n\t"
        "sbbq $0, %[top]\n\t"
        "cmovcq %[x0], %[lo]\n\t"
        "cmovcq %[x1], %[hi]\n\t"
        "cmovcq %[x2], %[y2]\n\t"
        "cmovcq %[x3], %[t]\n\t"
        "movq %[lo], 0(%[r])\n\t"
        "movq %[hi], 8(%[r])\n\t"
        "movq %[y2], 16(%[r])\n\t"
        "movq %[t], 24(%[r])\n\t"
        : [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2), [x3] "=&r"(x3), [lo] "=&r"(lo),
          [hi] "=&r"(hi), [y2] "=&r"(y2), [top] "=&r"(top), [t] "+&r"(t)
        : [p] "r"(P), [r] "r"(r)
        : "cc", "memory");
}

/* r = a + b mod p and r = a - b mod p with carry chains and cmov. */
static inline void fe_add_adx(fe r, const fe a, const fe b) {
    uint64_t x0, x1, x2, x3, y0, y1, y2, top;
    __asm__ volatile(
        "xorl %k[top], %k[top]\n\t"
        "movq 0(%[a]), %[x0]\n\t"
        "movq 8(%[a]), %[x1]\n\t"
        "movq 16(%[a]), %[x2]\n\t"
        "movq 24(%[a]), %[x3]\n\t"
        "addq 0(%[b]), %[x0]\n\t"
        "adcq 8(%[b]), %[x1]\n\t"
        "adcq 16(%[b]), %[x2]\n\t"
        "adcq 24(%[b]), %[x3]\n\t"
        "adcq $0, %[top]\n\t"
        "movq %[x0], %[y0]\n\t"
        "movq %[x1], %[y1]\n\t"
        "movq %[x2], %[y2]\n\t"
        "subq 0(%[p]), %[y0]\n\t"
        "sbbq 8(%[p]), %[y1]\n\t"
        "sbbq 16(%[p]), %[y2]\n\t"
        "movq %[x3], %[a]\n\t"
        "sbbq 24(%[p]), %[a]\n\t"
        "sbbq $0, %[top]\n\t"
        "cmovcq %[x0], %[y0]\n\t"
        "cmovcq %[x1], %[y1]\n\t"
        "cmovcq %[x2], %[y2]\n\t"
        "cmovcq %[x3], %[a]\n\t"
        "movq %[y0], 0(%[r])\n\t"
        "movq %[y1], 8(%[r])\n\t"
        "movq %[y2], 16(%[r])\n\t"
        "movq %[a], 24(%[r])\n\t"
        : [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2), [x3] "=&r"(x3), [y0] "=&r"(y0),
          [y1] "=&r"(y1), [y2] "=&r"(y2), [top] "=&r"(top), [a] "+&r"(a)
        : [b] "r"(b), [p] "r"(P), [r] "r"(r)
        : "cc", "memory");
}

static inline void fe_sub_adx(fe r, const fe a, const fe b) {
    uint64_t x0, x1, x2, x3, m0, m1, mask;
    __asm__ volatile(
        "movq 0(%[a]), %[x0]\n\t"
        "movq 8(%[a]), %[x1]\n\t"
        "movq 16(%[a]), %[x2]\n\t"
        "movq 24(%[a]), %[x3]\n\t"
        "subq 0(%[b]), %[x0]\n\t"
        "sbbq 8(%[b]), %[x1]\n\t"
        "sbbq 16(%[b]), %[x2]\n\t"
        "sbbq 24(%[b]), %[x3]\n\t"
        "sbbq %[mask], %[mask]\n\t"
        /* add p & mask; p = (-1, 2^64 - 2^32, -1, 2^64 - 2^32 - 1) */
        "movq 8(%[p]), %[m0]\n\t"
        "andq %[mask], %[m0]\n\t"
        "movq 24(%[p]), %[m1]\n\t"
        "andq %[mask], %[m1]\n\t"
        "addq %[mask], %[x0]\n\t"
        "adcq %[m0], %[x1]\n\t"
        "adcq %[mask], %[x2]\n\t"
        "adcq %[m1], %[x3]\n\t"
        "movq %[x0], 0(%[r])\n\t"
        "movq %[x1], 8(%[r])\n\t"
        "movq %[x2], 16(%[r])\n\t"
        "movq %[x3], 24(%[r])\n\t"
        : [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2), [x3] "=&r"(x3), [m0] "=&r"(m0),
          [m1] "=&r"(m1), [mask] "=&r"(mask)
        : [a] "r"(a), [b] "r"(b), [p] "r"(P), [r] "r"(r)
        : "cc", "memory");
}

#define FE_REDUCE fe_mont_reduce_adx
#define FE_ADD fe_add_adx
#define FE_SUB fe_sub_adx
#define FE_MUL_WIDE fe_mul_wide_adx
#define FN(name) name##_adx
#include "sm2_field_impl.h"
#undef FN
#undef FE_MUL_WIDE
#undef FE_REDUCE
#undef FE_ADD
#undef FE_SUB
#undef TK_IMPL_AVX2
#pragma GCC pop_options
#endif

typedef struct {
    const char *name;
    void (*fe_mul)(fe, const fe, const fe);
    void (*fe_inv)(fe, const fe);
    void (*base_mul_ct)(jac *, const uint64_t[4]);
    void (*point_mul_ct)(jac *, const uint64_t[4], const aff *);
    void (*to_affine)(aff *, const jac *);
    int (*verify_core)(const aff *, const aff (*)[COMB_POINTS], const uint64_t[4], const uint64_t[4],
                       const uint64_t[4], const uint64_t[4]);
    int (*comb_build)(aff (*)[COMB_POINTS], const aff *);
    int (*decompress)(aff *, const fe, int);
    int (*on_curve)(const aff *);
} backend;

static const backend BACKEND_PORTABLE = {
    "portable",          fe_mul_portable,      fe_inv_portable,     base_mul_ct_portable,
    point_mul_ct_portable, to_affine_portable, verify_core_portable, comb_build_portable,
    decompress_portable, on_curve_portable,
};
#ifdef TK_HAVE_ADX_BACKEND
static const backend BACKEND_ADX = {
    "adx",          fe_mul_adx,      fe_inv_adx,     base_mul_ct_adx, point_mul_ct_adx,
    to_affine_adx,  verify_core_adx, comb_build_adx, decompress_adx,  on_curve_adx,
};
#endif
static const backend *BK = &BACKEND_PORTABLE;

/* ---- 5. public functions ----------------------------------------------------- */

static void fe_from_bytes_mont(fe r, const uint8_t b[32]) {
    fe t;
    limbs_from_bytes(t, b);
    BK->fe_mul(r, t, FE_R2);
}

static void fe_to_bytes_mont(uint8_t b[32], const fe a) {
    static const fe one = {1, 0, 0, 0};
    fe t;
    BK->fe_mul(t, a, one);
    limbs_to_bytes(b, t);
}

static int cpu_has_bmi2_adx(void) {
#if defined(TK_HAVE_ADX_BACKEND)
    __builtin_cpu_init();
    return __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("adx") &&
           __builtin_cpu_supports("avx2");
#else
    return 0;
#endif
}

static int init_with(int allow_adx) {
    if (INITIALISED) return TK_OK;
    BK = &BACKEND_PORTABLE;
#ifdef TK_HAVE_ADX_BACKEND
    if (allow_adx && cpu_has_bmi2_adx()) BK = &BACKEND_ADX;
#else
    (void)allow_adx;
#endif
    /* R mod p = 2^256 - p; R^2 mod p by 256 modular doublings. */
    static const fe zero = {0, 0, 0, 0};
    limbs_sub(FE_ONE, zero, P);
    fe_copy(FE_R2, FE_ONE);
    for (int i = 0; i < 256; i++) fe_add(FE_R2, FE_R2, FE_R2);
    fe_from_bytes_mont(FE_B, B_BYTES);
    fe three;
    fe_add(three, FE_ONE, FE_ONE);
    fe_add(three, three, FE_ONE);
    fe_neg(FE_A, three);
    fe_from_bytes_mont(G_AFF.x, GX_BYTES);
    fe_from_bytes_mont(G_AFF.y, GY_BYTES);

    /* -n^-1 mod 2^64 by Newton iteration; R^2 mod n by doublings. */
    uint64_t inv = 1;
    for (int i = 0; i < 7; i++) inv *= 2 - N[0] * inv;
    SC_N0 = 0 - inv;
    uint64_t rn[4];
    limbs_sub(rn, zero, N);
    memcpy(SC_R2, rn, sizeof rn);
    for (int i = 0; i < 256; i++) limbs_add_mod(SC_R2, SC_R2, SC_R2, N);

    if (BK->comb_build(G_COMB, &G_AFF) != TK_OK) return TK_ERR;
    INITIALISED = 1;
    return TK_OK;
}

int tk_sm2_init(void) { return init_with(1); }
int tk_sm2_init_portable(void) { return init_with(0); }

const char *tk_sm2_backend_name(void) { return BK->name; }

/* All ones if 1 <= d <= n - 2. */
static uint64_t private_range_mask(const uint64_t d[4]) {
    uint64_t nm1[4];
    static const uint64_t one[4] = {1, 0, 0, 0};
    limbs_sub(nm1, N, one);
    return ~limbs_is_zero_mask(d) & limbs_lt_mask(d, nm1);
}

int tk_sm2_scalar_check_private(const uint8_t d_bytes[32]) {
    uint64_t d[4];
    limbs_from_bytes(d, d_bytes);
    uint64_t ok = private_range_mask(d);
    tk_memzero(d, sizeof d);
    TK_DECLASSIFY(&ok, sizeof ok);
    return ok ? TK_OK : TK_ERR;
}

static void jac_to_point_bytes(uint8_t out[65], const jac *p) {
    aff a;
    BK->to_affine(&a, p);
    out[0] = 0x04;
    fe_to_bytes_mont(out + 1, a.x);
    fe_to_bytes_mont(out + 33, a.y);
}

int tk_sm2_public_from_private(uint8_t pub[65], const uint8_t d_bytes[32]) {
    if (tk_sm2_scalar_check_private(d_bytes) != TK_OK) return TK_ERR;
    uint64_t d[4];
    jac q;
    limbs_from_bytes(d, d_bytes);
    BK->base_mul_ct(&q, d);
    jac_to_point_bytes(pub, &q);
    TK_DECLASSIFY(pub, 65); /* the public key is public */
    tk_memzero(d, sizeof d);
    tk_memzero(&q, sizeof q);
    return TK_OK;
}

int tk_sm2_base_mul_ct(uint8_t out[65], const uint8_t k_bytes[32]) {
    uint64_t k[4];
    jac q;
    limbs_from_bytes(k, k_bytes);
    limbs_reduce_once(k, k, N);
    uint64_t zero = limbs_is_zero_mask(k);
    TK_DECLASSIFY(&zero, sizeof zero);
    if (zero) return TK_ERR;
    BK->base_mul_ct(&q, k);
    jac_to_point_bytes(out, &q);
    tk_memzero(k, sizeof k);
    tk_memzero(&q, sizeof q);
    return TK_OK;
}

int tk_sm2_sign_prepare(uint8_t dprime[32], const uint8_t d_bytes[32]) {
    if (tk_sm2_scalar_check_private(d_bytes) != TK_OK) return TK_ERR;
    uint64_t d[4], t[4];
    static const uint64_t one[4] = {1, 0, 0, 0};
    limbs_from_bytes(d, d_bytes);
    limbs_add(t, d, one); /* d <= n-2, so 1 + d < n */
    sc_inv(t, t);
    limbs_to_bytes(dprime, t);
    tk_memzero(d, sizeof d);
    tk_memzero(t, sizeof t);
    return TK_OK;
}

/*
 * GB/T 32918.2 6.1, steps A4-A6 for a given k (k already in [1, n-1]):
 *   (x1, y1) = kG;  r = (e + x1) mod n;  s = (1+d)^-1 (k - r d) mod n.
 * Since k - r d = (k + r) - r (1 + d), with d' = (1+d)^-1 cached per key
 * s = d' (k + r) - r mod n, and no inversion mod n is needed per signature.
 * Returns TK_RETRY when r = 0, r + k = n or s = 0.
 */
static int sign_with_k(uint8_t sig[64], const uint64_t dprime[4], const uint64_t e_in[4],
                       const uint64_t k[4]) {
    jac q;
    aff a;
    uint64_t x1[4], e[4], r[4], t[4], s[4];
    static const fe one = {1, 0, 0, 0};

    BK->base_mul_ct(&q, k);
    BK->to_affine(&a, &q);
    BK->fe_mul(x1, a.x, one);    /* leave Montgomery form: x1 < p */
    limbs_reduce_once(x1, x1, N); /* p < 2n */
    limbs_reduce_once(e, e_in, N);
    limbs_add_mod(r, e, x1, N);
    limbs_add_mod(t, k, r, N);
    sc_mul(s, dprime, t);
    limbs_sub_mod(s, s, r, N);

    /* r and s are the public signature; t = 0 reveals only that this k is rejected. */
    uint64_t reject = limbs_is_zero_mask(r) | limbs_is_zero_mask(t) | limbs_is_zero_mask(s);
    TK_DECLASSIFY(&reject, sizeof reject);
    TK_DECLASSIFY(r, sizeof r);
    TK_DECLASSIFY(s, sizeof s);
    int rc = TK_OK;
    if (reject) {
        rc = TK_RETRY;
    } else {
        limbs_to_bytes(sig, r);
        limbs_to_bytes(sig + 32, s);
    }
    tk_memzero(&q, sizeof q);
    tk_memzero(&a, sizeof a);
    tk_memzero(x1, sizeof x1);
    tk_memzero(t, sizeof t);
    return rc;
}

int tk_sm2_sign_digest_with_nonce(uint8_t sig[64], const uint8_t d_bytes[32],
                                  const uint8_t dprime_bytes[32], const uint8_t e_bytes[32],
                                  const uint8_t k_bytes[32]) {
    uint64_t k[4], dp[4], e[4];
    (void)d_bytes; /* d enters only through d' = (1+d)^-1 */
    limbs_from_bytes(k, k_bytes);
    uint64_t bad = limbs_is_zero_mask(k) | ~limbs_lt_mask(k, N);
    TK_DECLASSIFY(&bad, sizeof bad);
    if (bad) return TK_RETRY;
    limbs_from_bytes(dp, dprime_bytes);
    limbs_from_bytes(e, e_bytes);
    int rc = sign_with_k(sig, dp, e, k);
    tk_memzero(k, sizeof k);
    tk_memzero(dp, sizeof dp);
    return rc;
}

/*
 * Hedged nonce: k = HMAC-SM3(key = d, e || entropy || counter), rejection
 * sampled into [1, n-1].  Even with a broken RNG k stays secret and distinct
 * per message; with a good RNG it is fully random.  Nothing is cached between
 * calls, so fork() cannot make two processes reuse a k.
 */
int tk_sm2_sign_digest(uint8_t sig[64], const uint8_t d_bytes[32], const uint8_t dprime_bytes[32],
                       const uint8_t e_bytes[32], const uint8_t entropy[32]) {
    uint8_t msg[68], kb[32];
    uint64_t k[4], dp[4], e[4];
    int rc = TK_ERR;
    limbs_from_bytes(dp, dprime_bytes);
    limbs_from_bytes(e, e_bytes);
    memcpy(msg, e_bytes, 32);
    memcpy(msg + 32, entropy, 32);
    for (uint32_t counter = 0; counter < 64; counter++) {
        msg[64] = (uint8_t)(counter >> 24);
        msg[65] = (uint8_t)(counter >> 16);
        msg[66] = (uint8_t)(counter >> 8);
        msg[67] = (uint8_t)counter;
        tk_hmac_sm3(kb, d_bytes, 32, msg, sizeof msg);
        limbs_from_bytes(k, kb);
        uint64_t bad = limbs_is_zero_mask(k) | ~limbs_lt_mask(k, N);
        TK_DECLASSIFY(&bad, sizeof bad);
        if (bad) continue;
        rc = sign_with_k(sig, dp, e, k);
        if (rc != TK_RETRY) break;
    }
    tk_memzero(msg, sizeof msg);
    tk_memzero(kb, sizeof kb);
    tk_memzero(k, sizeof k);
    tk_memzero(dp, sizeof dp);
    return rc == TK_OK ? TK_OK : TK_ERR;
}

int tk_sm2_compute_z(uint8_t z[32], const uint8_t *id, size_t id_len, const uint8_t pub[65]) {
    if (id_len > TK_SM2_MAX_ID_BYTES) return TK_ERR;
    /* a = p - 3 */
    static const uint8_t A_BYTES[32] = {
        0xFF, 0xFF, 0xFF, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFC};
    uint8_t entl[2];
    size_t bits = id_len * 8;
    entl[0] = (uint8_t)(bits >> 8);
    entl[1] = (uint8_t)bits;
    tk_sm3_ctx ctx;
    tk_sm3_init(&ctx);
    tk_sm3_update(&ctx, entl, 2);
    tk_sm3_update(&ctx, id, id_len);
    tk_sm3_update(&ctx, A_BYTES, 32);
    tk_sm3_update(&ctx, B_BYTES, 32);
    tk_sm3_update(&ctx, GX_BYTES, 32);
    tk_sm3_update(&ctx, GY_BYTES, 32);
    tk_sm3_update(&ctx, pub + 1, 64);
    tk_sm3_final(&ctx, z);
    return TK_OK;
}

void tk_sm2_compute_e(uint8_t e[32], const uint8_t z[32], const uint8_t *msg, size_t msg_len) {
    tk_sm3_ctx ctx;
    tk_sm3_init(&ctx);
    tk_sm3_update(&ctx, z, 32);
    tk_sm3_update(&ctx, msg, msg_len);
    tk_sm3_final(&ctx, e);
}

/* Parse 04||X||Y into Montgomery affine coordinates, checking X, Y < p and the
 * curve equation.  Infinity has no 65-byte encoding, so it is rejected. */
static int point_from_bytes_vartime(aff *a, const uint8_t in[65]) {
    uint64_t x[4], y[4];
    if (in[0] != 0x04) return TK_ERR;
    limbs_from_bytes(x, in + 1);
    limbs_from_bytes(y, in + 33);
    if (!limbs_lt_mask(x, P) || !limbs_lt_mask(y, P)) return TK_ERR;
    BK->fe_mul(a->x, x, FE_R2);
    BK->fe_mul(a->y, y, FE_R2);
    return BK->on_curve(a) ? TK_OK : TK_ERR;
}

int tk_sm2_point_check_vartime(const uint8_t pub[65]) {
    aff a;
    return point_from_bytes_vartime(&a, pub);
}

int tk_sm2_point_decompress_vartime(uint8_t out[65], const uint8_t in[33]) {
    uint64_t x[4];
    aff a;
    if (in[0] != 0x02 && in[0] != 0x03) return TK_ERR;
    limbs_from_bytes(x, in + 1);
    if (!limbs_lt_mask(x, P)) return TK_ERR;
    fe xm;
    BK->fe_mul(xm, x, FE_R2);
    if (BK->decompress(&a, xm, in[0] & 1) != TK_OK) return TK_ERR;
    out[0] = 0x04;
    fe_to_bytes_mont(out + 1, a.x);
    fe_to_bytes_mont(out + 33, a.y);
    return TK_OK;
}

int tk_sm2_point_mul_ct(uint8_t out[65], const uint8_t k_bytes[32], const uint8_t point[65]) {
    aff p;
    uint64_t k[4];
    jac q;
    if (point_from_bytes_vartime(&p, point) != TK_OK) return TK_ERR;
    limbs_from_bytes(k, k_bytes);
    limbs_reduce_once(k, k, N);
    uint64_t zero = limbs_is_zero_mask(k);
    TK_DECLASSIFY(&zero, sizeof zero);
    if (zero) return TK_ERR;
    BK->point_mul_ct(&q, k, &p);
    jac_to_point_bytes(out, &q);
    tk_memzero(k, sizeof k);
    tk_memzero(&q, sizeof q);
    return TK_OK;
}

/* B1-B7 with range checks before any arithmetic (reference/sm2-performance.md 7.1). */
static int verify_prepare(uint64_t r[4], uint64_t s[4], uint64_t t[4], uint64_t e[4],
                          const uint8_t e_bytes[32], const uint8_t sig[64]) {
    limbs_from_bytes(r, sig);
    limbs_from_bytes(s, sig + 32);
    if (limbs_is_zero_mask(r) || !limbs_lt_mask(r, N)) return TK_ERR;
    if (limbs_is_zero_mask(s) || !limbs_lt_mask(s, N)) return TK_ERR;
    limbs_add_mod(t, r, s, N);
    if (limbs_is_zero_mask(t)) return TK_ERR;
    limbs_from_bytes(e, e_bytes);
    limbs_reduce_once(e, e, N);
    return TK_OK;
}

int tk_sm2_verify_digest_vartime(const uint8_t pub[65], const uint8_t e_bytes[32],
                                 const uint8_t sig[64]) {
    uint64_t r[4], s[4], t[4], e[4];
    aff p;
    if (verify_prepare(r, s, t, e, e_bytes, sig) != TK_OK) return TK_ERR;
    if (point_from_bytes_vartime(&p, pub) != TK_OK) return TK_ERR;
    return BK->verify_core(&p, NULL, r, s, t, e);
}

int tk_sm2_verify_table_build_vartime(uint8_t *table, const uint8_t pub[65]) {
    aff p;
    if (point_from_bytes_vartime(&p, pub) != TK_OK) return TK_ERR;
    return BK->comb_build((aff(*)[COMB_POINTS])table, &p);
}

int tk_sm2_verify_digest_table_vartime(const uint8_t *table, const uint8_t e_bytes[32],
                                       const uint8_t sig[64]) {
    uint64_t r[4], s[4], t[4], e[4];
    if (verify_prepare(r, s, t, e, e_bytes, sig) != TK_OK) return TK_ERR;
    const aff(*comb)[COMB_POINTS] = (const aff(*)[COMB_POINTS])table;
    /* entry [0][0] of a comb is the point itself */
    return BK->verify_core(&comb[0][0], comb, r, s, t, e);
}
