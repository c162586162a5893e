// Compact (4- or 8-bit) copies of packed bfloat16 weights for products with few rows (decoding),
// where the time is that of reading the weights from memory. A weight matrix loaded from a
// quantised GGUF (Q4_1, Q4_0, Q8_0, dequantised to float32 at load) holds, per 32 consecutive
// inputs of an output, values `q * d + m` with small integers q: storing q, d and m instead of the
// bfloat16 values is lossless, and the product rebuilds exactly the same bfloat16 tiles on the fly
// (float32 multiply, add, round to nearest even), so its results equal `ck_amx_gemm`'s bit for bit.
#include "CKernels.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

// q * d + m must be a float32 multiply then a float32 add, as the loader computes it: no fused
// multiply-add.
#pragma STDC FP_CONTRACT OFF

/// Bytes of one compact tile (32 inputs x 16 outputs): 16 scales, 16 offsets, then the integers.
static inline long ck_compact_tile_bytes(int bits) { return 128 + (bits == 4 ? 256 : 512); }

long ck_compact_bytes(int k, int n, int bits) {
    if ((bits != 4 && bits != 8) || k <= 0 || n <= 0 || k % 32 || n % 16) return 0;
    return (long)(k / 32) * (n / 16) * ck_compact_tile_bytes(bits);
}

static inline float ck_round_half(float x) { return (float)(_Float16)x; }

/// Finds d, m and the integers of one block of 32 values `v[i * stride]` (4 bits: q in 0..15,
/// m the block's minimum; 8 bits: q in -128..127, m = 0), checking that `q * d + m` rebuilds every
/// value exactly. Returns 0 when no candidate d does.
static int ck_compact_block(const float *v, long stride, int bits, float *d_out, float *m_out, int *q) {
    float lo = v[0], hi = v[0], amax = 0;
    for (int i = 0; i < 32; i++) {
        const float x = v[i * stride];
        if (!isfinite(x)) return 0;
        if (x < lo) lo = x;
        if (x > hi) hi = x;
        if (fabsf(x) > amax) amax = fabsf(x);
    }
    float cands[8];
    int nc = 0;
    float m = 0;
    if (bits == 4) {
        m = lo;
        const float d0 = (hi - lo) / 15;
        cands[nc++] = ck_round_half(d0);
        cands[nc++] = d0;
    } else {
        const float d127 = amax / 127, d8 = amax / 8;
        cands[nc++] = ck_round_half(d127);
        cands[nc++] = -ck_round_half(d8);
        cands[nc++] = ck_round_half(d8);
        cands[nc++] = d127;
    }
    for (int c = 0; c < nc; c++) {
        const float d = cands[c];
        int ok = 1;
        for (int i = 0; i < 32 && ok; i++) {
            const float x = v[i * stride];
            long qi = d == 0 ? 0 : lrintf((x - m) / d);
            if (bits == 4 ? (qi < 0 || qi > 15) : (qi < -128 || qi > 127)) { ok = 0; break; }
            float r = (float)qi * d;
            r = r + m;
            if (r != x || signbit(r) != signbit(x)) ok = 0;
            q[i] = (int)qi;
        }
        if (ok) { *d_out = d; *m_out = m; return 1; }
    }
    return 0;
}

int ck_compact_pack_transposed(const float *w, int n, int k, int ldw, int bits, uint8_t *out) {
    if (ck_compact_bytes(k, n, bits) == 0) return 0;
    const int steps = k / 32;
    const long tb = ck_compact_tile_bytes(bits);
    int q[32];
    for (int s = 0; s < n / 16; s++)
        for (int t = 0; t < steps; t++) {
            uint8_t *tile = out + ((long)s * steps + t) * tb;
            float *dv = (float *)tile, *mv = dv + 16;
            uint8_t *qs = tile + 128;
            memset(qs, 0, tb - 128);
            for (int j = 0; j < 16; j++) {
                // Column j of the tile: output 16 s + j, inputs 32 t ..< 32 t + 32 (row of w).
                const float *v = w + (long)(16 * s + j) * ldw + 32 * t;
                if (!ck_compact_block(v, 1, bits, &dv[j], &mv[j], q)) return 0;
                for (int kk = 0; kk < 32; kk++) {
                    // Element (kk, j) sits at tile row kk / 2, pair position e = 2 j + kk % 2.
                    const int p = kk / 2, e = 2 * j + kk % 2;
                    if (bits == 4) {
                        // Byte b of a 16-byte row: low nibble e = b, high nibble e = b + 16.
                        qs[16 * p + (e & 15)] |= (uint8_t)(q[kk] << (e >= 16 ? 4 : 0));
                    } else {
                        qs[32 * p + e] = (uint8_t)(int8_t)q[kk];
                    }
                }
            }
        }
    return 1;
}

/// The bfloat16 tile (16 rows of 32, `ck_bf16_pack_transposed`'s layout) of a compact tile, in C.
static void ck_compact_tile_portable(const uint8_t *tile, int bits, uint16_t *dst) {
    const float *dv = (const float *)tile, *mv = dv + 16;
    const uint8_t *qs = tile + 128;
    for (int p = 0; p < 16; p++)
        for (int e = 0; e < 32; e++) {
            int q;
            if (bits == 4) q = (qs[16 * p + (e & 15)] >> (e >= 16 ? 4 : 0)) & 15;
            else q = (int8_t)qs[32 * p + e];
            float r = (float)q * dv[e / 2];
            r = r + mv[e / 2];
            uint32_t u;
            memcpy(&u, &r, 4);
            dst[32 * p + e] = (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
        }
}

void ck_compact_unpack_reference(const uint8_t *b, int bits, int k, int n, uint16_t *out) {
    const long tiles = (long)(k / 32) * (n / 16), tb = ck_compact_tile_bytes(bits);
    for (long i = 0; i < tiles; i++) ck_compact_tile_portable(b + i * tb, bits, out + i * 512);
}

#if defined(__x86_64__)
#include <immintrin.h>
// AVX512-BF16 only (no tile instructions): also the AVX512-BF16 path's weight rebuild.
#define CK_AMXC __attribute__((target("avx512f,avx512bf16,avx512vl,avx512bw")))

/// Rebuilds one bfloat16 tile: per tile row, 32 integers -> float32 -> `q * d + m` -> bfloat16.
CK_AMXC static inline void ck_compact_tile_avx512(const uint8_t *tile, int bits, uint16_t *dst) {
    const __m512i lo_idx = _mm512_set_epi32(7, 7, 6, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0);
    const __m512i hi_idx = _mm512_add_epi32(lo_idx, _mm512_set1_epi32(8));
    const __m512 dv = _mm512_loadu_ps((const float *)tile), mv = _mm512_loadu_ps((const float *)tile + 16);
    const __m512 dlo = _mm512_permutexvar_ps(lo_idx, dv), dhi = _mm512_permutexvar_ps(hi_idx, dv);
    const __m512 mlo = _mm512_permutexvar_ps(lo_idx, mv), mhi = _mm512_permutexvar_ps(hi_idx, mv);
    const uint8_t *qs = tile + 128;
    if (bits == 4) {
        const __m128i low4 = _mm_set1_epi8(0x0F);
        for (int p = 0; p < 16; p++) {
            const __m128i x = _mm_loadu_si128((const __m128i *)(qs + 16 * p));
            const __m128i l = _mm_and_si128(x, low4), h = _mm_and_si128(_mm_srli_epi16(x, 4), low4);
            __m512 fl = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(l)), fh = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(h));
            fl = _mm512_add_ps(_mm512_mul_ps(fl, dlo), mlo);
            fh = _mm512_add_ps(_mm512_mul_ps(fh, dhi), mhi);
            _mm512_storeu_si512((__m512i *)(dst + 32 * p), (__m512i)_mm512_cvtne2ps_pbh(fh, fl));
        }
    } else {
        for (int p = 0; p < 16; p++) {
            const __m128i x0 = _mm_loadu_si128((const __m128i *)(qs + 32 * p));
            const __m128i x1 = _mm_loadu_si128((const __m128i *)(qs + 32 * p + 16));
            __m512 fl = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(x0)), fh = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(x1));
            fl = _mm512_add_ps(_mm512_mul_ps(fl, dlo), mlo);
            fh = _mm512_add_ps(_mm512_mul_ps(fh, dhi), mhi);
            _mm512_storeu_si512((__m512i *)(dst + 32 * p), (__m512i)_mm512_cvtne2ps_pbh(fh, fl));
        }
    }
}

void ck_compact_unpack(const uint8_t *b, int bits, int k, int n, uint16_t *out) {
    if (!ck_has_avx512_bf16()) { ck_compact_unpack_reference(b, bits, k, n, out); return; }
    const long tiles = (long)(k / 32) * (n / 16), tb = ck_compact_tile_bytes(bits);
    for (long i = 0; i < tiles; i++) ck_compact_tile_avx512(b + i * tb, bits, out + i * 512);
}

/// Compact tiles prefetched this many tiles ahead (6 KB at 4 bits).
enum { CK_COMPACT_AHEAD = 16 };

/// Rebuilds tiles `first ..< first + count` (in storage order) into `dst`, prefetching the compact
/// data `CK_COMPACT_AHEAD` tiles ahead.
CK_AMXC void ck_compact_tiles(const uint8_t *b, int bits, long first, long count, uint16_t *dst) {
    const long tb = ck_compact_tile_bytes(bits);
    const uint8_t *src = b + first * tb;
    for (long i = 0; i < count; i++) {
        const char *pf = (const char *)(src + (i + CK_COMPACT_AHEAD) * tb);
        for (long l = 0; l < tb; l += 64) _mm_prefetch(pf + l, _MM_HINT_T0);
        ck_compact_tile_avx512(src + i * tb, bits, dst + i * 512);
    }
}

void ck_compact_strips(const uint8_t *b, int bits, int k, int s0, int s1, uint16_t *dst) {
    const long steps = k / 32;
    ck_compact_tiles(b, bits, (long)s0 * steps, (long)(s1 - s0) * steps, dst);
}
#else
void ck_compact_unpack(const uint8_t *b, int bits, int k, int n, uint16_t *out) {
    ck_compact_unpack_reference(b, bits, k, n, out);
}
#endif
