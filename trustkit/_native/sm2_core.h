/*
 * trustkit native core: SM2 (GB/T 32918) over the recommended curve sm2p256v1.
 *
 * Boundary: fixed-size byte strings in and out, big-endian, no parsing.
 *   scalars: 32 bytes; points: 65 bytes 04||X||Y; signatures: 64 bytes r||s;
 *   digests: 32 bytes.
 *
 * Functions that see a private key or a nonce are constant time.  Functions
 * named *_vartime only ever see public data.  Fallible functions return 0 on
 * success and a negative value on failure.
 */
#ifndef TK_SM2_CORE_H
#define TK_SM2_CORE_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define TK_WARN_UNUSED __attribute__((warn_unused_result))
#else
#define TK_WARN_UNUSED
#endif

#define TK_SM2_SCALAR_BYTES 32
#define TK_SM2_POINT_BYTES 65
#define TK_SM2_COMPRESSED_BYTES 33
#define TK_SM2_SIG_BYTES 64
#define TK_SM2_MAX_ID_BYTES 8191 /* ENTL is a 16-bit bit length (GB/T 32918.2 5.5) */

/* Return codes. */
#define TK_OK 0
#define TK_ERR -1
#define TK_RETRY 1 /* sign_digest_with_nonce: this k must be rejected (A4-A6) */

/* One-time setup: CPU dispatch and the fixed-base table.  Idempotent, but not
 * thread safe; call it once before any other function (module init does).
 * Returns -1 only if the table could not be allocated. */
int tk_sm2_init(void);
/* The same, but never selects the MULX/ADX backend (for testing the portable path). */
int tk_sm2_init_portable(void);
/* "adx" when the MULX/ADCX/ADOX field kernel is in use, else "portable". */
const char *tk_sm2_backend_name(void);

/* d in [1, n-2]?  Constant time.  Returns 0 if valid. */
int tk_sm2_scalar_check_private(const uint8_t d[32]) TK_WARN_UNUSED;

/* pub = d*G.  Constant time in d.  Fails if d is not in [1, n-2]. */
int tk_sm2_public_from_private(uint8_t pub[65], const uint8_t d[32]) TK_WARN_UNUSED;

/* dprime = (1 + d)^-1 mod n, cached per key so signing needs no inversion.
 * Constant time.  Fails if d is not in [1, n-2]. */
int tk_sm2_sign_prepare(uint8_t dprime[32], const uint8_t d[32]) TK_WARN_UNUSED;

/* Sign a caller-computed e = SM3(Z||M) (GB/T 32918.2 6.1 A3-A7).  The nonce
 * is hedged: k = HMAC-SM3(d, e || entropy || counter), rejection-sampled into
 * [1, n-1], so a weak RNG alone does not leak d.  Constant time in d and k. */
int tk_sm2_sign_digest(uint8_t sig[64], const uint8_t d[32], const uint8_t dprime[32],
                       const uint8_t e[32], const uint8_t entropy[32]) TK_WARN_UNUSED;

/* Test hook: sign with an explicit nonce k.  Returns TK_RETRY when the
 * standard says to pick another k (k not in [1, n-1], r = 0, r + k = n, s = 0). */
int tk_sm2_sign_digest_with_nonce(uint8_t sig[64], const uint8_t d[32], const uint8_t dprime[32],
                                  const uint8_t e[32], const uint8_t k[32]) TK_WARN_UNUSED;

/* Z = SM3(ENTL || ID || a || b || xG || yG || xA || yA)  (GB/T 32918.2 5.5).
 * Fails if id_len > TK_SM2_MAX_ID_BYTES. */
int tk_sm2_compute_z(uint8_t z[32], const uint8_t *id, size_t id_len,
                     const uint8_t pub[65]) TK_WARN_UNUSED;
/* e = SM3(Z || M). */
void tk_sm2_compute_e(uint8_t e[32], const uint8_t z[32], const uint8_t *msg, size_t msg_len);

/* Is pub a valid public key: 04 prefix, coordinates < p, on the curve, not infinity? */
int tk_sm2_point_check_vartime(const uint8_t pub[65]) TK_WARN_UNUSED;
/* 02/03||X -> 04||X||Y, checking that the square root squares back. */
int tk_sm2_point_decompress_vartime(uint8_t out[65], const uint8_t in[33]) TK_WARN_UNUSED;

/* out = k * point.  Constant time in k (for decryption and key agreement).
 * Fails if point is invalid, k = 0 mod n, or the result is infinity. */
int tk_sm2_point_mul_ct(uint8_t out[65], const uint8_t k[32], const uint8_t point[65]) TK_WARN_UNUSED;
/* out = k * G, constant time in k.  Fails if k = 0 mod n. */
int tk_sm2_base_mul_ct(uint8_t out[65], const uint8_t k[32]) TK_WARN_UNUSED;

/* Verify (GB/T 32918.2 7.1 B1-B7) against a caller-computed e.  0 = valid. */
int tk_sm2_verify_digest_vartime(const uint8_t pub[65], const uint8_t e[32],
                                 const uint8_t sig[64]) TK_WARN_UNUSED;

/* Per-key verification table (a fixed-base comb for the public key) so that
 * repeated verification with one key is several times faster. */
extern const size_t TK_SM2_VERIFY_TABLE_BYTES;
int tk_sm2_verify_table_build_vartime(uint8_t *table, const uint8_t pub[65]) TK_WARN_UNUSED;
int tk_sm2_verify_digest_table_vartime(const uint8_t *table, const uint8_t e[32],
                                       const uint8_t sig[64]) TK_WARN_UNUSED;

#endif
