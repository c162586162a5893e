// bfloat16 packing and the AMX product of CKernels.h. Packing is plain C (it runs once per weight
// at load); the row conversion and the product use AVX512-BF16 and AMX, chosen at run time.
#include "CKernels.h"
#include <stdlib.h>
#include <string.h>

static inline long ck_ceil(long x, long m) { return (x + m - 1) / m * m; }

/// float32 -> bfloat16, round to nearest even; NaN stays NaN (quiet).
static inline uint16_t ck_to_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40);
    return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

static inline float ck_from_bf16(uint16_t b) {
    uint32_t u = (uint32_t)b << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

long ck_bf16_rows_count(int rows, int k) { return ck_ceil(rows, 16) * ck_ceil(k, 32); }

long ck_bf16_packed_count(int k, int n) { return ck_ceil(k, 32) * ck_ceil(n, 16); }

/// Index in the packed layout of element `b[kk, nn]` of a right-hand side with `k32 / 32` tiles
/// per column strip.
static inline long ck_packed_index(int kk, int nn, long k32) {
    long strip = nn / 16, tile = kk / 32;
    return (strip * (k32 / 32) + tile) * 512 + (kk % 32 / 2) * 32 + (nn % 16) * 2 + kk % 2;
}

void ck_bf16_pack_transposed(const float *w, int n, int k, int ldw, uint16_t *out) {
    const long k32 = ck_ceil(k, 32);
    memset(out, 0, sizeof(uint16_t) * ck_bf16_packed_count(k, n));
    for (int nn = 0; nn < n; nn++)
        for (int kk = 0; kk < k; kk++) out[ck_packed_index(kk, nn, k32)] = ck_to_bf16(w[(long)nn * ldw + kk]);
}

void ck_bf16_pack(const float *w, int k, int n, int ldw, uint16_t *out) {
    const long k32 = ck_ceil(k, 32);
    memset(out, 0, sizeof(uint16_t) * ck_bf16_packed_count(k, n));
    for (int kk = 0; kk < k; kk++)
        for (int nn = 0; nn < n; nn++) out[ck_packed_index(kk, nn, k32)] = ck_to_bf16(w[(long)kk * ldw + nn]);
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

static int ck_amx_state;
static pthread_once_t ck_amx_once = PTHREAD_ONCE_INIT;

/// CPUID (leaf 7: AMX-TILE, AMX-BF16, AVX512F; leaf 7.1: AVX512-BF16), then ask Linux for the
/// tile data state (ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA), which it grants per process.
static void ck_amx_probe(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return;
    const int tile = (d >> 24) & 1, bf16 = (d >> 22) & 1, avx512f = (b >> 16) & 1;
    if (!__get_cpuid_count(7, 1, &a, &b, &c, &d)) return;
    const int avx512bf16 = (a >> 5) & 1;
    if (!(tile && bf16 && avx512f && avx512bf16)) return;
    ck_amx_state = syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18 /* XTILEDATA */) == 0;
}

int ck_has_amx_bf16(void) {
    pthread_once(&ck_amx_once, ck_amx_probe);
    return ck_amx_state;
}
#else
int ck_has_amx_bf16(void) { return 0; }
#endif

/// The portable product and row conversion: the reference the AMX path is tested against, and
/// what runs on CPUs without AMX.
static void ck_bf16_rows_portable(const float *x, int rows, int k, int ldx, uint16_t *out) {
    const long k32 = ck_ceil(k, 32), r16 = ck_ceil(rows, 16);
    memset(out, 0, sizeof(uint16_t) * r16 * k32);
    for (int r = 0; r < rows; r++)
        for (int kk = 0; kk < k; kk++) out[r * k32 + kk] = ck_to_bf16(x[(long)r * ldx + kk]);
}

static void ck_gemm_portable(const uint16_t *a, int rows, int k, const uint16_t *b, int n0, int n1,
                             float *y, int ldy, int accumulate) {
    const long k32 = ck_ceil(k, 32);
    for (int r = 0; r < rows; r++)
        for (int nn = n0; nn < n1; nn++) {
            float s = 0;
            for (int kk = 0; kk < k; kk++)
                s += ck_from_bf16(a[r * k32 + kk]) * ck_from_bf16(b[ck_packed_index(kk, nn, k32)]);
            float *o = y + (long)r * ldy + nn;
            *o = accumulate ? *o + s : s;
        }
}

#if defined(__x86_64__)
#include <immintrin.h>
/// Weight tiles prefetched this many k steps ahead.
enum { CK_AHEAD = 4 };
#define CK_AMX __attribute__((target("amx-tile,amx-bf16,avx512f,avx512bf16,avx512vl,avx512bw")))

typedef struct {
    uint8_t palette, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} ck_tile_config;

/// Eight tiles of 16 rows x 64 bytes: C (float32 16 x 16) in 0-3, A (bf16 16 x 32) in 4-5,
/// B (bf16 pairs 16 x 16) in 6-7. Tile configuration is per thread, so every call loads it.
CK_AMX static void ck_tiles_configure(void) {
    ck_tile_config c;
    memset(&c, 0, sizeof c);
    c.palette = 1;
    for (int t = 0; t < 8; t++) { c.rows[t] = 16; c.colsb[t] = 64; }
    _tile_loadconfig(&c);
}

/// AVX512-BF16 only (no tile instructions): runs on every CPU with `ck_has_avx512_bf16()`.
__attribute__((target("avx512f,avx512bf16,avx512vl,avx512bw"))) static void ck_bf16_rows_avx512(const float *x, int rows, int k, int ldx, uint16_t *out) {
    const long k32 = ck_ceil(k, 32), r16 = ck_ceil(rows, 16);
    for (int r = 0; r < rows; r++) {
        const float *src = x + (long)r * ldx;
        uint16_t *dst = out + r * k32;
        int kk = 0;
        for (; kk + 16 <= k; kk += 16)
            _mm256_storeu_si256((__m256i *)(dst + kk), (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(src + kk)));
        if (kk < k) {
            const __mmask16 m = (__mmask16)((1u << (k - kk)) - 1);
            _mm256_storeu_si256((__m256i *)(dst + kk), (__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, src + kk)));
            kk += 16;
        }
        for (; kk < k32; kk++) dst[kk] = 0;
    }
    memset(out + rows * k32, 0, sizeof(uint16_t) * (r16 - rows) * k32);
}

/// C tile `T` of the block at rows `r0`, columns `c0`: loaded from `y` (accumulate) or zeroed
/// before the k loop, stored after it. Edge tiles (rows past `rows`, columns past `n1`) go through
/// `buf` so nothing outside the requested part of `y` is read or written.
#define CK_C_BEGIN(T, r0, c0) do { \
    if (!accumulate) { _tile_zero(T); } \
    else if ((r0) + 16 <= rows && (c0) + 16 <= n1) { _tile_loadd(T, y + (long)(r0) * ldy + (c0), ldy * 4); } \
    else { ck_edge_read(buf[T], y, ldy, r0, c0, rows, n1); _tile_loadd(T, buf[T], 64); } \
} while (0)
#define CK_C_END(T, r0, c0) do { \
    if ((r0) + 16 <= rows && (c0) + 16 <= n1) { _tile_stored(T, y + (long)(r0) * ldy + (c0), ldy * 4); } \
    else { _tile_stored(T, buf[T], 64); ck_edge_write(buf[T], y, ldy, r0, c0, rows, n1); } \
} while (0)

static inline void ck_edge_read(float *buf, const float *y, int ldy, int r0, int c0, int rows, int n1) {
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++)
            buf[i * 16 + j] = (r0 + i < rows && c0 + j < n1) ? y[(long)(r0 + i) * ldy + c0 + j] : 0;
}

static inline void ck_edge_write(const float *buf, float *y, int ldy, int r0, int c0, int rows, int n1) {
    for (int i = 0; i < 16 && r0 + i < rows; i++)
        for (int j = 0; j < 16 && c0 + j < n1; j++) y[(long)(r0 + i) * ldy + c0 + j] = buf[i * 16 + j];
}

/// One block of up to 32 rows (`M2`: two row tiles) by up to 32 columns (`N2`: two column
/// strips, the first at `b0`, strip `sb` of the output, the second right after it), over all of k: per 32-wide step of k, load the A and B tiles and multiply-add each
/// pair into its C tile. `M2` and `N2` are constants at every call site.
CK_AMX static inline __attribute__((always_inline)) void
ck_block(const uint16_t *a, long k32, const uint16_t *b0, int rb, int sb, const int M2, const int N2,
         float *y, int ldy, int rows, int n1, int accumulate, float buf[4][256]) {
    const long steps = k32 / 32, astride = k32 * 2;
    const int r0 = rb * 16, r1 = r0 + 16, c0 = sb * 16, c1 = c0 + 16;
    const uint16_t *a0 = a + (long)r0 * k32, *a1 = a0 + 16 * k32;
    const uint16_t *b1 = b0 + steps * 512;
    CK_C_BEGIN(0, r0, c0);
    if (N2) CK_C_BEGIN(1, r0, c1);
    if (M2) CK_C_BEGIN(2, r1, c0);
    if (M2 && N2) CK_C_BEGIN(3, r1, c1);
    for (long t = 0; t < steps; t++) {
        // The next steps' weight tiles are streamed from memory ahead of use (16 cache lines per tile).
        const char *pb0 = (const char *)(b0 + (t + CK_AHEAD) * 512), *pb1 = (const char *)(b1 + (t + CK_AHEAD) * 512);
        for (int l = 0; l < 1024; l += 64) {
            _mm_prefetch(pb0 + l, _MM_HINT_T0);
            if (N2) _mm_prefetch(pb1 + l, _MM_HINT_T0);
        }
        _tile_loadd(4, a0 + t * 32, astride);
        _tile_loadd(6, b0 + t * 512, 64);
        _tile_dpbf16ps(0, 4, 6);
        if (N2) { _tile_loadd(7, b1 + t * 512, 64); _tile_dpbf16ps(1, 4, 7); }
        if (M2) { _tile_loadd(5, a1 + t * 32, astride); _tile_dpbf16ps(2, 5, 6); }
        if (M2 && N2) _tile_dpbf16ps(3, 5, 7);
    }
    CK_C_END(0, r0, c0);
    if (N2) CK_C_END(1, r0, c1);
    if (M2) CK_C_END(2, r1, c0);
    if (M2 && N2) CK_C_END(3, r1, c1);
}

/// Row tiles `rc ..< rcEnd` (in pairs) times column strip `sb` (and `sb + 1` with `twoN`) at `bs`.
CK_AMX static inline __attribute__((always_inline)) void
ck_row_blocks(const uint16_t *a, long k32, const uint16_t *bs, int rc, int rcEnd, int sb, int twoN,
              float *y, int ldy, int rows, int n1, int accumulate, float buf[4][256]) {
    for (int rb = rc; rb < rcEnd; rb += 2) {
        const int twoM = rb + 1 < rcEnd;
        if (twoM && twoN) ck_block(a, k32, bs, rb, sb, 1, 1, y, ldy, rows, n1, accumulate, buf);
        else if (twoM) ck_block(a, k32, bs, rb, sb, 1, 0, y, ldy, rows, n1, accumulate, buf);
        else if (twoN) ck_block(a, k32, bs, rb, sb, 0, 1, y, ldy, rows, n1, accumulate, buf);
        else ck_block(a, k32, bs, rb, sb, 0, 0, y, ldy, rows, n1, accumulate, buf);
    }
}

/// Rows go in chunks whose bf16 activations (about 256 KB) stay in L2 while every column strip of
/// `b` passes over them; within a chunk, blocks of 32 x 32 outputs.
CK_AMX static void ck_gemm_amx(const uint16_t *a, int rows, int k, const uint16_t *b, int n0, int n1,
                               float *y, int ldy, int accumulate) {
    const long k32 = ck_ceil(k, 32);
    const int rowTiles = (rows + 15) / 16, s0 = n0 / 16, s1 = (n1 + 15) / 16;
    int chunk = (int)((256 * 1024) / (32 * k32)) & ~1;
    if (chunk < 2) chunk = 2;
    float buf[4][256];
    ck_tiles_configure();
    for (int rc = 0; rc < rowTiles; rc += chunk) {
        const int rcEnd = rc + chunk < rowTiles ? rc + chunk : rowTiles;
        for (int sb = s0; sb < s1; sb += 2) {
            const int twoN = sb + 1 < s1;
            ck_row_blocks(a, k32, b + (long)sb * (k32 / 32) * 512, rc, rcEnd, sb, twoN, y, ldy, rows, n1, accumulate, buf);
        }
    }
    _tile_release();
}

/// Up to 32 rows over a compact right-hand side: per pair of column strips, the C tiles stay on
/// the tile unit over all of k while the weight tiles are rebuilt `CK_CHUNK` 32-deep slices at a
/// time into a small buffer that stays in L1, then multiplied (the same order of products as
/// `ck_block`, so the same results).
enum { CK_CHUNK = 8 };
CK_AMX static void ck_compact_gemm_small(const uint16_t *a, int rows, int k, const uint8_t *b, int bits, int n0,
                                         int n1, float *y, int ldy, int accumulate) {
    const long k32 = k, steps = k / 32, astride = k32 * 2;
    const int s0 = n0 / 16, s1 = (n1 + 15) / 16, twoM = rows > 16;
    _Alignas(64) uint16_t tmp[2][CK_CHUNK][512];
    float buf[4][256];
    const uint16_t *a0 = a, *a1 = a + 16 * k32;
    ck_tiles_configure();
    for (int sb = s0; sb < s1; sb += 2) {
        const int twoN = sb + 1 < s1, r0 = 0, r1 = 16, c0 = sb * 16, c1 = c0 + 16;
        CK_C_BEGIN(0, r0, c0);
        if (twoN) CK_C_BEGIN(1, r0, c1);
        if (twoM) CK_C_BEGIN(2, r1, c0);
        if (twoM && twoN) CK_C_BEGIN(3, r1, c1);
        for (long t0 = 0; t0 < steps; t0 += CK_CHUNK) {
            const long tn = steps - t0 < CK_CHUNK ? steps - t0 : CK_CHUNK;
            ck_compact_tiles(b, bits, (long)sb * steps + t0, tn, tmp[0][0]);
            if (twoN) ck_compact_tiles(b, bits, (long)(sb + 1) * steps + t0, tn, tmp[1][0]);
            for (long i = 0; i < tn; i++) {
                const long t = t0 + i;
                _tile_loadd(4, a0 + t * 32, astride);
                _tile_loadd(6, tmp[0][i], 64);
                _tile_dpbf16ps(0, 4, 6);
                if (twoN) { _tile_loadd(7, tmp[1][i], 64); _tile_dpbf16ps(1, 4, 7); }
                if (twoM) { _tile_loadd(5, a1 + t * 32, astride); _tile_dpbf16ps(2, 5, 6); }
                if (twoM && twoN) _tile_dpbf16ps(3, 5, 7);
            }
        }
        CK_C_END(0, r0, c0);
        if (twoN) CK_C_END(1, r0, c1);
        if (twoM) CK_C_END(2, r1, c0);
        if (twoM && twoN) CK_C_END(3, r1, c1);
    }
    _tile_release();
}

/// `ck_gemm_amx` over a compact right-hand side (`ck_compact_pack_transposed`, k a multiple of 32):
/// each pair of column strips is rebuilt in bfloat16 (`ck_compact_strips`, the same values as
/// `ck_bf16_pack_transposed` gives) into a local buffer, then multiplied as there.
CK_AMX static void ck_compact_gemm_amx(const uint16_t *a, int rows, int k, const uint8_t *b, int bits, int n0, int n1,
                                       float *y, int ldy, int accumulate) {
    const long k32 = k, steps = k / 32;
    const int rowTiles = (rows + 15) / 16, s0 = n0 / 16, s1 = (n1 + 15) / 16;
    uint16_t *tmp = aligned_alloc(64, sizeof(uint16_t) * 2 * steps * 512);
    if (!tmp) return;
    float buf[4][256];
    ck_tiles_configure();
    for (int sb = s0; sb < s1; sb += 2) {
        const int twoN = sb + 1 < s1;
        ck_compact_strips(b, bits, k, sb, sb + 1 + twoN, tmp);
        ck_row_blocks(a, k32, tmp, 0, rowTiles, sb, twoN, y, ldy, rows, n1, accumulate, buf);
    }
    _tile_release();
    free(tmp);
}
#endif

void ck_bf16_rows(const float *x, int rows, int k, int ldx, uint16_t *out) {
#if defined(__x86_64__)
    if (ck_has_avx512_bf16()) { ck_bf16_rows_avx512(x, rows, k, ldx, out); return; }
#endif
    ck_bf16_rows_portable(x, rows, k, ldx, out);
}

void ck_amx_gemm(const uint16_t *a, int rows, int k, const uint16_t *b, int n, int n0, int n1,
                 float *y, int ldy, int accumulate) {
    (void)n;
    if (rows <= 0 || n0 >= n1) return;
#if defined(__x86_64__)
    if (ck_has_amx_bf16()) { ck_gemm_amx(a, rows, k, b, n0, n1, y, ldy, accumulate); return; }
#endif
    ck_gemm_portable(a, rows, k, b, n0, n1, y, ldy, accumulate);
}

void ck_compact_gemm(const uint16_t *a, int rows, int k, const uint8_t *b, int bits, int n, int n0, int n1,
                     float *y, int ldy, int accumulate) {
    if (rows <= 0 || n0 >= n1) return;
#if defined(__x86_64__)
    if (ck_has_amx_bf16()) {
        if (rows <= 32) ck_compact_gemm_small(a, rows, k, b, bits, n0, n1, y, ldy, accumulate);
        else ck_compact_gemm_amx(a, rows, k, b, bits, n0, n1, y, ldy, accumulate);
        return;
    }
#endif
    ck_compact_gemm_reference(a, rows, k, b, bits, n, n0, n1, y, ldy, accumulate);
}

/// Rebuilds the bfloat16 weight and runs the portable product (tests, and CPUs without AVX512-BF16).
void ck_compact_gemm_reference(const uint16_t *a, int rows, int k, const uint8_t *b, int bits, int n, int n0, int n1,
                               float *y, int ldy, int accumulate) {
    if (rows <= 0 || n0 >= n1) return;
    uint16_t *full = malloc(sizeof(uint16_t) * ck_bf16_packed_count(k, n));
    if (!full) return;
    ck_compact_unpack_reference(b, bits, k, n, full);
    ck_gemm_portable(a, rows, k, full, n0, n1, y, ldy, accumulate);
    free(full);
}

/// The portable kernels, callable whatever the CPU (tests compare the AMX path against them).
void ck_bf16_rows_reference(const float *x, int rows, int k, int ldx, uint16_t *out) {
    ck_bf16_rows_portable(x, rows, k, ldx, out);
}

void ck_amx_gemm_reference(const uint16_t *a, int rows, int k, const uint16_t *b, int n, int n0, int n1,
                           float *y, int ldy, int accumulate) {
    (void)n;
    ck_gemm_portable(a, rows, k, b, n0, n1, y, ldy, accumulate);
}
