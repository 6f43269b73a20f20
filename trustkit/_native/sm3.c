/* SM3 cryptographic hash (GB/T 32905-2016), HMAC-SM3 and the SM2 KDF. */
#include "sm3.h"

#include <string.h>

#include "ct.h"

#define ROTL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))
#define P0(x) ((x) ^ ROTL((x), 9) ^ ROTL((x), 17))
#define P1(x) ((x) ^ ROTL((x), 15) ^ ROTL((x), 23))
#define FF0(x, y, z) ((x) ^ (y) ^ (z))
#define FF1(x, y, z) (((x) & (y)) | (((x) | (y)) & (z)))
#define GG0(x, y, z) ((x) ^ (y) ^ (z))
#define GG1(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))

static inline uint32_t load_be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline void store_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/*
 * One round of the compression function (GB/T 32905 5.3.3).  The eight
 * working variables rotate by renaming instead of by moves; Tj <<< j is an
 * immediate.  Wi is W_j and Wj is W'_j = W_j ^ W_(j+4).
 */
#define R(A, B, C, D, E, F, G, H, TJ, Wi, Wj, FF, GG)          \
    do {                                                        \
        uint32_t a12_ = ROTL(A, 12);                            \
        uint32_t ss1_ = ROTL(a12_ + E + (TJ), 7);               \
        uint32_t tt1_ = FF(A, B, C) + D + (ss1_ ^ a12_) + (Wj); \
        uint32_t tt2_ = GG(E, F, G) + H + ss1_ + (Wi);          \
        B = ROTL(B, 9);                                         \
        F = ROTL(F, 19);                                        \
        D = tt1_;                                               \
        H = P0(tt2_);                                           \
    } while (0)
#define R1(A, B, C, D, E, F, G, H, TJ, Wi, Wj) R(A, B, C, D, E, F, G, H, TJ, Wi, Wj, FF0, GG0)
#define R2(A, B, C, D, E, F, G, H, TJ, Wi, Wj) R(A, B, C, D, E, F, G, H, TJ, Wi, Wj, FF1, GG1)
/* Message expansion (5.3.2): W_(j+16) from W_j, W_(j+7), W_(j+13), W_(j+3), W_(j+10). */
#define EXPAND(W0, W7, W13, W3, W10) (P1((W0) ^ (W7) ^ ROTL(W13, 15)) ^ ROTL(W3, 7) ^ (W10))

/* Pre-register-allocation scheduling with register-pressure awareness lets GCC
 * interleave the message expansion with the round chain: about +3.5% here. */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("schedule-insns", "sched-pressure")))
#endif
void tk_sm3_compress(uint32_t state[8], const uint8_t *blocks, size_t nblocks) {
    while (nblocks--) {
        uint32_t w00 = load_be32(blocks + 0), w01 = load_be32(blocks + 4);
        uint32_t w02 = load_be32(blocks + 8), w03 = load_be32(blocks + 12);
        uint32_t w04 = load_be32(blocks + 16), w05 = load_be32(blocks + 20);
        uint32_t w06 = load_be32(blocks + 24), w07 = load_be32(blocks + 28);
        uint32_t w08 = load_be32(blocks + 32), w09 = load_be32(blocks + 36);
        uint32_t w10 = load_be32(blocks + 40), w11 = load_be32(blocks + 44);
        uint32_t w12 = load_be32(blocks + 48), w13 = load_be32(blocks + 52);
        uint32_t w14 = load_be32(blocks + 56), w15 = load_be32(blocks + 60);
        uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
        uint32_t e = state[4], f = state[5], g = state[6], h = state[7];

        R1(a, b, c, d, e, f, g, h, 0x79CC4519U, w00, w00 ^ w04);
        w00 = EXPAND(w00, w07, w13, w03, w10);
        R1(d, a, b, c, h, e, f, g, 0xF3988A32U, w01, w01 ^ w05);
        w01 = EXPAND(w01, w08, w14, w04, w11);
        R1(c, d, a, b, g, h, e, f, 0xE7311465U, w02, w02 ^ w06);
        w02 = EXPAND(w02, w09, w15, w05, w12);
        R1(b, c, d, a, f, g, h, e, 0xCE6228CBU, w03, w03 ^ w07);
        w03 = EXPAND(w03, w10, w00, w06, w13);
        R1(a, b, c, d, e, f, g, h, 0x9CC45197U, w04, w04 ^ w08);
        w04 = EXPAND(w04, w11, w01, w07, w14);
        R1(d, a, b, c, h, e, f, g, 0x3988A32FU, w05, w05 ^ w09);
        w05 = EXPAND(w05, w12, w02, w08, w15);
        R1(c, d, a, b, g, h, e, f, 0x7311465EU, w06, w06 ^ w10);
        w06 = EXPAND(w06, w13, w03, w09, w00);
        R1(b, c, d, a, f, g, h, e, 0xE6228CBCU, w07, w07 ^ w11);
        w07 = EXPAND(w07, w14, w04, w10, w01);
        R1(a, b, c, d, e, f, g, h, 0xCC451979U, w08, w08 ^ w12);
        w08 = EXPAND(w08, w15, w05, w11, w02);
        R1(d, a, b, c, h, e, f, g, 0x988A32F3U, w09, w09 ^ w13);
        w09 = EXPAND(w09, w00, w06, w12, w03);
        R1(c, d, a, b, g, h, e, f, 0x311465E7U, w10, w10 ^ w14);
        w10 = EXPAND(w10, w01, w07, w13, w04);
        R1(b, c, d, a, f, g, h, e, 0x6228CBCEU, w11, w11 ^ w15);
        w11 = EXPAND(w11, w02, w08, w14, w05);
        R1(a, b, c, d, e, f, g, h, 0xC451979CU, w12, w12 ^ w00);
        w12 = EXPAND(w12, w03, w09, w15, w06);
        R1(d, a, b, c, h, e, f, g, 0x88A32F39U, w13, w13 ^ w01);
        w13 = EXPAND(w13, w04, w10, w00, w07);
        R1(c, d, a, b, g, h, e, f, 0x11465E73U, w14, w14 ^ w02);
        w14 = EXPAND(w14, w05, w11, w01, w08);
        R1(b, c, d, a, f, g, h, e, 0x228CBCE6U, w15, w15 ^ w03);
        w15 = EXPAND(w15, w06, w12, w02, w09);
        R2(a, b, c, d, e, f, g, h, 0x9D8A7A87U, w00, w00 ^ w04);
        w00 = EXPAND(w00, w07, w13, w03, w10);
        R2(d, a, b, c, h, e, f, g, 0x3B14F50FU, w01, w01 ^ w05);
        w01 = EXPAND(w01, w08, w14, w04, w11);
        R2(c, d, a, b, g, h, e, f, 0x7629EA1EU, w02, w02 ^ w06);
        w02 = EXPAND(w02, w09, w15, w05, w12);
        R2(b, c, d, a, f, g, h, e, 0xEC53D43CU, w03, w03 ^ w07);
        w03 = EXPAND(w03, w10, w00, w06, w13);
        R2(a, b, c, d, e, f, g, h, 0xD8A7A879U, w04, w04 ^ w08);
        w04 = EXPAND(w04, w11, w01, w07, w14);
        R2(d, a, b, c, h, e, f, g, 0xB14F50F3U, w05, w05 ^ w09);
        w05 = EXPAND(w05, w12, w02, w08, w15);
        R2(c, d, a, b, g, h, e, f, 0x629EA1E7U, w06, w06 ^ w10);
        w06 = EXPAND(w06, w13, w03, w09, w00);
        R2(b, c, d, a, f, g, h, e, 0xC53D43CEU, w07, w07 ^ w11);
        w07 = EXPAND(w07, w14, w04, w10, w01);
        R2(a, b, c, d, e, f, g, h, 0x8A7A879DU, w08, w08 ^ w12);
        w08 = EXPAND(w08, w15, w05, w11, w02);
        R2(d, a, b, c, h, e, f, g, 0x14F50F3BU, w09, w09 ^ w13);
        w09 = EXPAND(w09, w00, w06, w12, w03);
        R2(c, d, a, b, g, h, e, f, 0x29EA1E76U, w10, w10 ^ w14);
        w10 = EXPAND(w10, w01, w07, w13, w04);
        R2(b, c, d, a, f, g, h, e, 0x53D43CECU, w11, w11 ^ w15);
        w11 = EXPAND(w11, w02, w08, w14, w05);
        R2(a, b, c, d, e, f, g, h, 0xA7A879D8U, w12, w12 ^ w00);
        w12 = EXPAND(w12, w03, w09, w15, w06);
        R2(d, a, b, c, h, e, f, g, 0x4F50F3B1U, w13, w13 ^ w01);
        w13 = EXPAND(w13, w04, w10, w00, w07);
        R2(c, d, a, b, g, h, e, f, 0x9EA1E762U, w14, w14 ^ w02);
        w14 = EXPAND(w14, w05, w11, w01, w08);
        R2(b, c, d, a, f, g, h, e, 0x3D43CEC5U, w15, w15 ^ w03);
        w15 = EXPAND(w15, w06, w12, w02, w09);
        R2(a, b, c, d, e, f, g, h, 0x7A879D8AU, w00, w00 ^ w04);
        w00 = EXPAND(w00, w07, w13, w03, w10);
        R2(d, a, b, c, h, e, f, g, 0xF50F3B14U, w01, w01 ^ w05);
        w01 = EXPAND(w01, w08, w14, w04, w11);
        R2(c, d, a, b, g, h, e, f, 0xEA1E7629U, w02, w02 ^ w06);
        w02 = EXPAND(w02, w09, w15, w05, w12);
        R2(b, c, d, a, f, g, h, e, 0xD43CEC53U, w03, w03 ^ w07);
        w03 = EXPAND(w03, w10, w00, w06, w13);
        R2(a, b, c, d, e, f, g, h, 0xA879D8A7U, w04, w04 ^ w08);
        w04 = EXPAND(w04, w11, w01, w07, w14);
        R2(d, a, b, c, h, e, f, g, 0x50F3B14FU, w05, w05 ^ w09);
        w05 = EXPAND(w05, w12, w02, w08, w15);
        R2(c, d, a, b, g, h, e, f, 0xA1E7629EU, w06, w06 ^ w10);
        w06 = EXPAND(w06, w13, w03, w09, w00);
        R2(b, c, d, a, f, g, h, e, 0x43CEC53DU, w07, w07 ^ w11);
        w07 = EXPAND(w07, w14, w04, w10, w01);
        R2(a, b, c, d, e, f, g, h, 0x879D8A7AU, w08, w08 ^ w12);
        w08 = EXPAND(w08, w15, w05, w11, w02);
        R2(d, a, b, c, h, e, f, g, 0x0F3B14F5U, w09, w09 ^ w13);
        w09 = EXPAND(w09, w00, w06, w12, w03);
        R2(c, d, a, b, g, h, e, f, 0x1E7629EAU, w10, w10 ^ w14);
        w10 = EXPAND(w10, w01, w07, w13, w04);
        R2(b, c, d, a, f, g, h, e, 0x3CEC53D4U, w11, w11 ^ w15);
        w11 = EXPAND(w11, w02, w08, w14, w05);
        R2(a, b, c, d, e, f, g, h, 0x79D8A7A8U, w12, w12 ^ w00);
        w12 = EXPAND(w12, w03, w09, w15, w06);
        R2(d, a, b, c, h, e, f, g, 0xF3B14F50U, w13, w13 ^ w01);
        w13 = EXPAND(w13, w04, w10, w00, w07);
        R2(c, d, a, b, g, h, e, f, 0xE7629EA1U, w14, w14 ^ w02);
        w14 = EXPAND(w14, w05, w11, w01, w08);
        R2(b, c, d, a, f, g, h, e, 0xCEC53D43U, w15, w15 ^ w03);
        w15 = EXPAND(w15, w06, w12, w02, w09);
        R2(a, b, c, d, e, f, g, h, 0x9D8A7A87U, w00, w00 ^ w04);
        w00 = EXPAND(w00, w07, w13, w03, w10);
        R2(d, a, b, c, h, e, f, g, 0x3B14F50FU, w01, w01 ^ w05);
        w01 = EXPAND(w01, w08, w14, w04, w11);
        R2(c, d, a, b, g, h, e, f, 0x7629EA1EU, w02, w02 ^ w06);
        w02 = EXPAND(w02, w09, w15, w05, w12);
        R2(b, c, d, a, f, g, h, e, 0xEC53D43CU, w03, w03 ^ w07);
        w03 = EXPAND(w03, w10, w00, w06, w13);
        R2(a, b, c, d, e, f, g, h, 0xD8A7A879U, w04, w04 ^ w08);
        R2(d, a, b, c, h, e, f, g, 0xB14F50F3U, w05, w05 ^ w09);
        R2(c, d, a, b, g, h, e, f, 0x629EA1E7U, w06, w06 ^ w10);
        R2(b, c, d, a, f, g, h, e, 0xC53D43CEU, w07, w07 ^ w11);
        R2(a, b, c, d, e, f, g, h, 0x8A7A879DU, w08, w08 ^ w12);
        R2(d, a, b, c, h, e, f, g, 0x14F50F3BU, w09, w09 ^ w13);
        R2(c, d, a, b, g, h, e, f, 0x29EA1E76U, w10, w10 ^ w14);
        R2(b, c, d, a, f, g, h, e, 0x53D43CECU, w11, w11 ^ w15);
        R2(a, b, c, d, e, f, g, h, 0xA7A879D8U, w12, w12 ^ w00);
        R2(d, a, b, c, h, e, f, g, 0x4F50F3B1U, w13, w13 ^ w01);
        R2(c, d, a, b, g, h, e, f, 0x9EA1E762U, w14, w14 ^ w02);
        R2(b, c, d, a, f, g, h, e, 0x3D43CEC5U, w15, w15 ^ w03);

        state[0] ^= a; state[1] ^= b; state[2] ^= c; state[3] ^= d;
        state[4] ^= e; state[5] ^= f; state[6] ^= g; state[7] ^= h;
        blocks += 64;
    }
}

void tk_sm3_init(tk_sm3_ctx *ctx) {
    /* IV (4.1). */
    static const uint32_t iv[8] = {0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600,
                                   0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e};
    memcpy(ctx->state, iv, sizeof iv);
    ctx->nblocks = 0;
    ctx->num = 0;
}

void tk_sm3_update(tk_sm3_ctx *ctx, const uint8_t *data, size_t len) {
    if (ctx->num) {
        size_t take = 64 - ctx->num;
        if (len < take) {
            memcpy(ctx->block + ctx->num, data, len);
            ctx->num += len;
            return;
        }
        memcpy(ctx->block + ctx->num, data, take);
        tk_sm3_compress(ctx->state, ctx->block, 1);
        ctx->nblocks++;
        data += take;
        len -= take;
        ctx->num = 0;
    }
    if (len >= 64) {
        size_t n = len / 64;
        tk_sm3_compress(ctx->state, data, n);
        ctx->nblocks += n;
        data += 64 * n;
        len -= 64 * n;
    }
    if (len) {
        memcpy(ctx->block, data, len);
        ctx->num = len;
    }
}

void tk_sm3_final(tk_sm3_ctx *ctx, uint8_t digest[32]) {
    /* Padding (5.2): 1 bit, zeros, 64-bit big-endian bit length. */
    uint64_t bits = (ctx->nblocks * 64 + ctx->num) * 8;
    ctx->block[ctx->num++] = 0x80;
    if (ctx->num > 56) {
        memset(ctx->block + ctx->num, 0, 64 - ctx->num);
        tk_sm3_compress(ctx->state, ctx->block, 1);
        ctx->num = 0;
    }
    memset(ctx->block + ctx->num, 0, 56 - ctx->num);
    store_be32(ctx->block + 56, (uint32_t)(bits >> 32));
    store_be32(ctx->block + 60, (uint32_t)bits);
    tk_sm3_compress(ctx->state, ctx->block, 1);
    for (int i = 0; i < 8; i++) store_be32(digest + 4 * i, ctx->state[i]);
}

void tk_sm3_hash(uint8_t digest[32], const uint8_t *data, size_t len) {
    tk_sm3_ctx ctx;
    tk_sm3_init(&ctx);
    tk_sm3_update(&ctx, data, len);
    tk_sm3_final(&ctx, digest);
}

/* HMAC (RFC 2104) with SM3, B = 64. */
void tk_hmac_sm3_init(tk_hmac_sm3_ctx *ctx, const uint8_t *key, size_t key_len) {
    uint8_t k[64], pad[64];
    memset(k, 0, sizeof k);
    if (key_len > 64) {
        tk_sm3_hash(k, key, key_len);
    } else if (key_len) {
        memcpy(k, key, key_len);
    }
    for (int i = 0; i < 64; i++) pad[i] = k[i] ^ 0x36;
    tk_sm3_init(&ctx->inner);
    tk_sm3_update(&ctx->inner, pad, 64);
    for (int i = 0; i < 64; i++) pad[i] = k[i] ^ 0x5c;
    tk_sm3_init(&ctx->outer);
    tk_sm3_update(&ctx->outer, pad, 64);
    tk_memzero(k, sizeof k);
    tk_memzero(pad, sizeof pad);
}

void tk_hmac_sm3_update(tk_hmac_sm3_ctx *ctx, const uint8_t *data, size_t len) {
    tk_sm3_update(&ctx->inner, data, len);
}

/* The HMAC states are derived from the key, so they are wiped here (plain SM3
 * contexts hold only what the caller hashed and are not). */
void tk_hmac_sm3_final(tk_hmac_sm3_ctx *ctx, uint8_t mac[32]) {
    uint8_t inner[32];
    tk_sm3_final(&ctx->inner, inner);
    tk_sm3_update(&ctx->outer, inner, 32);
    tk_sm3_final(&ctx->outer, mac);
    tk_memzero(inner, sizeof inner);
    tk_memzero(ctx, sizeof *ctx);
}

void tk_hmac_sm3(uint8_t mac[32], const uint8_t *key, size_t key_len, const uint8_t *data, size_t len) {
    tk_hmac_sm3_ctx ctx;
    tk_hmac_sm3_init(&ctx, key, key_len);
    tk_hmac_sm3_update(&ctx, data, len);
    tk_hmac_sm3_final(&ctx, mac);
}

/* GB/T 32918.4 5.4.3: ct is a 32-bit big-endian counter starting at 1. */
void tk_sm3_kdf(uint8_t *out, size_t out_len, const uint8_t *z, size_t z_len) {
    tk_sm3_ctx base, ctx;
    uint8_t block[32], counter[4];
    uint32_t ct = 1;
    tk_sm3_init(&base);
    tk_sm3_update(&base, z, z_len);
    while (out_len) {
        ctx = base;
        store_be32(counter, ct++);
        tk_sm3_update(&ctx, counter, 4);
        tk_sm3_final(&ctx, block);
        size_t take = out_len < 32 ? out_len : 32;
        memcpy(out, block, take);
        out += take;
        out_len -= take;
    }
    tk_memzero(&base, sizeof base);
    tk_memzero(block, sizeof block);
}
