// The bfloat16 products of CKernels.h on AVX512-BF16 (`vdpbf16ps`): Intel Cooper Lake, Sapphire
// Rapids and later, AMD Zen 4 and later. They read the same packed layout as the AMX path: a tile
// row of a packed right-hand side is 16 columns x one pair of k, 64 bytes, exactly what one
// `vdpbf16ps` multiplies by a broadcast pair of activations. Every output is one float32 sum,
// pair after pair of k in order, whatever the blocking, the row count or the column range, so a
// row's result does not depend on its batch and the compact weights give the same bits as the
// packed ones.
#include "CKernels.h"
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#include <pthread.h>

static int ck_bf16_avx512_state;
static pthread_once_t ck_bf16_avx512_once = PTHREAD_ONCE_INIT;

static void ck_bf16_avx512_probe(void) {
    __builtin_cpu_init();
    ck_bf16_avx512_state = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bf16");
}

int ck_has_avx512_bf16(void) {
    pthread_once(&ck_bf16_avx512_once, ck_bf16_avx512_probe);
    return ck_bf16_avx512_state;
}

#define CK_BF16 __attribute__((target("avx512f,avx512bf16,avx512vl,avx512bw")))

/// Rows per register block and column strips (16 columns) per block: 6 x 4 accumulators, 4 weight
/// vectors and a broadcast fit the 32 registers.
enum { CK_MR = 6, CK_NS = 4 };

/// `MR` rows (`a`, row stride `k32`) times `NS` strips (`b`, strip stride `sstride` elements) over
/// `pairs` pairs of k, into `y` at columns `c0 ..`; the last strip's columns are masked by `last`.
CK_BF16 static inline __attribute__((always_inline)) void
ck_dp_block(const uint16_t *a, long k32, const uint16_t *b, long sstride, long pairs, const int MR, const int NS,
            float *y, int ldy, int c0, __mmask16 last, int accumulate) {
    __m512 acc[CK_MR][CK_NS];
    for (int r = 0; r < MR; r++)
        for (int s = 0; s < NS; s++) {
            const __mmask16 m = s == NS - 1 ? last : 0xffff;
            acc[r][s] = accumulate ? _mm512_maskz_loadu_ps(m, y + (long)r * ldy + c0 + 16 * s) : _mm512_setzero_ps();
        }
    for (long q = 0; q < pairs; q++) {
        __m512bh bv[CK_NS];
        for (int s = 0; s < NS; s++) bv[s] = (__m512bh)_mm512_loadu_si512((const void *)(b + s * sstride + q * 32));
        for (int r = 0; r < MR; r++) {
            uint32_t pair;
            memcpy(&pair, a + r * k32 + 2 * q, 4);
            const __m512bh av = (__m512bh)_mm512_set1_epi32((int)pair);
            for (int s = 0; s < NS; s++) acc[r][s] = _mm512_dpbf16_ps(acc[r][s], av, bv[s]);
        }
    }
    for (int r = 0; r < MR; r++)
        for (int s = 0; s < NS; s++) {
            const __mmask16 m = s == NS - 1 ? last : 0xffff;
            _mm512_mask_storeu_ps(y + (long)r * ldy + c0 + 16 * s, m, acc[r][s]);
        }
}

#define CK_DP_ROWS(NS) do { \
    switch (mr) { \
    case 6: ck_dp_block(ar, k32, bs, sstride, pairs, 6, NS, yr, ldy, c0, last, accumulate); break; \
    case 5: ck_dp_block(ar, k32, bs, sstride, pairs, 5, NS, yr, ldy, c0, last, accumulate); break; \
    case 4: ck_dp_block(ar, k32, bs, sstride, pairs, 4, NS, yr, ldy, c0, last, accumulate); break; \
    case 3: ck_dp_block(ar, k32, bs, sstride, pairs, 3, NS, yr, ldy, c0, last, accumulate); break; \
    case 2: ck_dp_block(ar, k32, bs, sstride, pairs, 2, NS, yr, ldy, c0, last, accumulate); break; \
    default: ck_dp_block(ar, k32, bs, sstride, pairs, 1, NS, yr, ldy, c0, last, accumulate); break; \
    } \
} while (0)

/// Rows `0 ..< rows` times columns `n0 ..< n1` (`n0` a multiple of 16) of a right-hand side whose
/// strip `s` starts at `b + (s - sb) * sstride` (`sb = n0 / 16`): per group of `CK_NS` strips, every
/// block of `CK_MR` rows, over all of k.
CK_BF16 static void ck_dp_strips(const uint16_t *a, int rows, long k32, const uint16_t *b, long sstride, int n0, int n1,
                                 float *y, int ldy, int accumulate) {
    const long pairs = k32 / 2;
    for (int c = n0; c < n1; c += 16 * CK_NS) {
        const int cols = n1 - c < 16 * CK_NS ? n1 - c : 16 * CK_NS;
        const int ns = (cols + 15) / 16, tail = cols - 16 * (ns - 1);
        const __mmask16 last = (__mmask16)(tail == 16 ? 0xffff : (1u << tail) - 1);
        const uint16_t *bs = b + (long)(c - n0) / 16 * sstride;
        const int c0 = c;
        for (int r = 0; r < rows; r += CK_MR) {
            const int mr = rows - r < CK_MR ? rows - r : CK_MR;
            const uint16_t *ar = a + (long)r * k32;
            float *yr = y + (long)r * ldy;
            switch (ns) {
            case 4: CK_DP_ROWS(4); break;
            case 3: CK_DP_ROWS(3); break;
            case 2: CK_DP_ROWS(2); break;
            default: CK_DP_ROWS(1); break;
            }
        }
    }
}

/// Rows per chunk: the chunk's bfloat16 activations (about 128 KB) stay in L2 while the weight
/// columns pass over them.
static inline int ck_dp_chunk(long k32) {
    int chunk = (int)((128 * 1024) / (2 * k32)) / CK_MR * CK_MR;
    return chunk < CK_MR ? CK_MR : chunk;
}

CK_BF16 static void ck_gemm_avx512(const uint16_t *a, int rows, int k, const uint16_t *b, int n0, int n1,
                                   float *y, int ldy, int accumulate) {
    const long k32 = (k + 31) / 32 * 32, sstride = k32 * 16;
    const int chunk = ck_dp_chunk(k32);
    for (int r = 0; r < rows; r += chunk) {
        const int rc = rows - r < chunk ? rows - r : chunk;
        ck_dp_strips(a + (long)r * k32, rc, k32, b + (long)(n0 / 16) * sstride, sstride, n0, n1, y + (long)r * ldy, ldy,
                     accumulate);
    }
}

/// Few rows (`MR` up to 3: a decoding step) times `NS` strips of a compact right-hand side, fused:
/// each tile row of the weight is rebuilt in a register (`q * d + m` in float32, rounded to
/// bfloat16: the values `ck_compact_tiles` gives) and multiplied at once, so the weight is read
/// once from memory and never written back. The same products in the same order as `ck_dp_block`
/// on the rebuilt weight, so the same bits.
CK_BF16 static inline __attribute__((always_inline)) void
ck_cdp_block(const uint16_t *a, long k32, const uint8_t *b, const int bits, long steps, long s0, const int MR,
             const int NS, float *y, int ldy, int c0, __mmask16 last, int accumulate) {
    const long tb = 128 + (bits == 4 ? 256 : 512);
    const __m512i lo_idx = _mm512_set_epi32(7, 7, 6, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0);
    const __m512i hi_idx = _mm512_add_epi32(lo_idx, _mm512_set1_epi32(8));
    const __m128i low4 = _mm_set1_epi8(0x0F);
    __m512 acc[3][CK_NS];
    for (int r = 0; r < MR; r++)
        for (int s = 0; s < NS; s++) {
            const __mmask16 m = s == NS - 1 ? last : 0xffff;
            acc[r][s] = accumulate ? _mm512_maskz_loadu_ps(m, y + (long)r * ldy + c0 + 16 * s) : _mm512_setzero_ps();
        }
    for (long t = 0; t < steps; t++) {
        const uint8_t *tile[CK_NS];
        __m512 dlo[CK_NS], dhi[CK_NS], mlo[CK_NS], mhi[CK_NS];
        for (int s = 0; s < NS; s++) {
            tile[s] = b + ((s0 + s) * steps + t) * tb;
            const char *pf = (const char *)(tile[s] + 4 * tb);
            for (long l = 0; l < tb; l += 64) _mm_prefetch(pf + l, _MM_HINT_T0);
            const __m512 dv = _mm512_loadu_ps((const float *)tile[s]), mv = _mm512_loadu_ps((const float *)tile[s] + 16);
            dlo[s] = _mm512_permutexvar_ps(lo_idx, dv);
            dhi[s] = _mm512_permutexvar_ps(hi_idx, dv);
            mlo[s] = _mm512_permutexvar_ps(lo_idx, mv);
            mhi[s] = _mm512_permutexvar_ps(hi_idx, mv);
        }
        for (int p = 0; p < 16; p++) {
            __m512bh bv[CK_NS];
            for (int s = 0; s < NS; s++) {
                const uint8_t *qs = tile[s] + 128;
                __m512 fl, fh;
                if (bits == 4) {
                    const __m128i x = _mm_loadu_si128((const __m128i *)(qs + 16 * p));
                    const __m128i l = _mm_and_si128(x, low4), h = _mm_and_si128(_mm_srli_epi16(x, 4), low4);
                    fl = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(l));
                    fh = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(h));
                } else {
                    fl = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(qs + 32 * p))));
                    fh = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(qs + 32 * p + 16))));
                }
                fl = _mm512_add_ps(_mm512_mul_ps(fl, dlo[s]), mlo[s]);
                fh = _mm512_add_ps(_mm512_mul_ps(fh, dhi[s]), mhi[s]);
                bv[s] = _mm512_cvtne2ps_pbh(fh, fl);
            }
            for (int r = 0; r < MR; r++) {
                uint32_t pair;
                memcpy(&pair, a + r * k32 + t * 32 + 2 * p, 4);
                const __m512bh av = (__m512bh)_mm512_set1_epi32((int)pair);
                for (int s = 0; s < NS; s++) acc[r][s] = _mm512_dpbf16_ps(acc[r][s], av, bv[s]);
            }
        }
    }
    for (int r = 0; r < MR; r++)
        for (int s = 0; s < NS; s++) {
            const __mmask16 m = s == NS - 1 ? last : 0xffff;
            _mm512_mask_storeu_ps(y + (long)r * ldy + c0 + 16 * s, m, acc[r][s]);
        }
}

#define CK_CDP(BITS, MR) do { \
    switch (ns) { \
    case 4: ck_cdp_block(a, k32, b, BITS, steps, c / 16, MR, 4, y, ldy, c, last, accumulate); break; \
    case 3: ck_cdp_block(a, k32, b, BITS, steps, c / 16, MR, 3, y, ldy, c, last, accumulate); break; \
    case 2: ck_cdp_block(a, k32, b, BITS, steps, c / 16, MR, 2, y, ldy, c, last, accumulate); break; \
    default: ck_cdp_block(a, k32, b, BITS, steps, c / 16, MR, 1, y, ldy, c, last, accumulate); break; \
    } \
} while (0)

/// Rows fewer than `CK_FUSED_ROWS` take the fused kernel; more rebuild the weight once into a
/// buffer shared by all rows.
enum { CK_FUSED_ROWS = 4 };

CK_BF16 static void ck_compact_gemv_avx512(const uint16_t *a, int rows, int k, const uint8_t *b, int bits, int n0, int n1,
                                           float *y, int ldy, int accumulate) {
    const long k32 = k, steps = k / 32;
    for (int c = n0; c < n1; c += 16 * CK_NS) {
        const int cols = n1 - c < 16 * CK_NS ? n1 - c : 16 * CK_NS;
        const int ns = (cols + 15) / 16, tail = cols - 16 * (ns - 1);
        const __mmask16 last = (__mmask16)(tail == 16 ? 0xffff : (1u << tail) - 1);
        if (bits == 4) {
            if (rows == 1) CK_CDP(4, 1); else if (rows == 2) CK_CDP(4, 2); else CK_CDP(4, 3);
        } else {
            if (rows == 1) CK_CDP(8, 1); else if (rows == 2) CK_CDP(8, 2); else CK_CDP(8, 3);
        }
    }
}

/// The compact right-hand side: each group of `CK_NS` strips is rebuilt in bfloat16 (all of k,
/// `ck_compact_tiles`, the values `ck_bf16_pack_transposed` gives) into a buffer that stays in L2,
/// then multiplied as the packed one.
CK_BF16 static void ck_compact_gemm_avx512(const uint16_t *a, int rows, int k, const uint8_t *b, int bits, int n0, int n1,
                                           float *y, int ldy, int accumulate) {
    const long k32 = k, steps = k / 32, sstride = k32 * 16;
    uint16_t *tmp = aligned_alloc(64, sizeof(uint16_t) * CK_NS * sstride);
    if (!tmp) return;
    for (int c = n0; c < n1; c += 16 * CK_NS) {
        const int c1 = n1 - c < 16 * CK_NS ? n1 : c + 16 * CK_NS;
        const int s0 = c / 16, s1 = (c1 + 15) / 16;
        ck_compact_tiles(b, bits, (long)s0 * steps, (long)(s1 - s0) * steps, tmp);
        ck_dp_strips(a, rows, k32, tmp, sstride, c, c1, y, ldy, accumulate);
    }
    free(tmp);
}
#else
int ck_has_avx512_bf16(void) { return 0; }
#endif

int ck_bf16_path_available(int path) {
    switch (path) {
    case CK_BF16_PORTABLE: return 1;
    case CK_BF16_AVX512: return ck_has_avx512_bf16();
    case CK_BF16_AMX: return ck_has_amx_bf16();
    default: return 0;
    }
}

int ck_bf16_best_path(void) {
    if (ck_has_amx_bf16()) return CK_BF16_AMX;
    if (ck_has_avx512_bf16()) return CK_BF16_AVX512;
    return CK_BF16_PORTABLE;
}

void ck_bf16_gemm(int path, const uint16_t *a, int rows, int k, const uint16_t *b, int n, int n0, int n1,
                  float *y, int ldy, int accumulate) {
    if (rows <= 0 || n0 >= n1) return;
#if defined(__x86_64__)
    if (path == CK_BF16_AVX512 && ck_has_avx512_bf16()) { ck_gemm_avx512(a, rows, k, b, n0, n1, y, ldy, accumulate); return; }
    if (path == CK_BF16_AMX && ck_has_amx_bf16()) { ck_amx_gemm(a, rows, k, b, n, n0, n1, y, ldy, accumulate); return; }
#endif
    ck_amx_gemm_reference(a, rows, k, b, n, n0, n1, y, ldy, accumulate);
}

void ck_compact_gemm_path(int path, const uint16_t *a, int rows, int k, const uint8_t *b, int bits, int n, int n0, int n1,
                          float *y, int ldy, int accumulate) {
    if (rows <= 0 || n0 >= n1) return;
#if defined(__x86_64__)
    if (path == CK_BF16_AVX512 && ck_has_avx512_bf16()) {
        if (rows < CK_FUSED_ROWS) ck_compact_gemv_avx512(a, rows, k, b, bits, n0, n1, y, ldy, accumulate);
        else ck_compact_gemm_avx512(a, rows, k, b, bits, n0, n1, y, ldy, accumulate);
        return;
    }
    if (path == CK_BF16_AMX && ck_has_amx_bf16()) { ck_compact_gemm(a, rows, k, b, bits, n, n0, n1, y, ldy, accumulate); return; }
#endif
    ck_compact_gemm_reference(a, rows, k, b, bits, n, n0, n1, y, ldy, accumulate);
}
