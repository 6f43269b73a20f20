/* SM3 hash (GB/T 32905-2016), HMAC-SM3 (RFC 2104 over SM3) and the SM2 KDF
 * (GB/T 32918.4 5.4.3). */
#ifndef TK_SM3_H
#define TK_SM3_H

#include <stddef.h>
#include <stdint.h>

#define TK_SM3_DIGEST_BYTES 32
#define TK_SM3_BLOCK_BYTES 64

typedef struct {
    uint32_t state[8];
    uint64_t nblocks; /* number of compressed 64-byte blocks */
    uint8_t block[64];
    size_t num;       /* bytes buffered in block */
} tk_sm3_ctx;

void tk_sm3_init(tk_sm3_ctx *ctx);
void tk_sm3_update(tk_sm3_ctx *ctx, const uint8_t *data, size_t len);
void tk_sm3_final(tk_sm3_ctx *ctx, uint8_t digest[32]);
void tk_sm3_hash(uint8_t digest[32], const uint8_t *data, size_t len);
/* Compress nblocks consecutive 64-byte blocks into state. */
void tk_sm3_compress(uint32_t state[8], const uint8_t *blocks, size_t nblocks);

typedef struct {
    tk_sm3_ctx inner;
    tk_sm3_ctx outer;
} tk_hmac_sm3_ctx;

void tk_hmac_sm3_init(tk_hmac_sm3_ctx *ctx, const uint8_t *key, size_t key_len);
void tk_hmac_sm3_update(tk_hmac_sm3_ctx *ctx, const uint8_t *data, size_t len);
void tk_hmac_sm3_final(tk_hmac_sm3_ctx *ctx, uint8_t mac[32]);
void tk_hmac_sm3(uint8_t mac[32], const uint8_t *key, size_t key_len, const uint8_t *data, size_t len);

/* KDF(Z, klen) = SM3(Z||ct=1) || SM3(Z||ct=2) || ... truncated to out_len bytes. */
void tk_sm3_kdf(uint8_t *out, size_t out_len, const uint8_t *z, size_t z_len);

#endif
