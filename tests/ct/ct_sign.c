/*
 * Constant-time check of everything in the core that sees a secret, under
 * valgrind memcheck (the ctgrind method; reference/sm2-performance.md 6.3, 7.11).
 *
 * The secrets (d, d' = (1+d)^-1, the nonce entropy, an explicit nonce k, the
 * scalars of the point multiplications, the SM3/HMAC/KDF inputs) are marked
 * undefined with VALGRIND_MAKE_MEM_UNDEFINED.  memcheck then reports every
 * conditional jump ("Conditional jump or move depends on uninitialised
 * value(s)") and every memory address ("Use of uninitialised value of size 8")
 * computed from them.  Copying or arithmetic on secrets is fine; branching and
 * indexing are not.
 *
 * Values that are public by design are declassified with
 * VALGRIND_MAKE_MEM_DEFINED: here the return codes and the outputs (signature,
 * public key, shared point) before the harness checks them, and inside the core
 * with TK_DECLASSIFY (ct.h, enabled by -DTK_CT_VALGRIND): the signature r, s,
 * the retry decision of GB/T 32918.2 A5/A6, the public key, "is this scalar in
 * range".
 *
 * Usage: ct_sign [auto|portable|adx]
 *   auto      tk_sm2_init() as the extension calls it.  valgrind's emulated
 *             CPUID hides ADX, so under valgrind this is the portable backend.
 *   portable  tk_sm2_init_portable().
 *   adx       tk_sm2_init() with the CPU check forced on: valgrind decodes
 *             MULX/ADCX/ADOX and AVX2 even though its CPUID hides ADX, so the
 *             asm backend and the AVX2 table scan are checked too.  Only on a
 *             host that has bmi2, adx and avx2.
 *
 * Built with -DTK_CT_CANARY the harness adds deliberate leaks (a branch on d,
 * a table index from k, branches on an HMAC of d and on k*G), so the test can
 * prove the check fails when it should, and that secrets stay marked through
 * the core's outputs.
 *
 * sm2_core.c is included (not linked) so that the "adx" mode can override the
 * CPU feature check; sm3.c is compiled alongside.
 */
#ifndef TK_CT_VALGRIND
#define TK_CT_VALGRIND 1
#endif

#include <stdio.h>
#include <string.h>

#include <valgrind/memcheck.h>

static int tk_ct_force_adx;
/* Self-referential macro: the inner name is the real builtin (string literal argument). */
#define __builtin_cpu_supports(feature) (tk_ct_force_adx || __builtin_cpu_supports(feature))
#include "../../trustkit/_native/sm2_core.c"
#undef __builtin_cpu_supports

#include "../../trustkit/_native/sm3.h"

#define SECRET(p, n) VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#define PUBLIC(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))

static int failures;
#define CHECK(cond, what)                                          \
    do {                                                           \
        if (!(cond)) {                                             \
            fprintf(stderr, "ct_sign: check failed: %s\n", what);  \
            failures++;                                            \
        }                                                          \
    } while (0)

static void fill(uint8_t *p, size_t n, uint8_t seed) {
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(seed + 31 * i + (i >> 3));
}

#ifdef TK_CT_CANARY
static volatile int canary_sink;
/* Each canary is its own function so the test can find it in valgrind's report. */
__attribute__((noinline, noclone)) static void canary_branch_on_d(const uint8_t *d) {
    if (d[31] & 1) canary_sink++;
}
__attribute__((noinline, noclone)) static void canary_index_by_k(const uint8_t *k) {
    static const uint8_t table[256] = {1, 2, 3};
    canary_sink += table[k[7]];
}
/* Derived values stay secret: an HMAC of d, and k*G before it is declassified. */
__attribute__((noinline, noclone)) static void canary_branch_on_hmac(const uint8_t *mac) {
    if (mac[0] & 1) canary_sink++;
}
__attribute__((noinline, noclone)) static void canary_branch_on_kG(const uint8_t *point) {
    if (point[1] & 1) canary_sink++;
}
#endif

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "auto";
    int rc;
    if (strcmp(mode, "portable") == 0) {
        rc = tk_sm2_init_portable();
    } else if (strcmp(mode, "adx") == 0 || strcmp(mode, "auto") == 0) {
        tk_ct_force_adx = strcmp(mode, "adx") == 0;
        rc = tk_sm2_init();
    } else {
        fprintf(stderr, "usage: ct_sign [auto|portable|adx]\n");
        return 2;
    }
    if (rc != TK_OK) return 3;
    if (tk_ct_force_adx && strcmp(tk_sm2_backend_name(), "adx") != 0) return 4;

    /* Public inputs and the secrets' public counterparts, computed before
     * anything is marked. */
    uint8_t d[32], d2[32], dprime[32], e[32], entropy[32], k[32];
    uint8_t pub[65], pub2[65], out[65], shared1[65], shared2[65], sig[64];
    fill(d, 32, 0x11);
    d[0] = 0x3f; /* below n */
    fill(d2, 32, 0x5c);
    d2[0] = 0x7a;
    fill(e, 32, 0x22);
    fill(entropy, 32, 0x33);
    fill(k, 32, 0x44);
    k[0] = 0x5a;
    if (tk_sm2_public_from_private(pub, d) != TK_OK) return 5;
    if (tk_sm2_public_from_private(pub2, d2) != TK_OK) return 5;

    SECRET(d, sizeof d);
    SECRET(d2, sizeof d2);
    SECRET(entropy, sizeof entropy);
    SECRET(k, sizeof k);

    /* Key checks and key generation. */
    rc = tk_sm2_scalar_check_private(d);
    PUBLIC(&rc, sizeof rc);
    CHECK(rc == TK_OK, "scalar_check_private");
    rc = tk_sm2_public_from_private(out, d);
    PUBLIC(&rc, sizeof rc);
    PUBLIC(out, sizeof out); /* the public key is public */
    CHECK(rc == TK_OK && memcmp(out, pub, 65) == 0, "public_from_private");

    /* d' = (1+d)^-1, cached per key. */
    rc = tk_sm2_sign_prepare(dprime, d);
    PUBLIC(&rc, sizeof rc);
    CHECK(rc == TK_OK, "sign_prepare");
    SECRET(dprime, sizeof dprime);

    /* Hedged signing: HMAC-SM3 nonce derivation, rejection sampling, k*G, s. */
    for (int i = 0; i < 3; i++) {
        entropy[0] ^= (uint8_t)(i + 1);
        rc = tk_sm2_sign_digest(sig, d, dprime, e, entropy);
        PUBLIC(&rc, sizeof rc);
        PUBLIC(sig, sizeof sig); /* the signature is public */
        CHECK(rc == TK_OK, "sign_digest");
        CHECK(rc != TK_OK || tk_sm2_verify_digest_vartime(pub, e, sig) == TK_OK, "sign_digest verifies");
    }

    /* Explicit nonce (the test hook): TK_RETRY depends on k, so its return
     * code is declassified before the harness branches on it. */
    rc = tk_sm2_sign_digest_with_nonce(sig, d, dprime, e, k);
    PUBLIC(&rc, sizeof rc);
    PUBLIC(sig, sizeof sig);
    CHECK(rc == TK_OK, "sign_digest_with_nonce");
    CHECK(rc != TK_OK || tk_sm2_verify_digest_vartime(pub, e, sig) == TK_OK, "sign_digest_with_nonce verifies");

    /* k*G and d*P (decryption, key agreement): d*(d2*G) == d2*(d*G). */
    rc = tk_sm2_base_mul_ct(out, k);
    PUBLIC(&rc, sizeof rc);
    CHECK(rc == TK_OK, "base_mul_ct");
    rc = tk_sm2_point_mul_ct(shared1, d, pub2);
    PUBLIC(&rc, sizeof rc);
    CHECK(rc == TK_OK, "point_mul_ct(d, P2)");
    rc = tk_sm2_point_mul_ct(shared2, d2, pub);
    PUBLIC(&rc, sizeof rc);
    CHECK(rc == TK_OK, "point_mul_ct(d2, P1)");

    /* SM3, HMAC-SM3 and the KDF over secret input (public lengths). */
    uint8_t digest[32], mac[32], mac_long_key[32], incremental[32], kdf[48], long_key[100], data[200];
    fill(long_key, sizeof long_key, 0x66);
    fill(data, sizeof data, 0x77);
    SECRET(long_key, sizeof long_key);
    SECRET(data, sizeof data);
    tk_sm3_hash(digest, d, 32);
    tk_hmac_sm3(mac, d, 32, e, 32);
    tk_hmac_sm3(mac_long_key, long_key, sizeof long_key, data, sizeof data); /* key > block: hashed */
    tk_sm3_ctx ctx;
    tk_sm3_init(&ctx);
    tk_sm3_update(&ctx, data, 1);
    tk_sm3_update(&ctx, data + 1, 63);
    tk_sm3_update(&ctx, data + 64, 136);
    tk_sm3_final(&ctx, incremental);
    tk_sm3_kdf(kdf, sizeof kdf, shared1 + 1, 64); /* SM2 decryption: KDF(x2 || y2) */

#ifdef TK_CT_CANARY
    canary_branch_on_d(d);
    canary_index_by_k(k);
    canary_branch_on_hmac(mac);
    canary_branch_on_kG(out);
#endif

    /* Declassify only now, to check and print. */
    PUBLIC(out, sizeof out);
    PUBLIC(shared1, sizeof shared1);
    PUBLIC(shared2, sizeof shared2);
    PUBLIC(digest, sizeof digest);
    PUBLIC(mac, sizeof mac);
    PUBLIC(mac_long_key, sizeof mac_long_key);
    PUBLIC(incremental, sizeof incremental);
    PUBLIC(kdf, sizeof kdf);
    PUBLIC(data, sizeof data);
    uint8_t whole[32];
    tk_sm3_hash(whole, data, sizeof data);
    CHECK(memcmp(shared1, shared2, 65) == 0, "point_mul_ct agrees both ways");
    CHECK(memcmp(whole, incremental, 32) == 0, "incremental SM3 matches one-shot");

    printf("backend=%s checks_failed=%d sig=%02x%02x kG=%02x shared=%02x sm3=%02x hmac=%02x/%02x kdf=%02x\n",
           tk_sm2_backend_name(), failures, sig[0], sig[63], out[1], shared1[1], digest[0], mac[0],
           mac_long_key[0], kdf[0]);
    return failures ? 6 : 0;
}
