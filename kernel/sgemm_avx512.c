//go:build cgo && !purego

// float32 GEMM on AVX-512F in the Goto/BLIS blocking of gemm_go.go, with
// the two inner loops swapped so that the smaller micro-panel, of op(A),
// stays in L1 and a B panel streams from L2:
//
//	for jc (NC columns of C)      pack op(B) block KC×NC (L2)
//	  for pc (KC of the k sum)
//	    for ic (MC rows of C)     pack op(A) block MC×KC
//	      for ir, jr              C[ir:ir+MR, jr:jr+NR] (+)= alpha·Ã_ir·B̃_jr, Ã panel MR×KC (L1)
//
// op(A) is packed as MR-row panels with the MR values of one column p
// contiguous (each is broadcast to all lanes), op(B) as NR-column panels with
// the NR values of one row p contiguous (two zmm loads). The micro-kernel
// keeps a 12×32 tile of C in 24 zmm registers and adds one rank-1 update per
// p with 24 VFMADD231PS (about 218 GFLOP/s on one Zen 5 core with its
// panels in L1 and L2); it prefetches its tile of C. The transposing packs
// (A not transposed, B transposed: each row of the source is a column of the
// panel) go through 16×16 register transposes. KC, MC and NC were chosen by measuring the
// 2048×3072×768, 2048×768×3072, 512×768×768 and 64×3072×768 products on a
// Zen 5 core (48 KiB L1, 1 MiB L2) over a grid around these values.
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include "sgemm.h"

#define MR 12   // rows of the micro-tile
#define NR 32   // columns of the micro-tile: two zmm of float32
#define KC 256  // depth of a packed block: an A panel is MR·KC·4 B = 12 KiB (L1)
#define MC 96   // rows of a packed A block (multiple of MR): MC·KC·4 B = 96 KiB
#define NC 1024 // columns of a packed B block (multiple of NR): KC·NC·4 B = 1 MiB (L2)

#define TARGET __attribute__((target("avx512f")))

// alloc returns size bytes aligned to 64 (size rounded up to a multiple of
// 64) and aborts, like a Go out-of-memory, when there are none.
static void *alloc(size_t size) {
	void *p = aligned_alloc(64, (size + 63) / 64 * 64);
	if (!p) {
		fprintf(stderr, "kernel: sgemm_avx512: out of memory allocating %zu bytes\n", size);
		abort();
	}
	return p;
}

// mask16 returns the mask of the first n (clamped to 0..16) lanes.
static inline __mmask16 mask16(long n) {
	return n >= 16 ? 0xffff : n <= 0 ? 0 : (__mmask16)((1u << n) - 1);
}

// transpose16 sets out[c][r] = in[r][c] for a 16×16 block held in 16 zmm.
TARGET static inline void transpose16(const __m512 in[16], __m512 out[16]) {
	__m512 t[16], u[16];
	for (int i = 0; i < 8; i++) {
		t[2 * i] = _mm512_unpacklo_ps(in[2 * i], in[2 * i + 1]);
		t[2 * i + 1] = _mm512_unpackhi_ps(in[2 * i], in[2 * i + 1]);
	}
	// u[4i+c], 128-bit lane L: rows 4i..4i+3 of column 4L+c.
	for (int i = 0; i < 4; i++) {
		u[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
		u[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
		u[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
		u[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
	}
	for (int c = 0; c < 4; c++) {
		__m512 even01 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x88);  // lanes 0, 2 of u[c], u[4+c]
		__m512 odd01 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xdd);   // lanes 1, 3
		__m512 even23 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x88);
		__m512 odd23 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xdd);
		out[c] = _mm512_shuffle_f32x4(even01, even23, 0x88);
		out[4 + c] = _mm512_shuffle_f32x4(odd01, odd23, 0x88);
		out[8 + c] = _mm512_shuffle_f32x4(even01, even23, 0xdd);
		out[12 + c] = _mm512_shuffle_f32x4(odd01, odd23, 0xdd);
	}
}

// pack_transposed writes the rows×kc matrix src (leading dimension ld,
// rows ≤ lanes ≤ 16) transposed into dst with row stride stride:
// dst[p·stride + r] = src[r·ld + p] for r < rows, 0 for rows ≤ r < lanes.
TARGET static void pack_transposed(float *dst, long stride, long lanes, const float *src, long ld,
                                   long rows, long kc) {
	__mmask16 store = mask16(lanes);
	__m512 in[16], out[16];
	for (long p0 = 0; p0 < kc; p0 += 16) {
		__mmask16 load = mask16(kc - p0);
		for (long r = 0; r < 16; r++)
			in[r] = r < rows ? _mm512_maskz_loadu_ps(load, src + r * ld + p0) : _mm512_setzero_ps();
		transpose16(in, out);
		long q1 = kc - p0 < 16 ? kc - p0 : 16;
		for (long q = 0; q < q1; q++)
			_mm512_mask_storeu_ps(dst + (p0 + q) * stride, store, out[q]);
	}
}

// pack_b copies op(B)[pc:pc+kc, jc:jc+nc] into dst as NR-column panels of
// kc rows; columns past nc are zero. dst: (⌈nc/NR⌉, kc, NR)
TARGET static void pack_b(float *dst, int transB, const float *b, long ldb, long pc, long jc, long kc,
                          long nc) {
	for (long j0 = 0; j0 < nc; j0 += NR, dst += kc * NR) {
		long w = nc - j0 < NR ? nc - j0 : NR;
		if (transB) { // B is n×k: each row of B is a column of the panel.
			for (long h = 0; h < NR; h += 16) {
				long rows = w - h < 0 ? 0 : w - h < 16 ? w - h : 16;
				const float *src = rows > 0 ? b + (jc + j0 + h) * ldb + pc : b; // unread when rows = 0
				pack_transposed(dst + h, NR, 16, src, ldb, rows, kc);
			}
			continue;
		}
		__mmask16 lo = mask16(w), hi = mask16(w - 16);
		const float *src = b + pc * ldb + jc + j0;
		for (long p = 0; p < kc; p++, src += ldb) {
			_mm512_storeu_ps(dst + p * NR, _mm512_maskz_loadu_ps(lo, src));
			_mm512_storeu_ps(dst + p * NR + 16, _mm512_maskz_loadu_ps(hi, src + 16));
		}
	}
}

// pack_a copies op(A)[ic:ic+mc, pc:pc+kc] into dst as MR-row panels of kc
// columns; rows past mc are zero. dst: (⌈mc/MR⌉, kc, MR)
TARGET static void pack_a(float *dst, int transA, const float *a, long lda, long ic, long pc, long kc,
                          long mc) {
	__mmask16 store = mask16(MR);
	for (long i0 = 0; i0 < mc; i0 += MR, dst += kc * MR) {
		long h = mc - i0 < MR ? mc - i0 : MR;
		if (!transA) { // A is m×k: each row of A is a row of the panel.
			pack_transposed(dst, MR, MR, a + (ic + i0) * lda + pc, lda, h, kc);
			continue;
		}
		__mmask16 load = mask16(h);
		const float *src = a + pc * lda + ic + i0;
		for (long p = 0; p < kc; p++, src += lda)
			_mm512_mask_storeu_ps(dst + p * MR, store, _mm512_maskz_loadu_ps(load, src));
	}
}

// store_row writes alpha·acc (nr ≤ 16 lanes) into c: C = alpha·acc + beta·C on
// the first k block (C unread when beta = 0), C += alpha·acc on later ones.
TARGET static inline void store_row(float *c, __m512 acc, int nr, float alpha, float beta, int first) {
	if (nr <= 0)
		return;
	__mmask16 mask = mask16(nr);
	__m512 v = _mm512_mul_ps(acc, _mm512_set1_ps(alpha));
	if (!first)
		v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, c));
	else if (beta != 0)
		v = _mm512_fmadd_ps(_mm512_set1_ps(beta), _mm512_maskz_loadu_ps(mask, c), v);
	_mm512_mask_storeu_ps(c, mask, v);
}

#define FMA_ROW(i)                                                  \
	{                                                           \
		__m512 av = _mm512_set1_ps(ap[i]);                  \
		acc##i##0 = _mm512_fmadd_ps(av, b0, acc##i##0);     \
		acc##i##1 = _mm512_fmadd_ps(av, b1, acc##i##1);     \
	}
#define STORE_ROW(i)                                                                \
	if (i < mr) {                                                               \
		store_row(c + i * ldc, acc##i##0, nr, alpha, beta, first);          \
		store_row(c + i * ldc + 16, acc##i##1, nr - 16, alpha, beta, first); \
	}

// ukernel computes the mr×nr corner of the MR×NR tile Σ_p ap[p]ᵀ·bp[p] from
// an A panel ap: (kc, MR) and a B panel bp: (kc, NR) and stores it to c.
TARGET static void ukernel(long kc, const float *ap, const float *bp, float *c, long ldc, int mr, int nr,
                           float alpha, float beta, int first) {
	__m512 acc00 = _mm512_setzero_ps(), acc01 = acc00, acc10 = acc00, acc11 = acc00;
	__m512 acc20 = acc00, acc21 = acc00, acc30 = acc00, acc31 = acc00;
	__m512 acc40 = acc00, acc41 = acc00, acc50 = acc00, acc51 = acc00;
	__m512 acc60 = acc00, acc61 = acc00, acc70 = acc00, acc71 = acc00;
	__m512 acc80 = acc00, acc81 = acc00, acc90 = acc00, acc91 = acc00;
	__m512 acc100 = acc00, acc101 = acc00, acc110 = acc00, acc111 = acc00;
	// The tile of C is read and written after the loop: fetch it now, so
	// that its misses (C is often larger than L2) overlap the arithmetic.
	for (int i = 0; i < mr; i++) {
		_mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
		_mm_prefetch((const char *)(c + i * ldc + 16), _MM_HINT_T0);
	}
	for (long p = 0; p < kc; p++, ap += MR, bp += NR) {
		__m512 b0 = _mm512_loadu_ps(bp), b1 = _mm512_loadu_ps(bp + 16);
		FMA_ROW(0) FMA_ROW(1) FMA_ROW(2) FMA_ROW(3) FMA_ROW(4) FMA_ROW(5)
		FMA_ROW(6) FMA_ROW(7) FMA_ROW(8) FMA_ROW(9) FMA_ROW(10) FMA_ROW(11)
	}
	STORE_ROW(0) STORE_ROW(1) STORE_ROW(2) STORE_ROW(3) STORE_ROW(4) STORE_ROW(5)
	STORE_ROW(6) STORE_ROW(7) STORE_ROW(8) STORE_ROW(9) STORE_ROW(10) STORE_ROW(11)
}

// steady_sgemm_avx512 computes C = alpha·op(A)·op(B) + beta·C (row-major,
// m, n, k > 0) on the calling thread; the caller checks the CPU and splits
// work across threads.
void steady_sgemm_avx512(int transA, int transB, long m, long n, long k, float alpha, const float *a,
                         long lda, const float *b, long ldb, float beta, float *c, long ldc) {
	long kcMax = k < KC ? k : KC;
	long ncMax = n < NC ? (n + NR - 1) / NR * NR : NC;
	long mcMax = m < MC ? (m + MR - 1) / MR * MR : MC;
	float *bp = alloc(kcMax * ncMax * sizeof *bp);
	float *ap = alloc(kcMax * mcMax * sizeof *ap);
	for (long jc = 0; jc < n; jc += NC) {
		long nc = n - jc < NC ? n - jc : NC;
		for (long pc = 0; pc < k; pc += KC) {
			long kc = k - pc < KC ? k - pc : KC;
			pack_b(bp, transB, b, ldb, pc, jc, kc, nc);
			for (long ic = 0; ic < m; ic += MC) {
				long mc = m - ic < MC ? m - ic : MC;
				pack_a(ap, transA, a, lda, ic, pc, kc, mc);
				for (long ir = 0; ir < mc; ir += MR) {
					int mr = mc - ir < MR ? mc - ir : MR;
					for (long jr = 0; jr < nc; jr += NR) {
						int nr = nc - jr < NR ? nc - jr : NR;
						ukernel(kc, ap + ir * kc, bp + jr * kc, c + (ic + ir) * ldc + jc + jr, ldc, mr, nr,
						        alpha, beta, pc == 0);
					}
				}
			}
		}
	}
	free(ap);
	free(bp);
}
