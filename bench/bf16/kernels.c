// ck_bf16_gemm on the AVX512-BF16 path (with the row conversion) against cblas_sgemm, y = x W^T, one thread.
#include "CKernels.h"
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
void openblas_set_num_threads(int);
int main(void){
  openblas_set_num_threads(1);
  int rowsL[]={1,32,256,1024}; int sh[][2]={{576,576},{192,576},{1536,576},{576,1536},{49152,576}};
  for(int si=0;si<5;si++)for(int ri=0;ri<4;ri++){
    int n=sh[si][0],k=sh[si][1],m=rowsL[ri]; if(n==49152&&m>256)continue;
    float*x=malloc(4L*m*k),*w=malloc(4L*n*k),*y=malloc(4L*m*n);
    for(long i=0;i<(long)m*k;i++)x[i]=rand()/(float)RAND_MAX-0.5f; for(long i=0;i<(long)n*k;i++)w[i]=rand()/(float)RAND_MAX-0.5f;
    uint16_t*a=malloc(2*ck_bf16_rows_count(m,k)),*b=malloc(2*ck_bf16_packed_count(k,n)); ck_bf16_pack_transposed(w,n,k,k,b);
    double fl=2.0*m*n*k; int reps=(int)(1e9/fl); if(reps<2)reps=2; if(reps>3000)reps=3000;
    double ts=0,tb=0;
    for(int round=0;round<5;round++){
      double t0=now(); for(int r=0;r<reps;r++) cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasTrans,m,n,k,1,x,k,w,k,0,y,n);
      double t1=now(); for(int r=0;r<reps;r++){ ck_bf16_rows(x,m,k,k,a); ck_bf16_gemm(1,a,m,k,b,n,0,n,y,n,0);} double t2=now();
      if(round){ts+=t1-t0;tb+=t2-t1;}
    }
    printf("m %5d n %5d k %5d  sgemm %6.1f GF/s  avx512-bf16 %6.1f GF/s  speedup %.2fx\n",m,n,k,fl*reps*4/ts/1e9,fl*reps*4/tb/1e9,ts/tb);
    free(x);free(w);free(y);free(a);free(b);
  }
}
