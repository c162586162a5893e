// cblas_sbgemm (with the activations converted by cblas_sbstobf16) against cblas_sgemm, y = x W^T.
// sbgemm vs sgemm on SmolLM2 shapes, y = x W^T, interleaved.
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(void){
  int rowsList[]={1,8,32,128,1024};
  int shapes[][2]={{576,576},{192,576},{1536,576},{576,1536},{49152,576}};
  printf("openblas config: %s threads %d\n", openblas_get_config(), openblas_get_num_threads());
  for(int si=0;si<5;si++)for(int ri=0;ri<5;ri++){
    int n=shapes[si][0],k=shapes[si][1],m=rowsList[ri];
    if(n==49152&&m>128) continue;
    float*x=malloc(4L*m*k),*w=malloc(4L*n*k),*y=malloc(4L*m*n);
    bfloat16*xb=malloc(2L*m*k),*wb=malloc(2L*n*k);
    for(long i=0;i<(long)m*k;i++)x[i]=rand()/(float)RAND_MAX-0.5f;
    for(long i=0;i<(long)n*k;i++)w[i]=rand()/(float)RAND_MAX-0.5f;
    cblas_sbstobf16(n*k,w,1,wb,1);
    double flops=2.0*m*n*k; int reps=(int)(2e9/flops); if(reps<3)reps=3; if(reps>2000)reps=2000;
    double ts=0,tb=0;
    for(int round=0;round<6;round++){
      double t0=now();
      for(int r=0;r<reps;r++) cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasTrans,m,n,k,1,x,k,w,k,0,y,n);
      double t1=now();
      for(int r=0;r<reps;r++){ cblas_sbstobf16(m*k,x,1,xb,1); cblas_sbgemm(CblasRowMajor,CblasNoTrans,CblasTrans,m,n,k,1,xb,k,wb,k,0,y,n);}
      double t2=now();
      if(round>0){ts+=t1-t0;tb+=t2-t1;}
    }
    printf("m %5d n %5d k %5d  sgemm %7.2f GF/s  sbgemm(+convert) %7.2f GF/s  ratio %.2f\n",m,n,k,flops*reps*5/ts/1e9,flops*reps*5/tb/1e9,ts/tb);
    free(x);free(w);free(y);free(xb);free(wb);
  }
}
