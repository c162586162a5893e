// Rank-r LoRA kernels of the training pass: the low-rank products and their gradients with the
// dropout mask drawn inside the loops (never stored), AVX-512 where the CPU has it (chosen at run
// time), else portable C with the same mask and the same products (summed in another order).
#ifndef FEDHDS_CKERNELS_TRAINING_H
#define FEDHDS_CKERNELS_TRAINING_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A LoRA dropout mask over a `[rows, cols]` input: element (row, c) is dropped when 16-bit lane
/// `c % 4` of SplitMix64 draw number `row * ceil(cols / 4) + c / 4` of the stream seeded with
/// `seed` (draw k is mix(seed + (k + 1) * 0x9E3779B97F4A7C15)) is below `threshold`; a kept
/// element is multiplied by `keep_scale`. `threshold` 0 with `keep_scale` 1 is no dropout.
typedef struct {
    uint64_t seed;
    uint32_t threshold;
    float keep_scale;
    int cols;
} ck_dropout;

/// 1 when the AVX-512 versions run on this CPU.
int ck_training_has_avx512(void);

/// The mask factors (0 or keep_scale) of stream rows `row0 ..< row0 + rows`, columns `c0 ..< c1`
/// (`c0` a multiple of 4) into `f` (row stride `ldf`).
void ck_dropout_factors(const ck_dropout *drop, long row0, int rows, int c0, int c1, float *f, int ldf);

/// `u[i, j] = alpha * sum_c (mask ⊙ x)[i, c] * w[j, c]` for `i < rows`, `j < r`, `c < cols`;
/// `x` row stride `ldx`, `w` `[r, cols]` row stride `ldw`, `u` row stride `ldu` (overwritten).
/// Row `i` is stream row `row0 + i` of `drop` (NULL: no mask).
void ck_lora_rows_dot(const float *x, int ldx, int rows, int cols, const float *w, int ldw, int r, float alpha,
                      const ck_dropout *drop, long row0, float *u, int ldu);

/// `y[i, c] += alpha * sum_j d[i, j] * w[j, c]` for `i < rows`, `c0 <= c < c1`: `d` `[rows, r]`
/// (row stride `ldd`), `w` `[r, *]` (row stride `ldw`), `y` row stride `ldy`.
void ck_lora_rows_axpy(const float *d, int ldd, int rows, int r, float alpha, const float *w, int ldw,
                       int c0, int c1, float *y, int ldy);

/// `g[j, c] += alpha * sum_i d[i, j] * x[i, c]` for `j < r`, `c0 <= c < c1`, `i < rows`: the
/// gradient of a `[r, cols]` factor (`g` row stride `ldg`), `x` row stride `ldx`.
void ck_lora_outer(const float *d, int ldd, int rows, int r, float alpha, const float *x, int ldx,
                   int c0, int c1, float *g, int ldg);

/// Backward of `u = (mask ⊙ x) a^T` on columns `c0 ..< c1` (`c0` a multiple of 4) given `du`
/// `[rows, r]`: `grad_a[j, c] += sum_i du[i, j] * (mask ⊙ x)[i, c]` (grad_a NULL: skipped) and
/// `dx[i, c] += mask[i, c] * sum_j du[i, j] * a[j, c]` (dx NULL: skipped). Row `i` is stream row
/// `row0 + i` of `drop` (NULL: no mask). `a`, `grad_a` are `[r, cols]` with row stride `lda`.
void ck_lora_down_backward(const float *x, int ldx, int rows, const float *a, int lda, int r,
                           const float *du, int lddu, const ck_dropout *drop, long row0, int c0, int c1,
                           float *grad_a, float *dx, int lddx);

#ifdef __cplusplus
}
#endif

#endif
