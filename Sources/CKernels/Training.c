// Rank-r LoRA kernels of the training pass (see CKernelsTraining.h). Each kernel body is written
// once as plain loops over 16-float blocks (so the compiler vectorises them without reassociating
// sums) and compiled twice: for the baseline CPU and, chosen at run time, for AVX-512, where the
// dropout mask is drawn eight SplitMix64 draws (32 columns) per instruction sequence.
#include "CKernelsTraining.h"
#include <string.h>

#define CK_GOLDEN 0x9E3779B97F4A7C15ULL
/// Columns per chunk of the on-stack mask and row buffers.
enum { CK_CHUNK = 256 };

static inline uint64_t ck_mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/// SplitMix64 state of the draw holding column `c0` (a multiple of 4) of stream row `row`.
static inline uint64_t ck_draw_state(const ck_dropout *d, long row, int c0) {
    const long perRow = (d->cols + 3) / 4;
    return d->seed + (uint64_t)(row * perRow + c0 / 4 + 1) * CK_GOLDEN;
}

static void ck_factors_portable(const ck_dropout *d, long row, int c0, int c1, float *f) {
    uint64_t s = ck_draw_state(d, row, c0);
    for (int c = c0; c < c1; c += 4, s += CK_GOLDEN) {
        const uint64_t z = ck_mix(s);
        for (int l = 0; l < 4 && c + l < c1; l++)
            f[c - c0 + l] = ((z >> (16 * l)) & 0xFFFF) < d->threshold ? 0.0f : d->keep_scale;
    }
}

#if defined(__x86_64__)
#include <immintrin.h>
#define CK_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl")))

int ck_training_has_avx512(void) {
    static int state = -1;
    if (state < 0)
        state = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
            && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
    return state;
}

/// Eight draws (32 columns) at a time: the eight 64-bit states are mixed in one register, whose
/// 32 16-bit lanes are then, in memory order, the uniforms of columns c ..< c + 32.
CK_AVX512 static void ck_factors_avx512(const ck_dropout *d, long row, int c0, int c1, float *f) {
    if (d->threshold > 0xFFFF) { ck_factors_portable(d, row, c0, c1, f); return; }
    const uint64_t base = ck_draw_state(d, row, c0);
    __m512i s = _mm512_add_epi64(_mm512_set1_epi64((long long)base),
                                 _mm512_set_epi64((long long)(7 * CK_GOLDEN), (long long)(6 * CK_GOLDEN),
                                                  (long long)(5 * CK_GOLDEN), (long long)(4 * CK_GOLDEN),
                                                  (long long)(3 * CK_GOLDEN), (long long)(2 * CK_GOLDEN),
                                                  (long long)CK_GOLDEN, 0));
    const __m512i step = _mm512_set1_epi64((long long)(8 * CK_GOLDEN));
    const __m512i m1 = _mm512_set1_epi64((long long)0xBF58476D1CE4E5B9ULL);
    const __m512i m2 = _mm512_set1_epi64((long long)0x94D049BB133111EBULL);
    const __m512i thr = _mm512_set1_epi16((short)d->threshold);
    const __m512 keep = _mm512_set1_ps(d->keep_scale);
    for (int c = c0; c < c1; c += 32, s = _mm512_add_epi64(s, step)) {
        __m512i z = _mm512_mullo_epi64(_mm512_xor_si512(s, _mm512_srli_epi64(s, 30)), m1);
        z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 27)), m2);
        z = _mm512_xor_si512(z, _mm512_srli_epi64(z, 31));
        const __mmask32 kept = ~_mm512_cmplt_epu16_mask(z, thr);
        const __m512 f0 = _mm512_maskz_mov_ps((__mmask16)kept, keep);
        const __m512 f1 = _mm512_maskz_mov_ps((__mmask16)(kept >> 16), keep);
        float *o = f + (c - c0);
        const int left = c1 - c;
        if (left >= 32) {
            _mm512_storeu_ps(o, f0);
            _mm512_storeu_ps(o + 16, f1);
        } else if (left > 16) {
            _mm512_storeu_ps(o, f0);
            _mm512_mask_storeu_ps(o + 16, (__mmask16)((1u << (left - 16)) - 1), f1);
        } else {
            _mm512_mask_storeu_ps(o, (__mmask16)(left == 16 ? 0xFFFF : (1u << left) - 1), f0);
        }
    }
}
#else
int ck_training_has_avx512(void) { return 0; }
static void ck_factors_avx512(const ck_dropout *d, long row, int c0, int c1, float *f) {
    ck_factors_portable(d, row, c0, c1, f);
}
#endif

static inline void ck_factors(int avx, const ck_dropout *d, long row, int c0, int c1, float *f) {
    if (avx) ck_factors_avx512(d, row, c0, c1, f);
    else ck_factors_portable(d, row, c0, c1, f);
}

#define CK_INLINE static inline __attribute__((always_inline))

/// x[0 ..< n] (masked by f when given) into `out`, or `x` itself when there is no mask.
CK_INLINE const float *ck_masked(const float *restrict x, const float *restrict f, int n, float *restrict out) {
    if (!f) return x;
    for (int c = 0; c < n; c++) out[c] = x[c] * f[c];
    return out;
}

CK_INLINE void ck_rows_dot_body(int avx, const float *x, int ldx, int rows, int cols, const float *w, int ldw, int r,
                                float alpha, const ck_dropout *drop, long row0, float *u, int ldu) {
    float f[CK_CHUNK], xd[CK_CHUNK];
    for (int i = 0; i < rows; i++) {
        const float *xr = x + (long)i * ldx;
        for (int j0 = 0; j0 < r; j0 += 8) {
            const int jn = r - j0 < 8 ? r - j0 : 8;
            float acc[8][16];
            memset(acc, 0, sizeof acc);
            for (int cs = 0; cs < cols; cs += CK_CHUNK) {
                const int n = cols - cs < CK_CHUNK ? cols - cs : CK_CHUNK;
                if (drop) ck_factors(avx, drop, row0 + i, cs, cs + n, f);
                const float *v = ck_masked(xr + cs, drop ? f : 0, n, xd);
                const int n16 = n & ~15;
                for (int jj = 0; jj < jn; jj++) {
                    const float *wr = w + (long)(j0 + jj) * ldw + cs;
                    float *a = acc[jj];
                    for (int c = 0; c < n16; c += 16)
                        for (int l = 0; l < 16; l++) a[l] += v[c + l] * wr[c + l];
                    for (int c = n16; c < n; c++) a[0] += v[c] * wr[c];
                }
            }
            for (int jj = 0; jj < jn; jj++) {
                float s = 0;
                for (int l = 0; l < 16; l++) s += acc[jj][l];
                u[(long)i * ldu + j0 + jj] = alpha * s;
            }
        }
    }
}

CK_INLINE void ck_rows_axpy_body(const float *d, int ldd, int rows, int r, float alpha, const float *w, int ldw,
                                 int c0, int c1, float *y, int ldy) {
    float t[CK_CHUNK];
    for (int i = 0; i < rows; i++) {
        const float *dr = d + (long)i * ldd;
        float *yr = y + (long)i * ldy;
        for (int cs = c0; cs < c1; cs += CK_CHUNK) {
            const int n = c1 - cs < CK_CHUNK ? c1 - cs : CK_CHUNK;
            for (int c = 0; c < n; c++) t[c] = 0;
            for (int j = 0; j < r; j++) {
                const float dj = dr[j], *restrict wr = w + (long)j * ldw + cs;
                for (int c = 0; c < n; c++) t[c] += dj * wr[c];
            }
            float *restrict yc = yr + cs;
            for (int c = 0; c < n; c++) yc[c] += alpha * t[c];
        }
    }
}

CK_INLINE void ck_outer_body(const float *d, int ldd, int rows, int r, float alpha, const float *x, int ldx,
                             int c0, int c1, float *g, int ldg) {
    for (int i = 0; i < rows; i++) {
        const float *restrict xr = x + (long)i * ldx;
        for (int j = 0; j < r; j++) {
            const float a = alpha * d[(long)i * ldd + j];
            float *restrict gr = g + (long)j * ldg;
            for (int c = c0; c < c1; c++) gr[c] += a * xr[c];
        }
    }
}

CK_INLINE void ck_down_backward_body(int avx, const float *x, int ldx, int rows, const float *a, int lda, int r,
                                     const float *du, int lddu, const ck_dropout *drop, long row0, int c0, int c1,
                                     float *grad_a, float *dx, int lddx) {
    float f[CK_CHUNK], xd[CK_CHUNK], t[CK_CHUNK];
    for (int i = 0; i < rows; i++) {
        const float *xr = x + (long)i * ldx, *dr = du + (long)i * lddu;
        for (int cs = c0; cs < c1; cs += CK_CHUNK) {
            const int n = c1 - cs < CK_CHUNK ? c1 - cs : CK_CHUNK;
            if (drop) ck_factors(avx, drop, row0 + i, cs, cs + n, f);
            if (grad_a) {
                const float *restrict v = ck_masked(xr + cs, drop ? f : 0, n, xd);
                for (int j = 0; j < r; j++) {
                    const float dj = dr[j];
                    float *restrict gr = grad_a + (long)j * lda + cs;
                    for (int c = 0; c < n; c++) gr[c] += dj * v[c];
                }
            }
            if (dx) {
                for (int c = 0; c < n; c++) t[c] = 0;
                for (int j = 0; j < r; j++) {
                    const float dj = dr[j], *restrict ar = a + (long)j * lda + cs;
                    for (int c = 0; c < n; c++) t[c] += dj * ar[c];
                }
                float *restrict o = dx + (long)i * lddx + cs;
                if (drop) for (int c = 0; c < n; c++) o[c] += t[c] * f[c];
                else for (int c = 0; c < n; c++) o[c] += t[c];
            }
        }
    }
}

#if defined(__x86_64__)
CK_AVX512 static void ck_rows_dot_avx512(const float *x, int ldx, int rows, int cols, const float *w, int ldw, int r,
                                         float alpha, const ck_dropout *drop, long row0, float *u, int ldu) {
    ck_rows_dot_body(1, x, ldx, rows, cols, w, ldw, r, alpha, drop, row0, u, ldu);
}
CK_AVX512 static void ck_rows_axpy_avx512(const float *d, int ldd, int rows, int r, float alpha, const float *w,
                                          int ldw, int c0, int c1, float *y, int ldy) {
    ck_rows_axpy_body(d, ldd, rows, r, alpha, w, ldw, c0, c1, y, ldy);
}
CK_AVX512 static void ck_outer_avx512(const float *d, int ldd, int rows, int r, float alpha, const float *x, int ldx,
                                      int c0, int c1, float *g, int ldg) {
    ck_outer_body(d, ldd, rows, r, alpha, x, ldx, c0, c1, g, ldg);
}
CK_AVX512 static void ck_down_backward_avx512(const float *x, int ldx, int rows, const float *a, int lda, int r,
                                              const float *du, int lddu, const ck_dropout *drop, long row0,
                                              int c0, int c1, float *grad_a, float *dx, int lddx) {
    ck_down_backward_body(1, x, ldx, rows, a, lda, r, du, lddu, drop, row0, c0, c1, grad_a, dx, lddx);
}

// Rank 8 (the paper's setting), AVX-512: 32 columns (two registers) per block, the rank's eight
// rows of the factor gradient kept in registers over all input rows, the mask drawn per block.

/// Kept-lanes mask of the 32 columns whose first draw has SplitMix64 state `base` (all kept
/// without dropout).
CK_AVX512 static inline __mmask32 ck_kept32(const ck_dropout *d, uint64_t base) {
    if (!d) return 0xFFFFFFFFu;
    const __m512i s = _mm512_add_epi64(_mm512_set1_epi64((long long)base),
                                       _mm512_set_epi64((long long)(7 * CK_GOLDEN), (long long)(6 * CK_GOLDEN),
                                                        (long long)(5 * CK_GOLDEN), (long long)(4 * CK_GOLDEN),
                                                        (long long)(3 * CK_GOLDEN), (long long)(2 * CK_GOLDEN),
                                                        (long long)CK_GOLDEN, 0));
    __m512i z = _mm512_mullo_epi64(_mm512_xor_si512(s, _mm512_srli_epi64(s, 30)),
                                   _mm512_set1_epi64((long long)0xBF58476D1CE4E5B9ULL));
    z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 27)),
                           _mm512_set1_epi64((long long)0x94D049BB133111EBULL));
    z = _mm512_xor_si512(z, _mm512_srli_epi64(z, 31));
    return ~_mm512_cmplt_epu16_mask(z, _mm512_set1_epi16((short)d->threshold));
}

/// Lanes of the 32-column block at `cb` that lie before `c1`.
static inline void ck_block_masks(int cb, int c1, __mmask16 *m0, __mmask16 *m1) {
    const int left = c1 - cb;
    *m0 = left >= 16 ? 0xFFFF : (__mmask16)((1u << left) - 1);
    *m1 = left >= 32 ? 0xFFFF : left > 16 ? (__mmask16)((1u << (left - 16)) - 1) : 0;
}

/// `acc[j] += d[j] * v` for the 8 rows j of a rank-8 gradient block (lanes v0, v1 of 32 columns).
CK_AVX512 static inline void ck_accumulate_r8(const float *d, __m512 v0, __m512 v1, __m512 acc0[8], __m512 acc1[8]) {
    for (int j = 0; j < 8; j++) {
        const __m512 dj = _mm512_set1_ps(d[j]);
        acc0[j] = _mm512_fmadd_ps(dj, v0, acc0[j]);
        acc1[j] = _mm512_fmadd_ps(dj, v1, acc1[j]);
    }
}

/// `g[j, cb..] += scale * acc[j]` for the 8 rows j of a rank-8 gradient block (lanes m0, m1 of the
/// 32 columns at `cb`).
CK_AVX512 static inline void ck_add_block_r8(float *g, int ldg, int cb, __mmask16 m0, __mmask16 m1,
                                             const __m512 acc0[8], const __m512 acc1[8], __m512 scale) {
    for (int j = 0; j < 8; j++) {
        float *gr = g + (long)j * ldg + cb;
        _mm512_mask_storeu_ps(gr, m0, _mm512_fmadd_ps(scale, acc0[j], _mm512_maskz_loadu_ps(m0, gr)));
        _mm512_mask_storeu_ps(gr + 16, m1, _mm512_fmadd_ps(scale, acc1[j], _mm512_maskz_loadu_ps(m1, gr + 16)));
    }
}

CK_AVX512 static void ck_down_backward_r8(const float *x, int ldx, int rows, const float *a, int lda,
                                          const float *du, int lddu, const ck_dropout *drop, long row0,
                                          int c0, int c1, float *grad_a, float *dx, int lddx) {
    const long perRow = drop ? (drop->cols + 3) / 4 : 0;
    const __m512 keep = _mm512_set1_ps(drop ? drop->keep_scale : 1.0f);
    for (int cb = c0; cb < c1; cb += 32) {
        __mmask16 m0, m1;
        ck_block_masks(cb, c1, &m0, &m1);
        __m512 g0[8], g1[8];
        for (int j = 0; j < 8; j++) { g0[j] = _mm512_setzero_ps(); g1[j] = _mm512_setzero_ps(); }
        for (int i = 0; i < rows; i++) {
            const float *dr = du + (long)i * lddu;
            const __mmask32 kept = drop ? ck_kept32(drop, drop->seed + (uint64_t)((row0 + i) * perRow + cb / 4 + 1) * CK_GOLDEN)
                                        : 0xFFFFFFFFu;
            const __mmask16 k0 = (__mmask16)kept & m0, k1 = (__mmask16)(kept >> 16) & m1;
            if (grad_a) {
                const float *xr = x + (long)i * ldx + cb;
                __m512 v0 = _mm512_maskz_loadu_ps(m0, xr), v1 = _mm512_maskz_loadu_ps(m1, xr + 16);
                if (drop) { v0 = _mm512_maskz_mul_ps(k0, v0, keep); v1 = _mm512_maskz_mul_ps(k1, v1, keep); }
                ck_accumulate_r8(dr, v0, v1, g0, g1);
            }
            if (dx) {
                __m512 t0 = _mm512_setzero_ps(), t1 = _mm512_setzero_ps();
                for (int j = 0; j < 8; j++) {
                    const __m512 dj = _mm512_set1_ps(dr[j]);
                    const float *ar = a + (long)j * lda + cb;
                    t0 = _mm512_fmadd_ps(dj, _mm512_maskz_loadu_ps(m0, ar), t0);
                    t1 = _mm512_fmadd_ps(dj, _mm512_maskz_loadu_ps(m1, ar + 16), t1);
                }
                if (drop) { t0 = _mm512_maskz_mul_ps(k0, t0, keep); t1 = _mm512_maskz_mul_ps(k1, t1, keep); }
                float *o = dx + (long)i * lddx + cb;
                _mm512_mask_storeu_ps(o, m0, _mm512_add_ps(_mm512_maskz_loadu_ps(m0, o), t0));
                _mm512_mask_storeu_ps(o + 16, m1, _mm512_add_ps(_mm512_maskz_loadu_ps(m1, o + 16), t1));
            }
        }
        if (grad_a) ck_add_block_r8(grad_a, lda, cb, m0, m1, g0, g1, _mm512_set1_ps(1.0f));
    }
}

CK_AVX512 static void ck_outer_r8(const float *d, int ldd, int rows, float alpha, const float *x, int ldx,
                                  int c0, int c1, float *g, int ldg) {
    const __m512 al = _mm512_set1_ps(alpha);
    for (int cb = c0; cb < c1; cb += 32) {
        __mmask16 m0, m1;
        ck_block_masks(cb, c1, &m0, &m1);
        __m512 g0[8], g1[8];
        for (int j = 0; j < 8; j++) { g0[j] = _mm512_setzero_ps(); g1[j] = _mm512_setzero_ps(); }
        for (int i = 0; i < rows; i++) {
            const float *dr = d + (long)i * ldd, *xr = x + (long)i * ldx + cb;
            ck_accumulate_r8(dr, _mm512_maskz_loadu_ps(m0, xr), _mm512_maskz_loadu_ps(m1, xr + 16), g0, g1);
        }
        ck_add_block_r8(g, ldg, cb, m0, m1, g0, g1, al);
    }
}

/// Two rows at a time share the loads of `w`; sixteen dot products accumulate in registers.
CK_AVX512 static void ck_rows_dot_r8(const float *x, int ldx, int rows, int cols, const float *w, int ldw,
                                     float alpha, const ck_dropout *drop, long row0, float *u, int ldu) {
    const long perRow = drop ? (drop->cols + 3) / 4 : 0;
    const __m512 keep = _mm512_set1_ps(drop ? drop->keep_scale : 1.0f);
    for (int i = 0; i < rows; i += 2) {
        const int two = i + 1 < rows;
        __m512 a0[8], a1[8];
        for (int j = 0; j < 8; j++) { a0[j] = _mm512_setzero_ps(); a1[j] = _mm512_setzero_ps(); }
        const float *x0 = x + (long)i * ldx, *x1 = two ? x0 + ldx : x0;
        for (int cb = 0; cb < cols; cb += 32) {
            __mmask16 m0, m1;
            ck_block_masks(cb, cols, &m0, &m1);
            __m512 p0 = _mm512_maskz_loadu_ps(m0, x0 + cb), p1 = _mm512_maskz_loadu_ps(m1, x0 + cb + 16);
            __m512 q0 = _mm512_maskz_loadu_ps(m0, x1 + cb), q1 = _mm512_maskz_loadu_ps(m1, x1 + cb + 16);
            if (drop) {
                const __mmask32 kp = ck_kept32(drop, drop->seed + (uint64_t)((row0 + i) * perRow + cb / 4 + 1) * CK_GOLDEN);
                const __mmask32 kq = ck_kept32(drop, drop->seed + (uint64_t)((row0 + i + two) * perRow + cb / 4 + 1) * CK_GOLDEN);
                p0 = _mm512_maskz_mul_ps((__mmask16)kp, p0, keep); p1 = _mm512_maskz_mul_ps((__mmask16)(kp >> 16), p1, keep);
                q0 = _mm512_maskz_mul_ps((__mmask16)kq, q0, keep); q1 = _mm512_maskz_mul_ps((__mmask16)(kq >> 16), q1, keep);
            }
            for (int j = 0; j < 8; j++) {
                const float *wr = w + (long)j * ldw + cb;
                const __m512 w0 = _mm512_maskz_loadu_ps(m0, wr), w1 = _mm512_maskz_loadu_ps(m1, wr + 16);
                a0[j] = _mm512_fmadd_ps(p1, w1, _mm512_fmadd_ps(p0, w0, a0[j]));
                a1[j] = _mm512_fmadd_ps(q1, w1, _mm512_fmadd_ps(q0, w0, a1[j]));
            }
        }
        for (int j = 0; j < 8; j++) {
            u[(long)i * ldu + j] = alpha * _mm512_reduce_add_ps(a0[j]);
            if (two) u[(long)(i + 1) * ldu + j] = alpha * _mm512_reduce_add_ps(a1[j]);
        }
    }
}
#define CK_HAS_AVX512_PATH 1
#else
#define CK_HAS_AVX512_PATH 0
#endif

void ck_dropout_factors(const ck_dropout *drop, long row0, int rows, int c0, int c1, float *f, int ldf) {
    const int avx = ck_training_has_avx512();
    for (int i = 0; i < rows; i++) ck_factors(avx, drop, row0 + i, c0, c1, f + (long)i * ldf);
}

void ck_lora_rows_dot(const float *x, int ldx, int rows, int cols, const float *w, int ldw, int r, float alpha,
                      const ck_dropout *drop, long row0, float *u, int ldu) {
#if CK_HAS_AVX512_PATH
    if (ck_training_has_avx512() && r == 8) { ck_rows_dot_r8(x, ldx, rows, cols, w, ldw, alpha, drop, row0, u, ldu); return; }
    if (ck_training_has_avx512()) { ck_rows_dot_avx512(x, ldx, rows, cols, w, ldw, r, alpha, drop, row0, u, ldu); return; }
#endif
    ck_rows_dot_body(0, x, ldx, rows, cols, w, ldw, r, alpha, drop, row0, u, ldu);
}

void ck_lora_rows_axpy(const float *d, int ldd, int rows, int r, float alpha, const float *w, int ldw,
                       int c0, int c1, float *y, int ldy) {
#if CK_HAS_AVX512_PATH
    if (ck_training_has_avx512()) { ck_rows_axpy_avx512(d, ldd, rows, r, alpha, w, ldw, c0, c1, y, ldy); return; }
#endif
    ck_rows_axpy_body(d, ldd, rows, r, alpha, w, ldw, c0, c1, y, ldy);
}

void ck_lora_outer(const float *d, int ldd, int rows, int r, float alpha, const float *x, int ldx,
                   int c0, int c1, float *g, int ldg) {
#if CK_HAS_AVX512_PATH
    if (ck_training_has_avx512() && r == 8) { ck_outer_r8(d, ldd, rows, alpha, x, ldx, c0, c1, g, ldg); return; }
    if (ck_training_has_avx512()) { ck_outer_avx512(d, ldd, rows, r, alpha, x, ldx, c0, c1, g, ldg); return; }
#endif
    ck_outer_body(d, ldd, rows, r, alpha, x, ldx, c0, c1, g, ldg);
}

void ck_lora_down_backward(const float *x, int ldx, int rows, const float *a, int lda, int r,
                           const float *du, int lddu, const ck_dropout *drop, long row0, int c0, int c1,
                           float *grad_a, float *dx, int lddx) {
#if CK_HAS_AVX512_PATH
    if (ck_training_has_avx512() && r == 8) {
        ck_down_backward_r8(x, ldx, rows, a, lda, du, lddu, drop, row0, c0, c1, grad_a, dx, lddx);
        return;
    }
    if (ck_training_has_avx512()) {
        ck_down_backward_avx512(x, ldx, rows, a, lda, r, du, lddu, drop, row0, c0, c1, grad_a, dx, lddx);
        return;
    }
#endif
    ck_down_backward_body(0, x, ldx, rows, a, lda, r, du, lddu, drop, row0, c0, c1, grad_a, dx, lddx);
}
