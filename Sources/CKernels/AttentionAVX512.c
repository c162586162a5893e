// Decoding attention with AVX-512 (one or a few query rows over a KV cache). The query heads
// that share a key/value head are processed together, so each cached key and value row is read
// once per group instead of once per query head, and the output accumulators stay in registers.
#include "CKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

int ck_has_avx512f(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
}

#define CK_512 __attribute__((target("avx512f,avx2,fma")))

/// Keys prefetched this many rows ahead.
enum { CK_KV_AHEAD = 8 };

/// One query row, query heads `h0 ..< h0 + G` sharing key/value head `kvh`; `HV` = hd / 16
/// vectors per head row. `G * HV <= 16` so the accumulators fit the 32 vector registers.
/// `scores` holds G rows of `valid` floats.
CK_512 static inline __attribute__((always_inline)) void
ck_attend_group(const float *q, const float *k, const float *v, int kv_stride, int valid, int hd, float scale,
                float *out, float *scores, const int G, const int HV) {
    __m512 qv[4][8];
    for (int g = 0; g < G; g++)
        for (int j = 0; j < HV; j++) qv[g][j] = _mm512_mul_ps(_mm512_loadu_ps(q + g * hd + 16 * j), _mm512_set1_ps(scale));
    // Scores: one pass over the keys, each key row loaded once for the G heads.
    for (int t = 0; t < valid; t++) {
        const float *kt = k + (long)t * kv_stride;
        const char *pf = (const char *)(kt + (long)CK_KV_AHEAD * kv_stride);
        for (int j = 0; j < HV; j += 4) _mm_prefetch(pf + 64 * j, _MM_HINT_T0);
        __m512 kr[8];
        for (int j = 0; j < HV; j++) kr[j] = _mm512_loadu_ps(kt + 16 * j);
        for (int g = 0; g < G; g++) {
            __m512 s = _mm512_mul_ps(qv[g][0], kr[0]);
            for (int j = 1; j < HV; j++) s = _mm512_fmadd_ps(qv[g][j], kr[j], s);
            scores[g * valid + t] = _mm512_reduce_add_ps(s);
        }
    }
    for (int g = 0; g < G; g++) ck_softmax(scores + g * valid, valid);
    // Weighted sum of the value rows, each loaded once for the G heads.
    __m512 acc[4][8];
    for (int g = 0; g < G; g++)
        for (int j = 0; j < HV; j++) acc[g][j] = _mm512_setzero_ps();
    for (int t = 0; t < valid; t++) {
        const float *vt = v + (long)t * kv_stride;
        const char *pf = (const char *)(vt + (long)CK_KV_AHEAD * kv_stride);
        for (int j = 0; j < HV; j += 4) _mm_prefetch(pf + 64 * j, _MM_HINT_T0);
        __m512 vr[8];
        for (int j = 0; j < HV; j++) vr[j] = _mm512_loadu_ps(vt + 16 * j);
        for (int g = 0; g < G; g++) {
            const __m512 p = _mm512_set1_ps(scores[g * valid + t]);
            for (int j = 0; j < HV; j++) acc[g][j] = _mm512_fmadd_ps(p, vr[j], acc[g][j]);
        }
    }
    for (int g = 0; g < G; g++)
        for (int j = 0; j < HV; j++) _mm512_storeu_ps(out + g * hd + 16 * j, acc[g][j]);
}

/// Heads of one group in chunks of at most `max_g` (constant `HV` per call site).
#define CK_GROUP_CHUNKS(HV, MAXG) do { \
    for (int g0 = 0; g0 < group; g0 += (MAXG)) { \
        const int gn = group - g0 < (MAXG) ? group - g0 : (MAXG); \
        const float *qg = qi + (kvh * group + g0) * hd; \
        float *og = oi + (kvh * group + g0) * hd; \
        switch (gn) { \
        case 1: ck_attend_group(qg, kh, vh, kv_stride, valid, hd, scale, og, scores, 1, HV); break; \
        case 2: ck_attend_group(qg, kh, vh, kv_stride, valid, hd, scale, og, scores, 2, HV); break; \
        case 3: ck_attend_group(qg, kh, vh, kv_stride, valid, hd, scale, og, scores, 3, HV); break; \
        default: ck_attend_group(qg, kh, vh, kv_stride, valid, hd, scale, og, scores, 4, HV); break; \
        } \
    } \
} while (0)

CK_512 int ck_attend_rows_avx512(const float *q, int q_stride, const float *k, const float *v, int kv_stride,
                                 int n, int past, int heads, int kv_heads, int hd, float scale,
                                 float *out, int out_stride, float *scores) {
    if (hd != 64 && hd != 128) return 0;
    const int group = heads / kv_heads;
    for (int i = 0; i < n; i++) {
        const int valid = past + i + 1;
        const float *qi = q + (long)i * q_stride;
        float *oi = out + (long)i * out_stride;
        for (int kvh = 0; kvh < kv_heads; kvh++) {
            const float *kh = k + kvh * hd, *vh = v + kvh * hd;
            if (hd == 64) CK_GROUP_CHUNKS(4, 4);
            else CK_GROUP_CHUNKS(8, 2);
        }
    }
    return 1;
}
#else
int ck_has_avx512f(void) { return 0; }
int ck_attend_rows_avx512(const float *q, int q_stride, const float *k, const float *v, int kv_stride,
                          int n, int past, int heads, int kv_heads, int hd, float scale,
                          float *out, int out_stride, float *scores) {
    (void)q; (void)q_stride; (void)k; (void)v; (void)kv_stride; (void)n; (void)past; (void)heads;
    (void)kv_heads; (void)hd; (void)scale; (void)out; (void)out_stride; (void)scores;
    return 0;
}
#endif
