/* SM3 cryptographic hash (GB/T 32905-2016), HMAC-SM3 and the SM2 KDF. */
#include "sm3.h"

#include <string.h>

#include "ct.h"

#define ROTL(x, n) (((x) << ((n) & 31)) | ((x) >> ((32 - ((n) & 31)) & 31)))
#define P0(x) ((x) ^ ROTL((x), 9) ^ ROTL((x), 17))
#define P1(x) ((x) ^ ROTL((x), 15) ^ ROTL((x), 23))
#define FF0(x, y, z) ((x) ^ (y) ^ (z))
#define FF1(x, y, z) (((x) & (y)) | ((x) & (z)) | ((y) & (z)))
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

/* T_j rotated left by j mod 32, precomputed (5.3.3: T_j = 79CC4519 for
 * 0 <= j <= 15 and 7A879D8A for 16 <= j <= 63). */
static const uint32_t K[64] = {
    0x79cc4519, 0xf3988a32, 0xe7311465, 0xce6228cb, 0x9cc45197, 0x3988a32f, 0x7311465e, 0xe6228cbc,
    0xcc451979, 0x988a32f3, 0x311465e7, 0x6228cbce, 0xc451979c, 0x88a32f39, 0x11465e73, 0x228cbce6,
    0x9d8a7a87, 0x3b14f50f, 0x7629ea1e, 0xec53d43c, 0xd8a7a879, 0xb14f50f3, 0x629ea1e7, 0xc53d43ce,
    0x8a7a879d, 0x14f50f3b, 0x29ea1e76, 0x53d43cec, 0xa7a879d8, 0x4f50f3b1, 0x9ea1e762, 0x3d43cec5,
    0x7a879d8a, 0xf50f3b14, 0xea1e7629, 0xd43cec53, 0xa879d8a7, 0x50f3b14f, 0xa1e7629e, 0x43cec53d,
    0x879d8a7a, 0x0f3b14f5, 0x1e7629ea, 0x3cec53d4, 0x79d8a7a8, 0xf3b14f50, 0xe7629ea1, 0xcec53d43,
    0x9d8a7a87, 0x3b14f50f, 0x7629ea1e, 0xec53d43c, 0xd8a7a879, 0xb14f50f3, 0x629ea1e7, 0xc53d43ce,
    0x8a7a879d, 0x14f50f3b, 0x29ea1e76, 0x53d43cec, 0xa7a879d8, 0x4f50f3b1, 0x9ea1e762, 0x3d43cec5,
};

/* One round of the compression function (5.3.3), written so that the eight
 * working variables rotate by renaming instead of by moves. */
#define ROUND(A, B, C, D, E, F, G, H, j, FF, GG)            \
    do {                                                     \
        uint32_t a12 = ROTL(A, 12);                          \
        uint32_t ss1 = ROTL(a12 + E + K[j], 7);              \
        uint32_t ss2 = ss1 ^ a12;                            \
        uint32_t tt1 = FF(A, B, C) + D + ss2 + (W[j] ^ W[(j) + 4]); \
        uint32_t tt2 = GG(E, F, G) + H + ss1 + W[j];         \
        B = ROTL(B, 9);                                      \
        F = ROTL(F, 19);                                     \
        D = tt1;                                             \
        H = P0(tt2);                                         \
    } while (0)

#define ROUND8(j, FF, GG)                                    \
    ROUND(a, b, c, d, e, f, g, h, (j) + 0, FF, GG);          \
    ROUND(d, a, b, c, h, e, f, g, (j) + 1, FF, GG);          \
    ROUND(c, d, a, b, g, h, e, f, (j) + 2, FF, GG);          \
    ROUND(b, c, d, a, f, g, h, e, (j) + 3, FF, GG);          \
    ROUND(a, b, c, d, e, f, g, h, (j) + 4, FF, GG);          \
    ROUND(d, a, b, c, h, e, f, g, (j) + 5, FF, GG);          \
    ROUND(c, d, a, b, g, h, e, f, (j) + 6, FF, GG);          \
    ROUND(b, c, d, a, f, g, h, e, (j) + 7, FF, GG)

void tk_sm3_compress(uint32_t state[8], const uint8_t *blocks, size_t nblocks) {
    uint32_t W[68];
    while (nblocks--) {
        /* Message expansion (5.3.2). */
        for (int j = 0; j < 16; j++) W[j] = load_be32(blocks + 4 * j);
        for (int j = 16; j < 68; j++) {
            uint32_t x = W[j - 16] ^ W[j - 9] ^ ROTL(W[j - 3], 15);
            W[j] = P1(x) ^ ROTL(W[j - 13], 7) ^ W[j - 6];
        }
        uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
        uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
        ROUND8(0, FF0, GG0);
        ROUND8(8, FF0, GG0);
        ROUND8(16, FF1, GG1);
        ROUND8(24, FF1, GG1);
        ROUND8(32, FF1, GG1);
        ROUND8(40, FF1, GG1);
        ROUND8(48, FF1, GG1);
        ROUND8(56, FF1, GG1);
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
    tk_memzero(ctx, sizeof *ctx);
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

void tk_hmac_sm3_final(tk_hmac_sm3_ctx *ctx, uint8_t mac[32]) {
    uint8_t inner[32];
    tk_sm3_final(&ctx->inner, inner);
    tk_sm3_update(&ctx->outer, inner, 32);
    tk_sm3_final(&ctx->outer, mac);
    tk_memzero(inner, sizeof inner);
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
