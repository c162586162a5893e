// Byte-level kernels of the Transport module, in C so they can use AVX-512 (chosen at run time)
// while the Swift code stays built for the baseline x86-64 CPU.
#ifndef FEDHDS_CWIRE_H
#define FEDHDS_CWIRE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Copies `n` float32 values from `src` (any alignment) to `dst` and returns 1 when all of them
/// are finite, 0 when any is a NaN or an infinity (`dst` then still holds the full copy). A value
/// is not finite when its exponent bits are all ones, i.e. when `(bits & 0x7fffffff) + 0x00800000`
/// reaches bit 31; the kernel ORs that over every value while copying, so a frame is copied and
/// checked in one pass over memory.
int cw_copy_finite_f32(const void *src, float *dst, size_t n);

#ifdef __cplusplus
}
#endif

#endif
