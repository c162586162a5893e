// bfloat16 packing and the AMX product of CKernels.h. Packing is plain C (it runs once per weight
// at load); the row conversion and the product use AVX512-BF16 and AMX, chosen at run time.
#include "CKernels.h"
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

void ck_bf16_rows(const float *x, int rows, int k, int ldx, uint16_t *out) {
    const long k32 = ck_ceil(k, 32), r16 = ck_ceil(rows, 16);
    memset(out, 0, sizeof(uint16_t) * r16 * k32);
    for (int r = 0; r < rows; r++)
        for (int kk = 0; kk < k; kk++) out[r * k32 + kk] = ck_to_bf16(x[(long)r * ldx + kk]);
}

void ck_amx_gemm(const uint16_t *a, int rows, int k, const uint16_t *b, int n, int n0, int n1,
                 float *y, int ldy, int accumulate) {
    (void)n;
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
