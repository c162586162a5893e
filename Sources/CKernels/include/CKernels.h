// Small-batch matrix kernels of the Model module, in C so they can use AVX2 + FMA (chosen at run
// time) while the Swift code stays built for the baseline x86-64 CPU.
#ifndef FEDHDS_CKERNELS_H
#define FEDHDS_CKERNELS_H

#include <stdint.h>
#include "CKernelsTraining.h"  // the training pass's LoRA kernels (Training.c)

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when this CPU runs the AVX2 + FMA kernels below, else 0 (callers then use cblas).
int ck_has_avx2_fma(void);

/// Columns `n0 ..< n1` of `y[m, n] (+)= sum_k x[m, k] * w[n, k]` (the `y = x W^T` of a linear
/// layer with weight `[N, k]`): `x` is `[m, k]` with row stride `ldx`, `w` has row stride `ldw`,
/// `y` has row stride `ldy`. With `accumulate` 0 `y` is overwritten, else added to.
/// Meant for few rows (decoding): every weight row is read once from memory and reused for all
/// `m` rows while it sits in cache. Requires `ck_has_avx2_fma()`.
void ck_linear_small(const float *x, int m, int k, int ldx, const float *w, int ldw,
                     int n0, int n1, float *y, int ldy, int accumulate);

/// SwiGLU in place: `gate[i] = silu(gate[i]) * up[i]`, `silu(g) = g / (1 + exp(-g))`, with a
/// vectorised exp (relative error about 1e-7). Requires `ck_has_avx2_fma()`.
void ck_silu_mul(float *gate, const float *up, long n);

/// Softmax of `x[0 ..< n]` in place (max-subtracted), vectorised exp. Requires `ck_has_avx2_fma()`.
void ck_softmax(float *x, int n);

/// Causal attention of `n` query rows at positions `past ..< past + n` of one sequence over keys
/// and values at positions `0 ..< past + n` (row `t` of `k` / `v` is position `t`, stride
/// `kv_stride`); query head `h` reads key/value head `h / (heads / kv_heads)`. Row `i` of `q` /
/// `out` starts at `q + i * q_stride` / `out + i * out_stride`, head `h` at column `h * hd`.
/// `scores` is scratch of `4 * (past + n)` floats. Meant for decoding (few rows, one dot product
/// per key). Requires `ck_has_avx2_fma()`. With AVX-512F and head size 64 or 128 it runs
/// `ck_attend_rows_avx512`.
void ck_attend_rows(const float *q, int q_stride, const float *k, const float *v, int kv_stride,
                    int n, int past, int heads, int kv_heads, int hd, float scale,
                    float *out, int out_stride, float *scores);

/// 1 when this CPU has AVX-512F.
int ck_has_avx512f(void);

/// `ck_attend_rows` with AVX-512F for head sizes 64 and 128 (returns 0 without doing anything for
/// other head sizes or without AVX-512F, else 1): the query heads sharing a key/value head are
/// processed together (up to 4 at a time), so each cached key and value row is read once for
/// them, the output accumulators stay in registers, and key/value rows are prefetched ahead.
/// Queries are scaled before the dot products (float32 throughout). `scores`: `4 * (past + n)` floats.
int ck_attend_rows_avx512(const float *q, int q_stride, const float *k, const float *v, int kv_stride,
                          int n, int past, int heads, int kv_heads, int hd, float scale,
                          float *out, int out_stride, float *scores);

// MARK: - bfloat16 products on AMX (Sapphire Rapids and later)
//
// `y (+)= a · b` with `a` and `b` rounded to bfloat16 (8-bit mantissa, round to nearest even) and
// the products summed in float32 by the AMX tile unit. `a` is activations converted per call
// (`ck_bf16_rows`); `b` is a weight packed once (`ck_bf16_pack_transposed` for a linear layer's
// `W^T`, `ck_bf16_pack` for `W`). Layouts: `a` is `[rows16, k32]` row-major (rows padded to a
// multiple of 16, k to 32, zero-filled); packed `b` is `[n16 / 16][k32 / 32]` tiles of 16 x 32
// bfloat16, tile row `p` column `2 j + e` holding `b[32 t + 2 p + e, 16 s + j]` (AMX's pair layout).

/// 1 when this CPU has AMX-TILE, AMX-BF16 and AVX512-BF16 and the kernel granted this process
/// the tile state (arch_prctl), else 0. Callers then use the float32 paths.
int ck_has_amx_bf16(void);

/// Elements (uint16) of `rows x k` activations in `a`'s layout: `ceil16(rows) * ceil32(k)`.
long ck_bf16_rows_count(int rows, int k);

/// Rounds `x[rows, k]` (row stride `ldx`) to bfloat16 in `a`'s layout, zero padding included.
/// AVX512-BF16 where `ck_has_avx512_bf16()`, else portable C with the same results.
void ck_bf16_rows(const float *x, int rows, int k, int ldx, uint16_t *out);

/// Elements (uint16) of a packed `[k, n]` right-hand side: `ceil32(k) * ceil16(n)`.
long ck_bf16_packed_count(int k, int n);

/// Packs `b = w^T` for `w[n, k]` (row stride `ldw`): a linear layer's weight, for `y = x W^T`.
/// Plain C, any CPU.
void ck_bf16_pack_transposed(const float *w, int n, int k, int ldw, uint16_t *out);

/// Packs `b = w` for `w[k, n]` (row stride `ldw`), e.g. for `dx = dy W` in a backward pass.
/// Plain C, any CPU.
void ck_bf16_pack(const float *w, int k, int n, int ldw, uint16_t *out);

/// Columns `n0 ..< n1` of `y[rows, n] (+)= a[rows, k] · b[k, n]` (`a` from `ck_bf16_rows`, `b`
/// packed with `n` columns). `n0` is a multiple of 16; `y` has row stride `ldy`; with
/// `accumulate` 0 `y` is overwritten, else added to. Only `rows x (n0 ..< n1)` of `y` is written.
/// AMX where `ck_has_amx_bf16()`, else portable C (slow; same products, summed in another
/// order). Safe to call from several threads on disjoint columns, or on disjoint 16-aligned rows
/// (pass `a + r0 * ceil32(k)`, `y + r0 * ldy`).
void ck_amx_gemm(const uint16_t *a, int rows, int k, const uint16_t *b, int n, int n0, int n1,
                 float *y, int ldy, int accumulate);

// MARK: - Compact weights for few-row products (decoding)
//
// A packed right-hand side whose every 32-input block of every output column holds values
// `q * d + m` (float32 multiply, then add) with small integers q (what a Q4_1, Q4_0 or Q8_0 GGUF
// weight becomes when dequantised) is stored as those integers (4 bits, q in 0..15, or 8 bits, q in
// -128..127) with one float32 d and m per block: tiles of 32 inputs x 16 outputs in the packed
// order (`ck_packed_index`'s tile order), each 16 d, 16 m, then the integers (4 bits: 16 bytes per
// tile row, low nibbles pair positions 0-15, high nibbles 16-31; 8 bits: 32 bytes per tile row).
// Products rebuild the bfloat16 tiles exactly (results equal `ck_amx_gemm`'s bit for bit) while
// reading 2.7x (4 bits) or 1.6x (8 bits) fewer bytes.

/// Bytes of a compact `[k, n]` right-hand side with `bits` 4 or 8; 0 when the shape cannot be
/// compact (k not a multiple of 32 or n of 16) or `bits` is neither.
long ck_compact_bytes(int k, int n, int bits);

/// Stores `b = w^T` of `w[n, k]` (row stride `ldw`) compactly with `bits` into `out`
/// (`ck_compact_bytes(k, n, bits)` bytes). Returns 1 when every block is exactly `q * d + m`,
/// else 0 (the contents of `out` are then meaningless). Plain C, any CPU.
int ck_compact_pack_transposed(const float *w, int n, int k, int ldw, int bits, uint8_t *out);

/// The bfloat16 packed right-hand side (`ck_bf16_pack_transposed`'s layout, `[k, n]`) a compact
/// one stands for; `_reference` in plain C, the other with AVX-512 where `ck_has_avx512_bf16()`.
void ck_compact_unpack(const uint8_t *b, int bits, int k, int n, uint16_t *out);
void ck_compact_unpack_reference(const uint8_t *b, int bits, int k, int n, uint16_t *out);

/// Rebuilds column strips `s0 ..< s1` (16 outputs each, all of k) of a compact right-hand side in
/// bfloat16 into `dst` (`(s1 - s0) * k / 32` tiles of 512). Requires `ck_has_avx512_bf16()`.
void ck_compact_strips(const uint8_t *b, int bits, int k, int s0, int s1, uint16_t *dst);

/// Rebuilds tiles `first ..< first + count` (storage order: strip-major, 32-deep slices within a
/// strip) in bfloat16 into `dst` (`count` tiles of 512). Requires `ck_has_avx512_bf16()`.
void ck_compact_tiles(const uint8_t *b, int bits, long first, long count, uint16_t *dst);

/// `ck_amx_gemm` with a compact right-hand side: columns `n0 ..< n1` (multiples of 16, or `n1 = n`)
/// of `y[rows, n] (+)= a[rows, k] · b[k, n]`; the same results as `ck_amx_gemm` on the bfloat16
/// packing of the same weight. Each pair of column strips is rebuilt once per call, so it pays
/// when `rows` is small (up to a few tiles). Thread-safe on disjoint columns.
void ck_compact_gemm(const uint16_t *a, int rows, int k, const uint8_t *b, int bits, int n, int n0, int n1,
                     float *y, int ldy, int accumulate);

// MARK: - The bfloat16 kernel paths (AMX, AVX512-BF16, portable C), chosen at run time
//
// Every path computes the same products of the same bfloat16-rounded inputs with float32 sums;
// they differ in summation order (and AVX512-BF16 / AMX flush denormal products to zero), so
// results agree within float32 rounding, not bit for bit. Within one path, a row's result does
// not depend on the batch or the column split, and a compact weight gives the packed one's bits.

enum { CK_BF16_PORTABLE = 0, CK_BF16_AVX512 = 1, CK_BF16_AMX = 2 };

/// 1 when this CPU and OS run AVX-512F/BW/VL and AVX512-BF16 (`vdpbf16ps`), else 0.
int ck_has_avx512_bf16(void);

/// 1 when `path` (a `CK_BF16_*`) runs on this CPU (the portable path always does), else 0.
int ck_bf16_path_available(int path);

/// The fastest path this CPU runs: AMX, else AVX512-BF16, else portable.
int ck_bf16_best_path(void);

/// `ck_amx_gemm` on `path` (the portable product when `path` does not run here). AVX512-BF16:
/// blocks of 6 rows x 64 columns of float32 accumulators, one `vdpbf16ps` per pair of k; any
/// `rows`, `n0` a multiple of 16. Thread-safe on disjoint columns or rows, as `ck_amx_gemm`.
void ck_bf16_gemm(int path, const uint16_t *a, int rows, int k, const uint16_t *b, int n, int n0, int n1,
                  float *y, int ldy, int accumulate);

/// `ck_compact_gemm` on `path` (the portable product when `path` does not run here): the same
/// results as `ck_bf16_gemm` on that path with the bfloat16 packing of the same weight.
void ck_compact_gemm_path(int path, const uint16_t *a, int rows, int k, const uint8_t *b, int bits, int n, int n0,
                          int n1, float *y, int ldy, int accumulate);

/// The portable `ck_compact_gemm`: rebuilds the bfloat16 weight (`ck_compact_unpack_reference`)
/// and runs `ck_amx_gemm_reference`.
void ck_compact_gemm_reference(const uint16_t *a, int rows, int k, const uint8_t *b, int bits, int n, int n0, int n1,
                               float *y, int ldy, int accumulate);

/// The portable C versions of `ck_bf16_rows` and `ck_amx_gemm` on every CPU: the reference the
/// tests hold the AMX path to.
void ck_bf16_rows_reference(const float *x, int rows, int k, int ldx, uint16_t *out);
void ck_amx_gemm_reference(const uint16_t *a, int rows, int k, const uint16_t *b, int n, int n0, int n1,
                           float *y, int ldy, int accumulate);

#ifdef __cplusplus
}
#endif
#endif
