package nn

import (
	"fmt"
	"math/bits"
	"sync"
	"unsafe"

	"github.com/steady-ml/steady/half"
	"github.com/steady-ml/steady/kernel"
)

// Autocast is the half-precision format a layer computes its matrix
// products in, with PyTorch autocast semantics (torch.autocast; DESIGN.md
// "Precision modes"): both operands rounded to the format to nearest even,
// the products accumulated in float32, the output rounded to the format
// once. Values stay in float32 slices: "a bf16 tensor" is a float32 slice
// whose every value is a bf16 value, so rounding it again changes nothing.
// AutocastOff computes in float32.
//
// This is the `clean` arithmetic of shared/fixtures (README, "The clean.*
// variant"): every op that produces a half tensor is computed in float32
// from its half operands and rounded once.
type Autocast uint8

// The autocast formats.
const (
	AutocastOff  Autocast = iota // float32 throughout
	AutocastBF16                 // bfloat16: 8 exponent bits, 8 significant bits
	AutocastF16                  // IEEE binary16: 5 exponent bits, 11 significant bits, max 65504
)

// String names the format as torch does ("float32", "bfloat16", "float16").
func (a Autocast) String() string {
	switch a {
	case AutocastOff:
		return "float32"
	case AutocastBF16:
		return "bfloat16"
	case AutocastF16:
		return "float16"
	}
	return fmt.Sprintf("Autocast(%d)", int(a))
}

// Round rounds x in place to the format, to nearest even (a no-op when
// off). In f16, magnitudes past 65504 become ±Inf, as torch's cast does.
func (a Autocast) Round(x []float32) {
	switch a {
	case AutocastBF16:
		half.RoundBF16(x)
	case AutocastF16:
		half.RoundF16(x)
	}
}

// RoundValue is Round for one value.
func (a Autocast) RoundValue(v float32) float32 {
	switch a {
	case AutocastBF16:
		return half.BF16FromF32(v).F32()
	case AutocastF16:
		return half.F16FromF32(v).F32()
	}
	return v
}

// Pack stores x, whose values are already in the format (the output of a
// half op), as their 16-bit encodings in dst: bf16 or IEEE binary16 bits.
// The round trip through Unpack is exact, so a saved activation costs half
// the memory of its float32 slice and reads back bit for bit. It panics
// when off (there is no 16-bit format) or when the lengths differ.
func (a Autocast) Pack(dst []uint16, x []float32) {
	if len(dst) != len(x) {
		panic(fmt.Sprintf("nn.Autocast.Pack: %d values into %d", len(x), len(dst)))
	}
	switch a {
	case AutocastBF16:
		half.BF16FromF32s(unsafe.Slice((*half.BF16)(unsafe.SliceData(dst)), len(dst)), x)
	case AutocastF16:
		half.F16FromF32s(unsafe.Slice((*half.F16)(unsafe.SliceData(dst)), len(dst)), x)
	default:
		panic(fmt.Sprintf("nn.Autocast.Pack: no 16-bit format for %v", a))
	}
}

// Unpack widens the encodings Pack wrote back to float32 into x.
func (a Autocast) Unpack(x []float32, src []uint16) {
	if len(src) != len(x) {
		panic(fmt.Sprintf("nn.Autocast.Unpack: %d values into %d", len(src), len(x)))
	}
	switch a {
	case AutocastBF16:
		half.F32sFromBF16(x, unsafe.Slice((*half.BF16)(unsafe.SliceData(src)), len(src)))
	case AutocastF16:
		half.F32sFromF16(x, unsafe.Slice((*half.F16)(unsafe.SliceData(src)), len(src)))
	default:
		panic(fmt.Sprintf("nn.Autocast.Unpack: no 16-bit format for %v", a))
	}
}

// Packed keeps float32 slices whose values are in an autocast format (the
// outputs of half ops) as their 16-bit encodings (Pack): what a training
// step saves for its backward under autocast, at half the memory of the
// float32 slices, read back bit for bit. The zero value is empty.
type Packed struct {
	cast Autocast
	data [][]uint16
}

// Store packs xs in format cast, growing the storage to their lengths.
func (p *Packed) Store(cast Autocast, xs ...[]float32) {
	p.cast = cast
	if len(p.data) != len(xs) {
		p.data = make([][]uint16, len(xs))
	}
	for i, x := range xs {
		if cap(p.data[i]) < len(x) {
			p.data[i] = make([]uint16, len(x))
		}
		p.data[i] = p.data[i][:len(x)]
		cast.Pack(p.data[i], x)
	}
}

// Load unpacks what Store stored into xs, given in Store's order and with
// its lengths.
func (p *Packed) Load(xs ...[]float32) {
	if len(xs) != len(p.data) {
		panic(fmt.Sprintf("nn.Packed.Load: %d slices, %d stored", len(xs), len(p.data)))
	}
	for i, x := range xs {
		p.cast.Unpack(x, p.data[i])
	}
}

// Gemm computes the autocast matrix product
//
//	C = round(alpha·op(round(A))·op(round(B)) + beta·C)
//
// with float32 accumulation, in kernel.Sgemm's layout and argument order
// (op(A): m×k, op(B): k×n, C: m×n, row-major with leading dimensions). The
// operands are not changed: they are rounded into pooled scratch. When off it
// is kernel.Sgemm. bf16 runs kernel.SgemmBF16 (the AVX-512 BF16 path where
// the CPU has one: the products of two bf16 values are exact in float32, so
// this is the same arithmetic as rounding and calling Sgemm); f16 has no
// fast path on CPUs and rounds into float32 scratch for Sgemm.
func (a Autocast) Gemm(transA, transB bool, m, n, k int, alpha float32, A []float32, lda int, B []float32, ldb int, beta float32, C []float32, ldc int) {
	if a == AutocastOff {
		kernel.Sgemm(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc)
		return
	}
	if m == 0 || n == 0 {
		return
	}
	rowsA, colsA := m, k
	if transA {
		rowsA, colsA = k, m
	}
	rowsB, colsB := k, n
	if transB {
		rowsB, colsB = n, k
	}
	switch a {
	case AutocastBF16:
		hb := getHalf(rowsB * colsB)
		packBF16(*hb, B, rowsB, colsB, ldb)
		gemmBF16PackedB(transA, transB, m, n, k, alpha, A, lda, *hb, colsB, beta, C, ldc)
		putHalf(hb)
		return
	case AutocastF16:
		fa, fb := GetScratch(rowsA*colsA), GetScratch(rowsB*colsB)
		packRounded(*fa, A, rowsA, colsA, lda, a)
		packRounded(*fb, B, rowsB, colsB, ldb, a)
		kernel.Sgemm(transA, transB, m, n, k, alpha, *fa, colsA, *fb, colsB, beta, C, ldc)
		PutScratch(fa)
		PutScratch(fb)
	default:
		panic(fmt.Sprintf("nn.Autocast.Gemm: unknown format %d", int(a)))
	}
	for i := 0; i < m; i++ {
		a.Round(C[i*ldc : i*ldc+n])
	}
}

// gemmBF16PackedB is the bf16 case of Gemm with B already packed in bf16
// (leading dimension ldb): C = round(alpha·op(round(A))·op(B) + beta·C).
func gemmBF16PackedB(transA, transB bool, m, n, k int, alpha float32, A []float32, lda int, B []uint16, ldb int, beta float32, C []float32, ldc int) {
	rowsA, colsA := m, k
	if transA {
		rowsA, colsA = k, m
	}
	ha := getHalf(rowsA * colsA)
	packBF16(*ha, A, rowsA, colsA, lda)
	kernel.SgemmBF16(transA, transB, m, n, k, alpha, *ha, colsA, B, ldb, beta, C, ldc)
	putHalf(ha)
	for i := 0; i < m; i++ {
		AutocastBF16.Round(C[i*ldc : i*ldc+n])
	}
}

// packBF16 rounds the rows×cols matrix src (leading dimension ld) into the
// packed bf16 matrix dst (leading dimension cols).
func packBF16(dst []uint16, src []float32, rows, cols, ld int) {
	out := unsafe.Slice((*half.BF16)(unsafe.Pointer(unsafe.SliceData(dst))), len(dst))
	if ld == cols {
		half.BF16FromF32s(out[:rows*cols], src[:rows*cols])
		return
	}
	for r := 0; r < rows; r++ {
		half.BF16FromF32s(out[r*cols:(r+1)*cols], src[r*ld:r*ld+cols])
	}
}

// packRounded copies the rows×cols matrix src (leading dimension ld) into
// the packed dst (leading dimension cols), rounded to format a.
func packRounded(dst, src []float32, rows, cols, ld int, a Autocast) {
	for r := 0; r < rows; r++ {
		row := dst[r*cols : (r+1)*cols]
		copy(row, src[r*ld:r*ld+cols])
		a.Round(row)
	}
}

// scratchF32 and scratchHalf pool the temporary buffers of autocast
// products and of gradients that are rounded before they accumulate, so a
// training step or a decode step allocates nothing once warm. Buffers are
// pooled by size class (⌊log₂ capacity⌋), so that a request reuses a buffer
// within a factor of two of its size: one pool for all sizes would hand a
// weight-sized buffer to a small request and allocate the next weight-sized
// one afresh, keeping several alive. They are kept for the life of the
// process, unlike a sync.Pool's, which a garbage collection drops (to be
// allocated and faulted in again by the next step): the pools hold at most
// what the largest step needed at once.
type scratchPool[T any] struct {
	mu   sync.Mutex
	free [bits.UintSize][]*[]T // by size class
}

// get returns a buffer of n elements (contents undefined) from n's class,
// allocating when that class has none large enough.
func (p *scratchPool[T]) get(n int) *[]T {
	c := sizeClass(n)
	var buf *[]T
	p.mu.Lock()
	if l := p.free[c]; len(l) > 0 {
		buf, p.free[c] = l[len(l)-1], l[:len(l)-1]
	}
	p.mu.Unlock()
	if buf == nil {
		buf = new([]T)
	}
	if cap(*buf) < n {
		*buf = make([]T, n)
	}
	*buf = (*buf)[:n]
	return buf
}

// put returns buf to the class of its capacity.
func (p *scratchPool[T]) put(buf *[]T) {
	c := sizeClass(cap(*buf))
	p.mu.Lock()
	p.free[c] = append(p.free[c], buf)
	p.mu.Unlock()
}

// sizeClass is ⌊log₂ n⌋ (0 for n ≤ 1).
func sizeClass(n int) int { return max(bits.Len(uint(n))-1, 0) }

var (
	scratchF32  scratchPool[float32]
	scratchHalf scratchPool[uint16]
)

// GetScratch returns a pooled float32 buffer of n values (contents
// undefined); PutScratch returns it.
func GetScratch(n int) *[]float32 { return scratchF32.get(n) }

// PutScratch returns a buffer of GetScratch to the pool.
func PutScratch(buf *[]float32) { scratchF32.put(buf) }

func getHalf(n int) *[]uint16 { return scratchHalf.get(n) }

func putHalf(buf *[]uint16) { scratchHalf.put(buf) }
