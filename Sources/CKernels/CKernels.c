#include "CKernels.h"
#include <immintrin.h>

int ck_has_avx2_fma(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

#if defined(__x86_64__) || defined(__i386__)
#define CK_AVX2 __attribute__((target("avx2,fma")))

CK_AVX2 static inline float ck_hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// One block of MB rows of x times NB rows of w (MB <= 4, NB <= 2), all k. Constant MB / NB at
/// every call site, so the accumulators stay in registers.
CK_AVX2 static inline __attribute__((always_inline)) void
ck_block(const float *x, int ldx, const float *w, int ldw, int k, float *y, int ldy, int accumulate,
         const int MB, const int NB) {
    __m256 acc[4][2];
    for (int i = 0; i < MB; i++)
        for (int j = 0; j < NB; j++) acc[i][j] = _mm256_setzero_ps();
    int kk = 0;
    for (; kk + 8 <= k; kk += 8) {
        __m256 wv[2];
        for (int j = 0; j < NB; j++) wv[j] = _mm256_loadu_ps(w + j * ldw + kk);
        for (int i = 0; i < MB; i++) {
            __m256 xv = _mm256_loadu_ps(x + i * ldx + kk);
            for (int j = 0; j < NB; j++) acc[i][j] = _mm256_fmadd_ps(xv, wv[j], acc[i][j]);
        }
    }
    for (int i = 0; i < MB; i++)
        for (int j = 0; j < NB; j++) {
            float s = ck_hsum(acc[i][j]);
            for (int t = kk; t < k; t++) s += x[i * ldx + t] * w[j * ldw + t];
            float *out = y + i * ldy + j;
            *out = accumulate ? *out + s : s;
        }
}

/// Weight rows per tile: 32 rows of a 576-wide layer are 72 KB, resident in L2 while all row
/// blocks of x pass over them.
enum { CK_TILE = 32 };

CK_AVX2 void ck_linear_small(const float *x, int m, int k, int ldx, const float *w, int ldw,
                             int n0, int n1, float *y, int ldy, int accumulate) {
    for (int t0 = n0; t0 < n1; t0 += CK_TILE) {
        int t1 = t0 + CK_TILE < n1 ? t0 + CK_TILE : n1;
        int i = 0;
        for (; i + 4 <= m; i += 4) {
            const float *xb = x + (long)i * ldx;
            float *yb = y + (long)i * ldy;
            int n = t0;
            for (; n + 2 <= t1; n += 2) ck_block(xb, ldx, w + (long)n * ldw, ldw, k, yb + n, ldy, accumulate, 4, 2);
            if (n < t1) ck_block(xb, ldx, w + (long)n * ldw, ldw, k, yb + n, ldy, accumulate, 4, 1);
        }
        for (; i < m; i++) {
            const float *xb = x + (long)i * ldx;
            float *yb = y + (long)i * ldy;
            int n = t0;
            for (; n + 2 <= t1; n += 2) ck_block(xb, ldx, w + (long)n * ldw, ldw, k, yb + n, ldy, accumulate, 1, 2);
            if (n < t1) ck_block(xb, ldx, w + (long)n * ldw, ldw, k, yb + n, ldy, accumulate, 1, 1);
        }
    }
}
/// exp of 8 floats (Cephes polynomial, as in the usual SSE/AVX math helpers): inputs clamped to
/// [-88.38, 88.38], relative error about 1e-7.
CK_AVX2 static inline __m256 ck_exp(__m256 x) {
    x = _mm256_min_ps(x, _mm256_set1_ps(88.3762626647949f));
    x = _mm256_max_ps(x, _mm256_set1_ps(-88.3762626647949f));
    __m256 fx = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f));
    fx = _mm256_floor_ps(fx);
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
    __m256 y = _mm256_set1_ps(1.9875691500e-4f);
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507e-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073e-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894e-2f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459e-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201e-1f));
    y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.0f)));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(fx), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

/// exp of one float through the vector routine (the same values as in the vector loops).
CK_AVX2 static inline float ck_exp1(float x) { return _mm256_cvtss_f32(ck_exp(_mm256_set1_ps(x))); }

CK_AVX2 void ck_silu_mul(float *gate, const float *up, long n) {
    const __m256 one = _mm256_set1_ps(1.0f);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 g = _mm256_loadu_ps(gate + i);
        __m256 e = ck_exp(_mm256_sub_ps(_mm256_setzero_ps(), g));
        _mm256_storeu_ps(gate + i, _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(one, e)), _mm256_loadu_ps(up + i)));
    }
    for (; i < n; i++) gate[i] = gate[i] / (1.0f + ck_exp1(-gate[i])) * up[i];
}

CK_AVX2 void ck_softmax(float *x, int n) {
    float m = -__builtin_inff();
    for (int i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
    const __m256 vm = _mm256_set1_ps(m);
    __m256 acc = _mm256_setzero_ps();
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 e = ck_exp(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm));
        _mm256_storeu_ps(x + i, e);
        acc = _mm256_add_ps(acc, e);
    }
    float s = ck_hsum(acc);
    for (; i < n; i++) { x[i] = ck_exp1(x[i] - m); s += x[i]; }
    const __m256 inv = _mm256_set1_ps(1.0f / s);
    i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), inv));
    for (; i < n; i++) x[i] *= 1.0f / s;
}

CK_AVX2 static inline float ck_dot(const float *a, const float *b, int n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    }
    if (i + 8 <= n) { s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0); i += 8; }
    float s = ck_hsum(_mm256_add_ps(s0, s1));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

CK_AVX2 void ck_attend_rows(const float *q, int q_stride, const float *k, const float *v, int kv_stride,
                            int n, int past, int heads, int kv_heads, int hd, float scale,
                            float *out, int out_stride, float *scores) {
    if (ck_has_avx512f() && ck_attend_rows_avx512(q, q_stride, k, v, kv_stride, n, past, heads, kv_heads, hd, scale, out,
                                      out_stride, scores)) return;
    const int group = heads / kv_heads;
    for (int i = 0; i < n; i++) {
        const int valid = past + i + 1;
        for (int h = 0; h < heads; h++) {
            const int kvh = h / group;
            const float *qi = q + (long)i * q_stride + h * hd;
            const float *kh = k + kvh * hd, *vh = v + kvh * hd;
            for (int t = 0; t < valid; t++) scores[t] = ck_dot(qi, kh + (long)t * kv_stride, hd) * scale;
            ck_softmax(scores, valid);
            float *o = out + (long)i * out_stride + h * hd;
            for (int j = 0; j < hd; j++) o[j] = 0;
            for (int t = 0; t < valid; t++) {
                const __m256 p = _mm256_set1_ps(scores[t]);
                const float *vt = vh + (long)t * kv_stride;
                int j = 0;
                for (; j + 8 <= hd; j += 8)
                    _mm256_storeu_ps(o + j, _mm256_fmadd_ps(p, _mm256_loadu_ps(vt + j), _mm256_loadu_ps(o + j)));
                for (; j < hd; j++) o[j] += scores[t] * vt[j];
            }
        }
    }
}
#else
void ck_silu_mul(float *gate, const float *up, long n) { (void)gate; (void)up; (void)n; }
void ck_softmax(float *x, int n) { (void)x; (void)n; }
void ck_attend_rows(const float *q, int q_stride, const float *k, const float *v, int kv_stride,
                    int n, int past, int heads, int kv_heads, int hd, float scale,
                    float *out, int out_stride, float *scores) {
    (void)q; (void)q_stride; (void)k; (void)v; (void)kv_stride; (void)n; (void)past; (void)heads;
    (void)kv_heads; (void)hd; (void)scale; (void)out; (void)out_stride; (void)scores;
}
void ck_linear_small(const float *x, int m, int k, int ldx, const float *w, int ldw,
                     int n0, int n1, float *y, int ldy, int accumulate) {
    for (int i = 0; i < m; i++)
        for (int n = n0; n < n1; n++) {
            float s = 0;
            for (int t = 0; t < k; t++) s += x[i * ldx + t] * w[(long)n * ldw + t];
            y[i * ldy + n] = accumulate ? y[i * ldy + n] + s : s;
        }
}
#endif
