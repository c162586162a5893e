#include "CWire.h"
#include <stdint.h>
#include <string.h>

#define CW_MAGNITUDE 0x7fffffffu
#define CW_CARRY 0x00800000u

/// The portable loop: 16 lanes of the test at a time, which compilers vectorise for SSE2.
static int cw_copy_finite_portable(const unsigned char *src, unsigned char *dst, size_t n) {
    uint32_t acc[16] = {0};
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        uint32_t w[16];
        memcpy(w, src + 4 * i, sizeof w);
        memcpy(dst + 4 * i, w, sizeof w);
        for (int l = 0; l < 16; l++) acc[l] |= (w[l] & CW_MAGNITUDE) + CW_CARRY;
    }
    uint32_t any = 0;
    for (int l = 0; l < 16; l++) any |= acc[l];
    for (; i < n; i++) {
        uint32_t w;
        memcpy(&w, src + 4 * i, 4);
        memcpy(dst + 4 * i, &w, 4);
        any |= (w & CW_MAGNITUDE) + CW_CARRY;
    }
    return (any & 0x80000000u) == 0;
}

#if defined(__x86_64__)
#include <immintrin.h>

static int cw_has_avx512(void) {
    static int state = -1;
    if (state < 0) {
        __builtin_cpu_init();
        state = __builtin_cpu_supports("avx512f");
    }
    return state;
}

/// 64 values (four 64-byte lines) per step, unaligned loads and stores.
__attribute__((target("avx512f")))
static int cw_copy_finite_avx512(const unsigned char *src, unsigned char *dst, size_t n) {
    const __m512i magnitude = _mm512_set1_epi32((int)CW_MAGNITUDE), carry = _mm512_set1_epi32((int)CW_CARRY);
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        const unsigned char *s = src + 4 * i;
        unsigned char *d = dst + 4 * i;
        const __m512i v0 = _mm512_loadu_si512(s), v1 = _mm512_loadu_si512(s + 64);
        const __m512i v2 = _mm512_loadu_si512(s + 128), v3 = _mm512_loadu_si512(s + 192);
        _mm512_storeu_si512(d, v0);
        _mm512_storeu_si512(d + 64, v1);
        _mm512_storeu_si512(d + 128, v2);
        _mm512_storeu_si512(d + 192, v3);
        a0 = _mm512_or_si512(a0, _mm512_add_epi32(_mm512_and_si512(v0, magnitude), carry));
        a1 = _mm512_or_si512(a1, _mm512_add_epi32(_mm512_and_si512(v1, magnitude), carry));
        a2 = _mm512_or_si512(a2, _mm512_add_epi32(_mm512_and_si512(v2, magnitude), carry));
        a3 = _mm512_or_si512(a3, _mm512_add_epi32(_mm512_and_si512(v3, magnitude), carry));
    }
    const __m512i all = _mm512_or_si512(_mm512_or_si512(a0, a1), _mm512_or_si512(a2, a3));
    const int finite = _mm512_test_epi32_mask(all, _mm512_set1_epi32((int)0x80000000u)) == 0;
    return finite & cw_copy_finite_portable(src + 4 * i, dst + 4 * i, n - i);
}
#endif

int cw_copy_finite_f32(const void *src, float *dst, size_t n) {
#if defined(__x86_64__)
    if (cw_has_avx512()) return cw_copy_finite_avx512(src, (unsigned char *)dst, n);
#endif
    return cw_copy_finite_portable(src, (unsigned char *)dst, n);
}
