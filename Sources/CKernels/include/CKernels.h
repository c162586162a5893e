// Small-batch matrix kernels of the Model module, in C so they can use AVX2 + FMA (chosen at run
// time) while the Swift code stays built for the baseline x86-64 CPU.
#ifndef FEDHDS_CKERNELS_H
#define FEDHDS_CKERNELS_H

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

#ifdef __cplusplus
}
#endif
#endif
