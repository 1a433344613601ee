//go:build cgo && !purego

// bf16 GEMM with float32 accumulation on AVX-512 BF16 (VDPBF16PS), in the
// Goto/BLIS blocking of gemm_go.go. VDPBF16PS multiplies pairs of bf16
// values along k and adds both products to one float32 lane:
//
//	c[j] += a[2j]·b[2j] + a[2j+1]·b[2j+1]        (j = 0..15; RNE, denormals flushed)
//
// so op(A) is packed as k-pairs (A[i,p], A[i,p+1]) in one 32-bit word that is
// broadcast to all lanes, and op(B) as 32-column panels whose k-pairs are
// interleaved: one 64-byte row of a panel is (B[p,j], B[p+1,j]) for 16
// columns j. An odd k is padded with a zero pair half. The micro-kernel keeps
// a 12×32 tile of C in 24 zmm registers.
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sbgemm.h"

#define MR 12   // rows of the micro-tile
#define NR 32   // columns of the micro-tile: two zmm of float32
#define KC 384  // depth of a packed block (even): a B panel is KC·NR·2 B = 24 KiB (L1)
#define MC 192  // rows of a packed A block (multiple of MR): MC·KC·2 B = 144 KiB (L2)
#define NC 3072 // columns of a packed B block (multiple of NR): KC·NC·2 B = 2.25 MiB
#define GEMV_NB 4096 // columns per float32 accumulator block of the m = 1, B k×n path
#define GEMV_ROWS 8  // rows of B per pass of the m = 1, B n×k path

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

int steady_has_avx512bf16(void) {
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
	       __builtin_cpu_supports("avx512bf16");
}

// alloc returns size bytes aligned to 64 (size a multiple of 64) and
// aborts, like a Go out-of-memory, when there are none.
static void *alloc(size_t size) {
	void *p = aligned_alloc(64, size);
	if (!p) {
		fprintf(stderr, "kernel: sbgemm_avx512: out of memory allocating %zu bytes\n", size);
		abort();
	}
	return p;
}

// pair returns (lo, hi) as one little-endian word: lo is the even bf16 lane.
static inline uint32_t pair(uint16_t lo, uint16_t hi) { return (uint32_t)lo | (uint32_t)hi << 16; }

// interleave returns the 16-bit lanes of r0 and r1 alternated, from lane
// half·16: (r0[h], r1[h], r0[h+1], r1[h+1], ...).
TARGET static inline __m512i interleave(__m512i r0, __m512i r1, int half) {
	static const uint16_t idx[2][32] = {
		{0, 32, 1, 33, 2, 34, 3, 35, 4, 36, 5, 37, 6, 38, 7, 39,
		 8, 40, 9, 41, 10, 42, 11, 43, 12, 44, 13, 45, 14, 46, 15, 47},
		{16, 48, 17, 49, 18, 50, 19, 51, 20, 52, 21, 53, 22, 54, 23, 55,
		 24, 56, 25, 57, 26, 58, 27, 59, 28, 60, 29, 61, 30, 62, 31, 63},
	};
	return _mm512_permutex2var_epi16(r0, _mm512_loadu_si512(idx[half]), r1);
}

// pack_b copies op(B)[pc:pc+kc, jc:jc+nc] into dst as NR-column panels of
// ⌈kc/2⌉ rows of interleaved k-pairs; columns past nc and the half-pair past
// an odd kc are zero. dst: (⌈nc/NR⌉, ⌈kc/2⌉, NR, 2)
TARGET static void pack_b(uint16_t *dst, int transB, const uint16_t *b, long ldb, long pc, long jc,
                          long kc, long nc) {
	long kq = (kc + 1) / 2;
	for (long j0 = 0; j0 < nc; j0 += NR, dst += kq * 2 * NR) {
		long w = nc - j0 < NR ? nc - j0 : NR;
		if (!transB && w == NR) {
			for (long q = 0; q < kq; q++) {
				const uint16_t *r = b + (pc + 2 * q) * ldb + jc + j0;
				__m512i r0 = _mm512_loadu_si512(r);
				__m512i r1 = 2 * q + 1 < kc ? _mm512_loadu_si512(r + ldb) : _mm512_setzero_si512();
				_mm512_storeu_si512(dst + q * 2 * NR, interleave(r0, r1, 0));
				_mm512_storeu_si512(dst + q * 2 * NR + NR, interleave(r0, r1, 1));
			}
			continue;
		}
		uint32_t *d = (uint32_t *)dst;
		memset(d, 0, kq * NR * sizeof *d);
		for (long j = 0; j < w; j++) {
			if (transB) {
				const uint16_t *src = b + (jc + j0 + j) * ldb + pc;
				for (long q = 0; 2 * q + 1 < kc; q++)
					memcpy(&d[q * NR + j], src + 2 * q, 4);
				if (kc & 1)
					d[(kq - 1) * NR + j] = src[kc - 1];
				continue;
			}
			const uint16_t *src = b + pc * ldb + jc + j0 + j;
			for (long q = 0; 2 * q + 1 < kc; q++)
				d[q * NR + j] = pair(src[2 * q * ldb], src[(2 * q + 1) * ldb]);
			if (kc & 1)
				d[(kq - 1) * NR + j] = src[(kc - 1) * ldb];
		}
	}
}

// pack_a copies op(A)[ic:ic+mc, pc:pc+kc] into dst as MR-row panels of
// ⌈kc/2⌉ columns of k-pair words; rows past mc are zero.
// dst: (⌈mc/MR⌉, ⌈kc/2⌉, MR)
static void pack_a(uint32_t *dst, int transA, const uint16_t *a, long lda, long ic, long pc, long kc,
                   long mc) {
	long kq = (kc + 1) / 2;
	for (long i0 = 0; i0 < mc; i0 += MR, dst += kq * MR) {
		long h = mc - i0 < MR ? mc - i0 : MR;
		if (h < MR)
			memset(dst, 0, kq * MR * sizeof *dst);
		for (long i = 0; i < h; i++) {
			if (!transA) {
				const uint16_t *src = a + (ic + i0 + i) * lda + pc;
				for (long q = 0; 2 * q + 1 < kc; q++)
					memcpy(&dst[q * MR + i], src + 2 * q, 4);
				if (kc & 1)
					dst[(kq - 1) * MR + i] = src[kc - 1];
				continue;
			}
			const uint16_t *src = a + pc * lda + ic + i0 + i;
			for (long q = 0; 2 * q + 1 < kc; q++)
				dst[q * MR + i] = pair(src[2 * q * lda], src[(2 * q + 1) * lda]);
			if (kc & 1)
				dst[(kq - 1) * MR + i] = src[(kc - 1) * lda];
		}
	}
}

// store_row writes alpha·acc (nr ≤ 16 lanes) into c: C = alpha·acc + beta·C on
// the first k block (C unread when beta = 0), C += alpha·acc on later ones.
TARGET static inline void store_row(float *c, __m512 acc, int nr, float alpha, float beta, int first) {
	if (nr <= 0)
		return;
	__mmask16 mask = nr >= 16 ? 0xffff : (__mmask16)((1u << nr) - 1);
	__m512 v = _mm512_mul_ps(acc, _mm512_set1_ps(alpha));
	if (!first)
		v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, c));
	else if (beta != 0)
		v = _mm512_fmadd_ps(_mm512_set1_ps(beta), _mm512_maskz_loadu_ps(mask, c), v);
	_mm512_mask_storeu_ps(c, mask, v);
}

#define DOT_ROW(i)                                                          \
	{                                                                   \
		__m512bh av = (__m512bh)_mm512_set1_epi32((int)ap[i]);      \
		acc##i##0 = _mm512_dpbf16_ps(acc##i##0, av, b0);            \
		acc##i##1 = _mm512_dpbf16_ps(acc##i##1, av, b1);            \
	}
#define STORE_ROW(i)                                                                \
	if (i < mr) {                                                               \
		store_row(c + i * ldc, acc##i##0, nr, alpha, beta, first);          \
		store_row(c + i * ldc + 16, acc##i##1, nr - 16, alpha, beta, first); \
	}

// ukernel computes the mr×nr corner of the MR×NR tile Σ_q ap[q]ᵀ·bp[q] from
// an A panel ap: (kq, MR) and a B panel bp: (kq, NR, 2) and stores it to c.
TARGET static void ukernel(long kq, const uint32_t *ap, const uint16_t *bp, float *c, long ldc, int mr,
                           int nr, float alpha, float beta, int first) {
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
	for (long q = 0; q < kq; q++, ap += MR, bp += 2 * NR) {
		__m512bh b0 = (__m512bh)_mm512_loadu_si512(bp);
		__m512bh b1 = (__m512bh)_mm512_loadu_si512(bp + NR);
		DOT_ROW(0) DOT_ROW(1) DOT_ROW(2) DOT_ROW(3) DOT_ROW(4) DOT_ROW(5)
		DOT_ROW(6) DOT_ROW(7) DOT_ROW(8) DOT_ROW(9) DOT_ROW(10) DOT_ROW(11)
	}
	STORE_ROW(0) STORE_ROW(1) STORE_ROW(2) STORE_ROW(3) STORE_ROW(4) STORE_ROW(5)
	STORE_ROW(6) STORE_ROW(7) STORE_ROW(8) STORE_ROW(9) STORE_ROW(10) STORE_ROW(11)
}

// gemv_dot computes C[0,j] = alpha·⟨a, B[j,:]⟩ + beta·C[0,j] for B stored n×k
// (m = 1 with transB), GEMV_ROWS rows of B at a time, prefetching the next
// rows: this path streams B from memory once.
TARGET static void gemv_dot(long n, long k, const uint16_t *a, const uint16_t *b, long ldb, float alpha,
                            float beta, float *c) {
	for (long j = 0; j < n; j += GEMV_ROWS) {
		long rows = n - j < GEMV_ROWS ? n - j : GEMV_ROWS;
		const uint16_t *r[GEMV_ROWS];
		for (long t = 0; t < GEMV_ROWS; t++)
			r[t] = b + (j + (t < rows ? t : 0)) * ldb;
		__m512 acc[GEMV_ROWS];
		for (long t = 0; t < GEMV_ROWS; t++)
			acc[t] = _mm512_setzero_ps();
		for (long p = 0; p < k; p += 32) {
			__mmask32 mask = k - p >= 32 ? 0xffffffffu : (__mmask32)((1u << (k - p)) - 1);
			__m512bh av = (__m512bh)_mm512_maskz_loadu_epi16(mask, a + p);
			for (long t = 0; t < GEMV_ROWS; t++) {
				if (j + GEMV_ROWS + t < n)
					_mm_prefetch((const char *)(r[t] + GEMV_ROWS * ldb + p), _MM_HINT_T0);
				acc[t] = _mm512_dpbf16_ps(acc[t], av, (__m512bh)_mm512_maskz_loadu_epi16(mask, r[t] + p));
			}
		}
		for (long t = 0; t < rows; t++)
			c[j + t] = alpha * _mm512_reduce_add_ps(acc[t]) + (beta != 0 ? beta * c[j + t] : 0);
	}
}

// gemv_axpy computes C[0,:] = alpha·Σ_p a[p]·B[p,:] + beta·C[0,:] for B stored
// k×n (m = 1 without transB), over GEMV_NB-column blocks whose float32 sums
// stay in L1 while four rows of B at a time stream through (two k-pairs, so
// each partial sum is loaded and stored once per four rows), prefetching the
// same columns of the next four rows: without it the rows, 2·ldb bytes
// apart, stream at half the bandwidth.
TARGET static void gemv_axpy(long n, long k, const uint16_t *a, const uint16_t *b, long ldb, float alpha,
                             float beta, float *c) {
	float acc[GEMV_NB] __attribute__((aligned(64)));
	for (long j0 = 0; j0 < n; j0 += GEMV_NB) {
		long w = n - j0 < GEMV_NB ? n - j0 : GEMV_NB;
		memset(acc, 0, sizeof acc);
		for (long p = 0; p < k; p += 4) {
			// Rows past k read row p again with a zero weight.
			const uint16_t *r[4];
			uint16_t av[4];
			for (int t = 0; t < 4; t++) {
				r[t] = b + (p + t < k ? p + t : p) * ldb + j0;
				av[t] = p + t < k ? a[p + t] : 0;
			}
			__m512bh a01 = (__m512bh)_mm512_set1_epi32((int)pair(av[0], av[1]));
			__m512bh a23 = (__m512bh)_mm512_set1_epi32((int)pair(av[2], av[3]));
			for (long j = 0; j < w; j += 32) {
				__mmask32 mask = w - j >= 32 ? 0xffffffffu : (__mmask32)((1u << (w - j)) - 1);
				if (p + 8 <= k)
					for (int t = 0; t < 4; t++)
						_mm_prefetch((const char *)(r[t] + 4 * ldb + j), _MM_HINT_T0);
				__m512i r0 = _mm512_maskz_loadu_epi16(mask, r[0] + j);
				__m512i r1 = _mm512_maskz_loadu_epi16(mask, r[1] + j);
				__m512i r2 = _mm512_maskz_loadu_epi16(mask, r[2] + j);
				__m512i r3 = _mm512_maskz_loadu_epi16(mask, r[3] + j);
				__m512 lo = _mm512_load_ps(acc + j), hi = _mm512_load_ps(acc + j + 16);
				lo = _mm512_dpbf16_ps(lo, a01, (__m512bh)interleave(r0, r1, 0));
				hi = _mm512_dpbf16_ps(hi, a01, (__m512bh)interleave(r0, r1, 1));
				lo = _mm512_dpbf16_ps(lo, a23, (__m512bh)interleave(r2, r3, 0));
				hi = _mm512_dpbf16_ps(hi, a23, (__m512bh)interleave(r2, r3, 1));
				_mm512_store_ps(acc + j, lo);
				_mm512_store_ps(acc + j + 16, hi);
			}
		}
		for (long j = 0; j < w; j++)
			c[j0 + j] = alpha * acc[j] + (beta != 0 ? beta * c[j0 + j] : 0);
	}
}

// gemv computes the m = 1 product on a contiguous copy of op(A)'s one row.
static void gemv(int transA, int transB, long n, long k, float alpha, const uint16_t *a, long lda,
                 const uint16_t *b, long ldb, float beta, float *c) {
	uint16_t *row = 0;
	if (transA && lda != 1) {
		row = alloc((k * sizeof *row + 63) / 64 * 64);
		for (long p = 0; p < k; p++)
			row[p] = a[p * lda];
		a = row;
	}
	if (transB)
		gemv_dot(n, k, a, b, ldb, alpha, beta, c);
	else
		gemv_axpy(n, k, a, b, ldb, alpha, beta, c);
	free(row);
}

// steady_sbgemm_avx512 computes C = alpha·op(A)·op(B) + beta·C (row-major,
// m, n, k > 0) on the calling thread; the caller checks the CPU with
// steady_has_avx512bf16 and splits work across threads.
void steady_sbgemm_avx512(int transA, int transB, long m, long n, long k, float alpha,
                          const uint16_t *a, long lda, const uint16_t *b, long ldb,
                          float beta, float *c, long ldc) {
	if (m == 1) {
		gemv(transA, transB, n, k, alpha, a, lda, b, ldb, beta, c);
		return;
	}
	long kcMax = k < KC ? (k + 1) / 2 * 2 : KC;
	long ncMax = n < NC ? (n + NR - 1) / NR * NR : NC;
	long mcMax = m < MC ? (m + MR - 1) / MR * MR : MC;
	uint16_t *bp = alloc(kcMax * ncMax * sizeof *bp);
	uint32_t *ap = alloc((kcMax / 2 * mcMax * sizeof *ap + 63) / 64 * 64);
	for (long jc = 0; jc < n; jc += NC) {
		long nc = n - jc < NC ? n - jc : NC;
		for (long pc = 0; pc < k; pc += KC) {
			long kc = k - pc < KC ? k - pc : KC, kq = (kc + 1) / 2;
			pack_b(bp, transB, b, ldb, pc, jc, kc, nc);
			for (long ic = 0; ic < m; ic += MC) {
				long mc = m - ic < MC ? m - ic : MC;
				pack_a(ap, transA, a, lda, ic, pc, kc, mc);
				for (long jr = 0; jr < nc; jr += NR) {
					int nr = nc - jr < NR ? nc - jr : NR;
					for (long ir = 0; ir < mc; ir += MR) {
						int mr = mc - ir < MR ? mc - ir : MR;
						ukernel(kq, ap + ir * kq, bp + jr * 2 * kq, c + (ic + ir) * ldc + jc + jr, ldc,
						        mr, nr, alpha, beta, pc == 0);
					}
				}
			}
		}
	}
	free(ap);
	free(bp);
}
