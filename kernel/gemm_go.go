package kernel

import "sync"

// The pure-Go GEMM follows the Goto/BLIS blocking: a kc×nc block of op(B) is
// packed into nr-wide column panels, an mc×kc block of op(A) into mr-tall row
// panels, and a register-tiled micro-kernel computes each mr×nr tile of C
// from one A panel and one B panel, both read contiguously:
//
//	for jc (nc columns of C)      B block kc×nc (L3)
//	  for pc (kc of the k sum)    pack B
//	    for ic (mc rows of C)     pack A: block mc×kc (L2)
//	      for jr, ir              C[ir:ir+mr, jr:jr+nr] += alpha·Ã_ir·B̃_jr, B̃ panel kc×nr (L1)
//
// Calls with enough work split the larger of m and n into Threads()
// goroutines, each running this loop on its own rows or columns.
const (
	goMR = 2    // rows of the micro-tile
	goNR = 4    // columns of the micro-tile
	goKC = 256  // depth of a packed block: a B panel is goKC·goNR·4 B = 4 KiB
	goMC = 128  // rows of a packed A block: goMC·goKC·4 B = 128 KiB
	goNC = 1024 // columns of a packed B block: goKC·goNC·4 B = 1 MiB

	// goParallelFlops is the work below which splitting over goroutines
	// costs more than it saves.
	goParallelFlops = 1 << 18
)

// goPackPool holds packing buffers of goKC·(goMC+goNC) floats.
var goPackPool = sync.Pool{New: func() any {
	buf := make([]float32, goKC*(goMC+goNC))
	return &buf
}}

// sgemmGo is Sgemm in plain Go (the purego build's implementation, and the
// reference the conformance tests hold OpenBLAS to in the default build).
// It assumes the arguments are checked and m, n, k > 0.
func sgemmGo(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	switch {
	case m == 1:
		incA := 1
		if transA {
			incA = lda
		}
		if transB {
			sgemvGo(false, n, k, alpha, b, ldb, a, incA, beta, c, 1)
		} else {
			sgemvGo(true, k, n, alpha, b, ldb, a, incA, beta, c, 1)
		}
		return
	case n == 1:
		incB := ldb
		if transB {
			incB = 1
		}
		if transA {
			sgemvGo(true, k, m, alpha, a, lda, b, incB, beta, c, ldc)
		} else {
			sgemvGo(false, m, k, alpha, a, lda, b, incB, beta, c, ldc)
		}
		return
	}
	scaleMatrix(m, n, beta, c, ldc)
	if 2*m*n*k < goParallelFlops {
		sgemmGoSerial(transA, transB, m, n, k, alpha, a, lda, b, ldb, c, ldc)
		return
	}
	if m >= n {
		ParallelFor(m, goMR, func(lo, hi int) {
			aOff := lo * lda
			if transA {
				aOff = lo
			}
			sgemmGoSerial(transA, transB, hi-lo, n, k, alpha, a[aOff:], lda, b, ldb, c[lo*ldc:], ldc)
		})
		return
	}
	ParallelFor(n, goNR, func(lo, hi int) {
		bOff := lo
		if transB {
			bOff = lo * ldb
		}
		sgemmGoSerial(transA, transB, m, hi-lo, k, alpha, a, lda, b[bOff:], ldb, c[lo:], ldc)
	})
}

// sgemmGoSerial computes C += alpha·op(A)·op(B) on the calling goroutine.
func sgemmGoSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	bufp := goPackPool.Get().(*[]float32)
	defer goPackPool.Put(bufp)
	ap, bp := (*bufp)[:goKC*goMC], (*bufp)[goKC*goMC:]
	for jc := 0; jc < n; jc += goNC {
		nc := min(goNC, n-jc)
		for pc := 0; pc < k; pc += goKC {
			kc := min(goKC, k-pc)
			packB(bp, transB, b, ldb, pc, jc, kc, nc)
			for ic := 0; ic < m; ic += goMC {
				mc := min(goMC, m-ic)
				packA(ap, transA, a, lda, ic, pc, mc, kc)
				for jr := 0; jr < nc; jr += goNR {
					bPanel := bp[jr*kc : (jr+goNR)*kc]
					for ir := 0; ir < mc; ir += goMR {
						tile := microGo(ap[ir*kc:(ir+goMR)*kc], bPanel)
						addTile(c[(ic+ir)*ldc+jc+jr:], ldc, min(goMR, mc-ir), min(goNR, nc-jr), alpha, &tile)
					}
				}
			}
		}
	}
}

// packB copies op(B)[pc:pc+kc, jc:jc+nc] into dst as goNR-wide panels, each
// kc rows of goNR contiguous values; columns past nc are zero.
// dst: (⌈nc/goNR⌉, kc, goNR)
func packB(dst []float32, transB bool, b []float32, ldb, pc, jc, kc, nc int) {
	for j0 := 0; j0 < nc; j0 += goNR {
		panel := dst[j0*kc : (j0+goNR)*kc]
		w := min(goNR, nc-j0)
		for p := range kc {
			row := panel[p*goNR : p*goNR+goNR]
			for j := range w {
				if transB {
					row[j] = b[(jc+j0+j)*ldb+pc+p]
				} else {
					row[j] = b[(pc+p)*ldb+jc+j0+j]
				}
			}
			clear(row[w:])
		}
	}
}

// packA copies op(A)[ic:ic+mc, pc:pc+kc] into dst as goMR-tall panels, each
// kc columns of goMR contiguous values; rows past mc are zero.
// dst: (⌈mc/goMR⌉, kc, goMR)
func packA(dst []float32, transA bool, a []float32, lda, ic, pc, mc, kc int) {
	for i0 := 0; i0 < mc; i0 += goMR {
		panel := dst[i0*kc : (i0+goMR)*kc]
		h := min(goMR, mc-i0)
		for p := range kc {
			col := panel[p*goMR : p*goMR+goMR]
			for i := range h {
				if transA {
					col[i] = a[(pc+p)*lda+ic+i0+i]
				} else {
					col[i] = a[(ic+i0+i)*lda+pc+p]
				}
			}
			clear(col[h:])
		}
	}
}

// microGo returns the goMR×goNR tile Σ_p ap[p]ᵀ·bp[p] of an A panel
// ap: (kc, goMR) and a B panel bp: (kc, goNR), row-major in the result.
// 2×4 is the largest tile whose accumulators and operands the Go compiler
// keeps in the 15 free XMM registers: 4×4 and 3×4 spill and run 2–4× slower.
func microGo(ap, bp []float32) [goMR * goNR]float32 {
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	for len(ap) >= 2*goMR && len(bp) >= 2*goNR {
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		a0, a1 := ap[0], ap[1]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		b0, b1, b2, b3 = bp[4], bp[5], bp[6], bp[7]
		a0, a1 = ap[2], ap[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		ap, bp = ap[2*goMR:], bp[2*goNR:]
	}
	if len(ap) >= goMR && len(bp) >= goNR {
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		a0, a1 := ap[0], ap[1]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
	}
	return [goMR * goNR]float32{c00, c01, c02, c03, c10, c11, c12, c13}
}

// addTile adds alpha times the top-left h×w corner of a goMR×goNR tile to C.
func addTile(c []float32, ldc, h, w int, alpha float32, tile *[goMR * goNR]float32) {
	for i := range h {
		row := c[i*ldc : i*ldc+w]
		for j := range row {
			row[j] += alpha * tile[i*goNR+j]
		}
	}
}

// sgemvGo is Sgemv in plain Go. It assumes the arguments are checked and
// that x and y are not empty.
func sgemvGo(trans bool, m, n int, alpha float32, a []float32, lda int, x []float32, incX int, beta float32, y []float32, incY int) {
	lenY := m
	if trans {
		lenY = n
	}
	scaleMatrix(lenY, 1, beta, y, incY)
	if !trans {
		// y[i] += alpha·⟨A[i,:], x⟩
		ParallelFor(m, max(4, goParallelFlops/(2*n)), func(lo, hi int) {
			for i := lo; i < hi; i++ {
				y[i*incY] += alpha * dotGo(a[i*lda:i*lda+n], x, incX)
			}
		})
		return
	}
	// y[lo:hi] += alpha·Σ_i x[i]·A[i, lo:hi]
	ParallelFor(n, max(64, goParallelFlops/(2*m)), func(lo, hi int) {
		for i := range m {
			axpyGo(alpha*x[i*incX], a[i*lda+lo:i*lda+hi], y[lo*incY:], incY)
		}
	})
}

// dotGo returns Σ_p a[p]·x[p·incX].
func dotGo(a, x []float32, incX int) float32 {
	if incX != 1 {
		var s float32
		for p, v := range a {
			s += v * x[p*incX]
		}
		return s
	}
	x = x[:len(a)]
	var s0, s1, s2, s3 float32
	for len(a) >= 4 && len(x) >= 4 {
		s0 += a[0] * x[0]
		s1 += a[1] * x[1]
		s2 += a[2] * x[2]
		s3 += a[3] * x[3]
		a, x = a[4:], x[4:]
	}
	for p, v := range a {
		s0 += v * x[p]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpyGo computes y[j·incY] += s·v[j].
func axpyGo(s float32, v, y []float32, incY int) {
	if incY != 1 {
		for j, vj := range v {
			y[j*incY] += s * vj
		}
		return
	}
	y = y[:len(v)]
	for len(v) >= 4 && len(y) >= 4 {
		y[0] += s * v[0]
		y[1] += s * v[1]
		y[2] += s * v[2]
		y[3] += s * v[3]
		v, y = v[4:], y[4:]
	}
	for j, vj := range v {
		y[j] += s * vj
	}
}
