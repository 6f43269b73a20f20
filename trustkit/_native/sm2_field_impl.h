/*
 * Field multiplication and everything built on it: point formulas, scalar
 * multiplication, verification.  Included by sm2_core.c once per backend with
 * FE_MUL_WIDE (the 4x4 limb product) and FN (the name suffix) defined, so each
 * backend gets its own fully inlined copy and dispatch happens once per call.
 *
 * Formulas are for Jacobian coordinates on y^2 = x^3 - 3x + b.
 */

/* ---- field ---------------------------------------------------------------- */

static inline void FN(fe_mul)(fe r, const fe a, const fe b) {
    uint64_t t[8];
    FE_MUL_WIDE(t, a, b);
    FE_REDUCE(r, t);
}

static inline void FN(fe_sqr)(fe r, const fe a) { FN(fe_mul)(r, a, a); }

static inline void FN(fe_sqr_n)(fe r, const fe a, int n) {
    FN(fe_sqr)(r, a);
    while (--n > 0) FN(fe_sqr)(r, r);
}

/* r = a^(p-2) = a^-1, constant time.  p - 2 in binary is
 * [31 ones][0][128 ones][32 zeros][62 ones][0][1]. */
static void FN(fe_inv)(fe r, const fe a) {
    fe x2, x3, x6, x12, x24, x31, x32, x62, t;
    FN(fe_sqr)(t, a);
    FN(fe_mul)(x2, t, a);
    FN(fe_sqr)(t, x2);
    FN(fe_mul)(x3, t, a);
    FN(fe_sqr_n)(t, x3, 3);
    FN(fe_mul)(x6, t, x3);
    FN(fe_sqr_n)(t, x6, 6);
    FN(fe_mul)(x12, t, x6);
    FN(fe_sqr_n)(t, x12, 12);
    FN(fe_mul)(x24, t, x12);
    FN(fe_sqr_n)(t, x24, 6);
    FN(fe_mul)(t, t, x6); /* x30 */
    FN(fe_sqr)(t, t);
    FN(fe_mul)(x31, t, a);
    FN(fe_sqr)(t, x31);
    FN(fe_mul)(x32, t, a);
    FN(fe_sqr_n)(t, x31, 31);
    FN(fe_mul)(x62, t, x31);

    FN(fe_sqr)(t, x31); /* 31 ones, then a zero */
    for (int i = 0; i < 4; i++) {
        FN(fe_sqr_n)(t, t, 32);
        FN(fe_mul)(t, t, x32);
    }
    FN(fe_sqr_n)(t, t, 32); /* 32 zeros */
    FN(fe_sqr_n)(t, t, 62);
    FN(fe_mul)(t, t, x62);
    FN(fe_sqr_n)(t, t, 2);
    FN(fe_mul)(r, t, a);
}

/* r = a^e for a public exponent e (plain integer limbs). */
static void FN(fe_pow_vartime)(fe r, const fe a, const uint64_t e[4]) {
    fe acc;
    fe_copy(acc, FE_ONE);
    for (int bit = 255; bit >= 0; bit--) {
        FN(fe_sqr)(acc, acc);
        if ((e[bit / 64] >> (bit % 64)) & 1) FN(fe_mul)(acc, acc, a);
    }
    fe_copy(r, acc);
}

/* rhs = x^3 - 3x + b */
static void FN(curve_rhs)(fe rhs, const fe x) {
    fe t;
    FN(fe_sqr)(t, x);
    FE_ADD(t, t, FE_A);
    FN(fe_mul)(t, t, x);
    FE_ADD(rhs, t, FE_B);
}

static int FN(on_curve)(const aff *a) {
    fe lhs, rhs;
    FN(fe_sqr)(lhs, a->y);
    FN(curve_rhs)(rhs, a->x);
    return fe_equal_vartime(lhs, rhs);
}

/* y = sqrt(x^3 - 3x + b) with the requested parity; p = 3 mod 4 so the root is
 * rhs^((p+1)/4), and it must square back. */
static int FN(decompress)(aff *out, const fe x, int odd) {
    fe rhs, y, check;
    uint64_t e[4], plain[4];
    static const uint64_t one[4] = {1, 0, 0, 0};
    FN(curve_rhs)(rhs, x);
    limbs_add(e, P, one);
    for (int i = 0; i < 4; i++) e[i] = (e[i] >> 2) | (i < 3 ? e[i + 1] << 62 : 0);
    FN(fe_pow_vartime)(y, rhs, e);
    FN(fe_sqr)(check, y);
    if (!fe_equal_vartime(check, rhs)) return TK_ERR;
    FN(fe_mul)(plain, y, one);
    if ((int)(plain[0] & 1) != odd) fe_neg(y, y);
    fe_copy(out->x, x);
    fe_copy(out->y, y);
    return TK_OK;
}

/* ---- points ----------------------------------------------------------------- */

/* r = 2p, "dbl-2001-b" for a = -3 (3M + 5S).  Infinity (Z = 0) stays infinity. */
static inline void FN(jac_dbl)(jac *r, const jac *p) {
    fe delta, gamma, beta, alpha, t1, t2;
    FN(fe_sqr)(delta, p->Z);
    FN(fe_sqr)(gamma, p->Y);
    FN(fe_mul)(beta, p->X, gamma);
    FE_SUB(t1, p->X, delta);
    FE_ADD(t2, p->X, delta);
    FN(fe_mul)(alpha, t1, t2);
    FE_ADD(t1, alpha, alpha);
    FE_ADD(alpha, alpha, t1); /* alpha = 3 (X - delta)(X + delta) */
    FE_ADD(t1, p->Y, p->Z);
    FN(fe_sqr)(t1, t1);
    FE_SUB(t1, t1, gamma);
    FE_SUB(r->Z, t1, delta); /* Z3 = (Y + Z)^2 - gamma - delta */
    FE_ADD(beta, beta, beta);
    FE_ADD(beta, beta, beta); /* 4 beta */
    FN(fe_sqr)(t1, alpha);
    FE_ADD(t2, beta, beta);
    FE_SUB(r->X, t1, t2); /* X3 = alpha^2 - 8 beta */
    FE_SUB(t1, beta, r->X);
    FN(fe_mul)(t1, alpha, t1);
    FN(fe_sqr)(gamma, gamma);
    FE_ADD(gamma, gamma, gamma);
    FE_ADD(gamma, gamma, gamma);
    FE_ADD(gamma, gamma, gamma); /* 8 gamma^2 */
    FE_SUB(r->Y, t1, gamma);
}

/* r = p + q with q affine (8M + 3S).  Incomplete: wrong when p is infinity or
 * p = +-q; callers handle those cases. */
static inline void FN(jac_madd)(jac *r, const jac *p, const aff *q) {
    fe z1z1, z1z1z1, u2, s2, h, rr, hh, hhh, v, t;
    FN(fe_sqr)(z1z1, p->Z);
    FN(fe_mul)(z1z1z1, z1z1, p->Z);
    FN(fe_mul)(u2, q->x, z1z1);
    FN(fe_mul)(s2, q->y, z1z1z1);
    FE_SUB(h, u2, p->X);
    FE_SUB(rr, s2, p->Y);
    FN(fe_sqr)(hh, h);
    FN(fe_mul)(hhh, hh, h);
    FN(fe_mul)(v, p->X, hh);
    FN(fe_mul)(r->Z, p->Z, h);
    FN(fe_mul)(t, p->Y, hhh);
    FN(fe_sqr)(r->X, rr);
    FE_SUB(r->X, r->X, hhh);
    FE_SUB(r->X, r->X, v);
    FE_SUB(r->X, r->X, v);
    FE_SUB(v, v, r->X);
    FN(fe_mul)(v, rr, v);
    FE_SUB(r->Y, v, t);
}

/* r = p + q, both Jacobian (12M + 4S).  Incomplete, as jac_madd. */
static inline void FN(jac_add)(jac *r, const jac *p, const jac *q) {
    fe z1z1, z2z2, u1, u2, s1, s2, h, rr, hh, hhh, v, t;
    FN(fe_sqr)(z1z1, p->Z);
    FN(fe_sqr)(z2z2, q->Z);
    FN(fe_mul)(u1, p->X, z2z2);
    FN(fe_mul)(u2, q->X, z1z1);
    FN(fe_mul)(s1, p->Y, q->Z);
    FN(fe_mul)(s1, s1, z2z2);
    FN(fe_mul)(s2, q->Y, p->Z);
    FN(fe_mul)(s2, s2, z1z1);
    FE_SUB(h, u2, u1);
    FE_SUB(rr, s2, s1);
    FN(fe_sqr)(hh, h);
    FN(fe_mul)(hhh, hh, h);
    FN(fe_mul)(v, u1, hh);
    FN(fe_mul)(t, p->Z, q->Z);
    FN(fe_mul)(r->Z, t, h);
    FN(fe_mul)(t, s1, hhh);
    FN(fe_sqr)(r->X, rr);
    FE_SUB(r->X, r->X, hhh);
    FE_SUB(r->X, r->X, v);
    FE_SUB(r->X, r->X, v);
    FE_SUB(v, v, r->X);
    FN(fe_mul)(v, rr, v);
    FE_SUB(r->Y, v, t);
}

/* Variable-time complete additions for public points: handle infinity,
 * doubling and inverse points explicitly. */
static void FN(jac_add_vartime)(jac *r, const jac *p, const jac *q) {
    if (fe_is_zero_vartime(p->Z)) { *r = *q; return; }
    if (fe_is_zero_vartime(q->Z)) { *r = *p; return; }
    fe z1z1, z2z2, u1, u2, s1, s2;
    FN(fe_sqr)(z1z1, p->Z);
    FN(fe_sqr)(z2z2, q->Z);
    FN(fe_mul)(u1, p->X, z2z2);
    FN(fe_mul)(u2, q->X, z1z1);
    FN(fe_mul)(s1, p->Y, q->Z);
    FN(fe_mul)(s1, s1, z2z2);
    FN(fe_mul)(s2, q->Y, p->Z);
    FN(fe_mul)(s2, s2, z1z1);
    if (fe_equal_vartime(u1, u2)) {
        if (fe_equal_vartime(s1, s2)) {
            FN(jac_dbl)(r, p);
        } else {
            memset(r, 0, sizeof *r);
        }
        return;
    }
    FN(jac_add)(r, p, q);
}

static void FN(jac_madd_vartime)(jac *r, const jac *p, const aff *q) {
    if (fe_is_zero_vartime(p->Z)) {
        fe_copy(r->X, q->x);
        fe_copy(r->Y, q->y);
        fe_copy(r->Z, FE_ONE);
        return;
    }
    fe z1z1, u2, s2;
    FN(fe_sqr)(z1z1, p->Z);
    FN(fe_mul)(u2, q->x, z1z1);
    FN(fe_mul)(s2, q->y, z1z1);
    FN(fe_mul)(s2, s2, p->Z);
    if (fe_equal_vartime(u2, p->X)) {
        if (fe_equal_vartime(s2, p->Y)) {
            FN(jac_dbl)(r, p);
        } else {
            memset(r, 0, sizeof *r);
        }
        return;
    }
    FN(jac_madd)(r, p, q);
}

/* Affine from Jacobian; constant time (the inversion is a fixed chain). */
static void FN(to_affine)(aff *r, const jac *p) {
    fe zinv, zinv2;
    FN(fe_inv)(zinv, p->Z);
    FN(fe_sqr)(zinv2, zinv);
    FN(fe_mul)(r->x, p->X, zinv2);
    FN(fe_mul)(zinv2, zinv2, zinv);
    FN(fe_mul)(r->y, p->Y, zinv2);
}

/* ---- fixed-base comb ---------------------------------------------------------- */

/*
 * comb[i][j] = (j + 1) * 2^(7i) * P in affine form, for 37 windows of 64
 * points (148 KiB).  Built with one field inversion (Montgomery's trick).
 */
static int FN(comb_build)(aff (*comb)[COMB_POINTS], const aff *p) {
    const size_t count = (size_t)COMB_WINDOWS * COMB_POINTS;
    jac *pts = (jac *)malloc(count * sizeof(jac));
    fe *prefix = (fe *)malloc(count * sizeof(fe));
    if (!pts || !prefix) {
        free(pts);
        free(prefix);
        return TK_ERR;
    }
    jac base;
    fe_copy(base.X, p->x);
    fe_copy(base.Y, p->y);
    fe_copy(base.Z, FE_ONE);
    for (int i = 0; i < COMB_WINDOWS; i++) {
        jac *row = pts + (size_t)i * COMB_POINTS;
        row[0] = base;
        FN(jac_dbl)(&row[1], &base);
        for (int j = 2; j < COMB_POINTS; j++) FN(jac_add_vartime)(&row[j], &row[j - 1], &base);
        FN(jac_dbl)(&base, &row[COMB_POINTS - 1]); /* 128 * base = 2^7 * base */
    }
    /* batch normalisation */
    fe_copy(prefix[0], pts[0].Z);
    for (size_t i = 1; i < count; i++) FN(fe_mul)(prefix[i], prefix[i - 1], pts[i].Z);
    fe inv, zinv, zinv2;
    FN(fe_inv)(inv, prefix[count - 1]);
    for (size_t i = count; i-- > 0;) {
        if (i > 0) {
            FN(fe_mul)(zinv, inv, prefix[i - 1]);
            FN(fe_mul)(inv, inv, pts[i].Z);
        } else {
            fe_copy(zinv, inv);
        }
        aff *out = &comb[i / COMB_POINTS][i % COMB_POINTS];
        FN(fe_sqr)(zinv2, zinv);
        FN(fe_mul)(out->x, pts[i].X, zinv2);
        FN(fe_mul)(zinv2, zinv2, zinv);
        FN(fe_mul)(out->y, pts[i].Y, zinv2);
    }
    free(pts);
    free(prefix);
    return TK_OK;
}

/* r = comb[idx - 1] for idx in 1..64, or zeros for idx = 0, reading every entry. */
static inline void FN(comb_select_ct)(aff *r, const aff *row, uint64_t idx) {
#ifdef TK_IMPL_AVX2
    __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
    for (uint64_t j = 0; j < COMB_POINTS; j++) {
        __m256i mask = _mm256_set1_epi64x((long long)tk_ct_eq_mask(j + 1, idx));
        const __m256i *in = (const __m256i *)&row[j];
        acc0 = _mm256_or_si256(acc0, _mm256_and_si256(_mm256_loadu_si256(in), mask));
        acc1 = _mm256_or_si256(acc1, _mm256_and_si256(_mm256_loadu_si256(in + 1), mask));
    }
    _mm256_storeu_si256((__m256i *)r, acc0);
    _mm256_storeu_si256((__m256i *)r + 1, acc1);
    return;
#endif
    uint64_t *out = (uint64_t *)r;
    memset(r, 0, sizeof *r);
    for (uint64_t j = 0; j < COMB_POINTS; j++) {
        uint64_t mask = tk_ct_eq_mask(j + 1, idx);
        const uint64_t *in = (const uint64_t *)&row[j];
        for (int w = 0; w < 8; w++) out[w] |= in[w] & mask;
    }
}

/* Constant-time repair of an incomplete addition sum = acc + t inside a
 * scalar multiplication: if acc is infinity the sum is t, if the digit was
 * zero (t all zero, not a point) the sum is acc. */
static inline void FN(jac_ct_fixup)(jac *sum, const jac *acc, const fe tx, const fe ty, const fe tz,
                                    uint64_t digit) {
    uint64_t acc_inf = limbs_is_zero_mask(acc->Z);
    limbs_cmov(sum->X, tx, acc_inf);
    limbs_cmov(sum->Y, ty, acc_inf);
    limbs_cmov(sum->Z, tz, acc_inf);
    uint64_t skip = tk_ct_is_zero_mask(digit);
    limbs_cmov(sum->X, acc->X, skip);
    limbs_cmov(sum->Y, acc->Y, skip);
    limbs_cmov(sum->Z, acc->Z, skip);
}

/* r = k * G (k < n) with the w = 7 Booth comb: 37 mixed additions, no doublings,
 * every table entry scanned, infinity and zero digits handled with masks. */
static void FN(base_mul_ct)(jac *r, const uint64_t k[4]) {
    uint64_t kk[5] = {k[0], k[1], k[2], k[3], 0};
    jac acc, sum;
    aff t;
    fe negy;
    memset(&acc, 0, sizeof acc);
    for (int i = 0; i < COMB_WINDOWS; i++) {
        uint64_t sign, abs;
        booth_digit(&sign, &abs, window_bits(kk, 7 * i - 1, 8), COMB_W);
        FN(comb_select_ct)(&t, G_COMB[i], abs);
        fe_neg(negy, t.y);
        limbs_cmov(t.y, negy, tk_ct_bit_to_mask(sign));
        FN(jac_madd)(&sum, &acc, &t);
        FN(jac_ct_fixup)(&sum, &acc, t.x, t.y, FE_ONE, abs);
        acc = sum;
    }
    *r = acc;
    tk_memzero(kk, sizeof kk);
    tk_memzero(&acc, sizeof acc);
    tk_memzero(&sum, sizeof sum);
    tk_memzero(&t, sizeof t);
}

/* Variable-time comb multiplication for public scalars (verification). */
static void FN(comb_mul_vartime)(jac *r, const aff (*comb)[COMB_POINTS], const uint64_t k[4]) {
    uint64_t kk[5] = {k[0], k[1], k[2], k[3], 0};
    jac acc;
    aff t;
    memset(&acc, 0, sizeof acc);
    for (int i = 0; i < COMB_WINDOWS; i++) {
        uint64_t sign, abs;
        booth_digit(&sign, &abs, window_bits(kk, 7 * i - 1, 8), COMB_W);
        if (!abs) continue;
        t = comb[i][abs - 1];
        if (sign) fe_neg(t.y, t.y);
        FN(jac_madd_vartime)(&acc, &acc, &t);
    }
    *r = acc;
}

/* ---- variable-base multiplication ------------------------------------------- */

/* r = k * p, constant time in k: w = 5 Booth windows over 16 precomputed
 * multiples, scanned in full.  Exceptional additions cannot occur for a
 * point of prime order n and 0 < k < n except through an infinite
 * accumulator, which is masked. */
static void FN(point_mul_ct)(jac *r, const uint64_t k[4], const aff *p) {
    jac table[16], acc, sum, t;
    uint64_t kk[5] = {k[0], k[1], k[2], k[3], 0};
    fe negy;
    fe_copy(table[0].X, p->x);
    fe_copy(table[0].Y, p->y);
    fe_copy(table[0].Z, FE_ONE);
    FN(jac_dbl)(&table[1], &table[0]);
    for (int j = 2; j < 16; j++) FN(jac_madd)(&table[j], &table[j - 1], p);
    memset(&acc, 0, sizeof acc);
    for (int i = 51; i >= 0; i--) {
        if (i != 51)
            for (int d = 0; d < 5; d++) FN(jac_dbl)(&acc, &acc);
        uint64_t sign, abs;
        booth_digit(&sign, &abs, window_bits(kk, 5 * i - 1, 6), 5);
        memset(&t, 0, sizeof t);
        for (uint64_t j = 0; j < 16; j++) {
            uint64_t mask = tk_ct_eq_mask(j + 1, abs);
            const uint64_t *in = (const uint64_t *)&table[j];
            uint64_t *out = (uint64_t *)&t;
            for (int w = 0; w < 12; w++) out[w] |= in[w] & mask;
        }
        fe_neg(negy, t.Y);
        limbs_cmov(t.Y, negy, tk_ct_bit_to_mask(sign));
        FN(jac_add)(&sum, &acc, &t);
        FN(jac_ct_fixup)(&sum, &acc, t.X, t.Y, t.Z, abs);
        acc = sum;
    }
    *r = acc;
    tk_memzero(kk, sizeof kk);
    tk_memzero(&acc, sizeof acc);
    tk_memzero(&sum, sizeof sum);
    tk_memzero(&t, sizeof t);
}

/* r = k * p for a public k: width-5 NAF over the odd multiples p, 3p, ..., 15p. */
static void FN(point_mul_wnaf_vartime)(jac *r, const uint64_t k[4], const aff *p) {
    int8_t naf[260];
    int len = wnaf5(naf, k);
    jac odd[8], twice, acc, neg;
    fe_copy(odd[0].X, p->x);
    fe_copy(odd[0].Y, p->y);
    fe_copy(odd[0].Z, FE_ONE);
    FN(jac_dbl)(&twice, &odd[0]);
    for (int j = 1; j < 8; j++) FN(jac_add_vartime)(&odd[j], &odd[j - 1], &twice);
    memset(&acc, 0, sizeof acc);
    for (int i = len - 1; i >= 0; i--) {
        if (!fe_is_zero_vartime(acc.Z)) FN(jac_dbl)(&acc, &acc);
        int d = naf[i];
        if (d > 0) {
            FN(jac_add_vartime)(&acc, &acc, &odd[d >> 1]);
        } else if (d < 0) {
            neg = odd[(-d) >> 1];
            fe_neg(neg.Y, neg.Y);
            FN(jac_add_vartime)(&acc, &acc, &neg);
        }
    }
    *r = acc;
}

/* ---- verification (GB/T 32918.2 7.1, B5-B7) ------------------------------------ */

/*
 * Accept iff (e + x1) mod n = r where (x1, y1) = sG + tP.  Instead of
 * inverting Z, compare X with x * Z^2 for the candidates x = (r - e) mod n and,
 * when it is still below p, (r - e) mod n + n.
 */
static int FN(verify_core)(const aff *p, const aff (*p_comb)[COMB_POINTS], const uint64_t r[4],
                           const uint64_t s[4], const uint64_t t[4], const uint64_t e[4]) {
    jac sg, tp, sum;
    FN(comb_mul_vartime)(&sg, (const aff(*)[COMB_POINTS])G_COMB, s);
    if (p_comb) {
        FN(comb_mul_vartime)(&tp, p_comb, t);
    } else {
        FN(point_mul_wnaf_vartime)(&tp, t, p);
    }
    FN(jac_add_vartime)(&sum, &sg, &tp);
    if (fe_is_zero_vartime(sum.Z)) return TK_ERR;
    fe z2, cand, candm;
    FN(fe_sqr)(z2, sum.Z);
    limbs_sub_mod(cand, r, e, N);
    for (int attempt = 0; attempt < 2; attempt++) {
        if (attempt == 1) {
            if (limbs_add(cand, cand, N) || !limbs_lt_mask(cand, P)) break;
        }
        FN(fe_mul)(candm, cand, FE_R2);
        FN(fe_mul)(candm, candm, z2);
        if (fe_equal_vartime(candm, sum.X)) return TK_OK;
    }
    return TK_ERR;
}
