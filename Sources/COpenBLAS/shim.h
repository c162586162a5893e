// OpenBLAS from Debian's libopenblas-dev: CBLAS plus the LAPACK routines we call (Fortran ABI).
#include <cblas.h>

// Symmetric eigen-decomposition (LAPACK, divide and conquer), used by PCA and Kernel PCA.
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
             double *w, double *work, const int *lwork, int *iwork, const int *liwork, int *info);
void ssyevd_(const char *jobz, const char *uplo, const int *n, float *a, const int *lda,
             float *w, float *work, const int *lwork, int *iwork, const int *liwork, int *info);
// Singular value decomposition (LAPACK), used by FlexLoRA-style rank projection and PCA.
void dgesdd_(const char *jobz, const int *m, const int *n, double *a, const int *lda, double *s,
             double *u, const int *ldu, double *vt, const int *ldvt, double *work,
             const int *lwork, int *iwork, int *info);
// QR factorisation and its Q (LAPACK), used by FlexLoRA's low-rank mean (Model/LowRankMean.swift).
void dgeqrf_(const int *m, const int *n, double *a, const int *lda, double *tau, double *work,
             const int *lwork, int *info);
void dorgqr_(const int *m, const int *n, const int *k, double *a, const int *lda, const double *tau,
             double *work, const int *lwork, int *info);
