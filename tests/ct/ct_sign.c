/*
 * Constant-time check of the signing path under valgrind memcheck.
 *
 * Secrets (d, the nonce entropy, k, scalars) are marked undefined; memcheck then
 * reports any branch or memory address that depends on them.  Values that are
 * public by design are declassified inside the core with TK_DECLASSIFY (the
 * signature, a rejected nonce candidate, the public key).  Built with
 * -DTK_CT_CANARY the harness adds a deliberate secret-dependent branch and
 * table lookup, proving the check can fail.
 */
#include <stdio.h>
#include <string.h>

#include "ct.h"
#include "sm2_core.h"
#include "sm3.h"

static void fill(uint8_t *p, size_t n, uint8_t seed) {
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(seed + 31 * i);
}

int main(void) {
    if (tk_sm2_init_portable() != TK_OK) return 3;
    uint8_t d[32], dprime[32], e[32], entropy[32], k[32], sig[64], pub[65], out[65], mac[32], digest[32];
    fill(d, 32, 0x11);
    d[0] = 0x3f; /* keep d below n */
    fill(e, 32, 0x22);
    fill(entropy, 32, 0x33);
    fill(k, 32, 0x44);
    k[0] = 0x5a;
    if (tk_sm2_public_from_private(pub, d) != TK_OK) return 4;

    TK_SECRET(d, sizeof d);
    TK_SECRET(entropy, sizeof entropy);
    TK_SECRET(k, sizeof k);

    int rc = tk_sm2_sign_prepare(dprime, d);
    TK_DECLASSIFY(&rc, sizeof rc);
    if (rc != TK_OK) return 5;
    for (int i = 0; i < 3; i++) {
        entropy[0] ^= (uint8_t)i;
        rc = tk_sm2_sign_digest(sig, d, dprime, e, entropy);
        TK_DECLASSIFY(&rc, sizeof rc);
        if (rc != TK_OK) return 6;
    }
    rc = tk_sm2_sign_digest_with_nonce(sig, d, dprime, e, k);
    TK_DECLASSIFY(&rc, sizeof rc);
    rc = tk_sm2_public_from_private(out, d);
    TK_DECLASSIFY(&rc, sizeof rc);
    rc = tk_sm2_base_mul_ct(out, k);
    TK_DECLASSIFY(&rc, sizeof rc);
    rc = tk_sm2_point_mul_ct(out, d, pub); /* decryption / key agreement */
    TK_DECLASSIFY(&rc, sizeof rc);
    tk_hmac_sm3(mac, d, 32, e, 32);
    tk_sm3_hash(digest, d, 32);

#ifdef TK_CT_CANARY
    /* Deliberately leaky: a branch and a table index on secret bits. */
    static const uint8_t table[256] = {1, 2, 3};
    volatile int sink = 0;
    if (d[31] & 1) sink++;
    sink += table[k[7]];
#endif

    TK_DECLASSIFY(sig, sizeof sig);
    TK_DECLASSIFY(out, sizeof out);
    TK_DECLASSIFY(mac, sizeof mac);
    TK_DECLASSIFY(digest, sizeof digest);
    printf("backend=%s sig=%02x%02x out=%02x mac=%02x digest=%02x\n", tk_sm2_backend_name(), sig[0], sig[63],
           out[1], mac[0], digest[0]);
    return 0;
}
