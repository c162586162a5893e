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
/// `scores` is scratch of `past + n` floats. Meant for decoding (few rows, one dot product per
/// key). Requires `ck_has_avx2_fma()`.
void ck_attend_rows(const float *q, int q_stride, const float *k, const float *v, int kv_stride,
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
/// AVX512-BF16 where `ck_has_amx_bf16()`, else portable C with the same results.
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

/// The portable C versions of `ck_bf16_rows` and `ck_amx_gemm` on every CPU: the reference the
/// tests hold the AMX path to.
void ck_bf16_rows_reference(const float *x, int rows, int k, int ldx, uint16_t *out);
void ck_amx_gemm_reference(const uint16_t *a, int rows, int k, const uint16_t *b, int n, int n0, int n1,
                           float *y, int ldy, int accumulate);

#ifdef __cplusplus
}
#endif
#endif
