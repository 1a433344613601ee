package half

import (
	"flag"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/x448/float16"
)

var exhaustive = flag.Bool("exhaustive", false, "check all 2^32 float32 patterns against the scalar casts and oracles (minutes)")

// Each slice function is tested as dispatched (SIMD loop where the CPU has
// one, portable tail) and as its portable loop alone.
var (
	toBF16Impls = []struct {
		name  string
		conv  func([]BF16, []float32)
		round func([]float32)
	}{
		{"dispatch", BF16FromF32s, RoundBF16},
		{"go", bf16FromF32sGo, roundBF16Go},
	}
	toF16Impls = []struct {
		name  string
		conv  func([]F16, []float32)
		round func([]float32)
	}{
		{"dispatch", F16FromF32s, RoundF16},
		{"go", f16FromF32sGo, roundF16Go},
	}
	fromBF16Impls = []struct {
		name string
		conv func([]float32, []BF16)
	}{
		{"dispatch", F32sFromBF16},
		{"go", f32sFromBF16Go},
	}
	fromF16Impls = []struct {
		name string
		conv func([]float32, []F16)
	}{
		{"dispatch", F32sFromF16},
		{"go", f32sFromF16Go},
	}
)

func isNaN32(f float32) bool { return f != f }

func TestBF16RoundTripAllPatterns(t *testing.T) {
	for i := range fromBF16Impls {
		t.Run(fromBF16Impls[i].name, func(t *testing.T) {
			testBF16RoundTrip(t, fromBF16Impls[i].conv, toBF16Impls[i].conv)
		})
	}
}

func testBF16RoundTrip(t *testing.T, toF32 func([]float32, []BF16), fromF32 func([]BF16, []float32)) {
	src := make([]BF16, 1<<16)
	for i := range src {
		src[i] = BF16(i)
	}
	f32 := make([]float32, len(src))
	toF32(f32, src)
	back := make([]BF16, len(src))
	fromF32(back, f32)
	for i, h := range src {
		f := h.F32()
		if math.Float32bits(f) != uint32(h)<<16 {
			t.Fatalf("BF16(%#04x).F32() = %#08x, want %#08x", uint16(h), math.Float32bits(f), uint32(h)<<16)
		}
		if math.Float32bits(f32[i]) != math.Float32bits(f) {
			t.Fatalf("F32sFromBF16 at %#04x = %#08x, scalar %#08x", i, math.Float32bits(f32[i]), math.Float32bits(f))
		}
		if isNaN32(f) {
			if !isNaN32(back[i].F32()) || !isNaN32(BF16FromF32(f).F32()) {
				t.Fatalf("NaN %#04x came back as %#04x", uint16(h), uint16(back[i]))
			}
			continue
		}
		if back[i] != h || BF16FromF32(f) != h {
			t.Fatalf("%#04x came back as %#04x (slice), %#04x (scalar)", uint16(h), uint16(back[i]), uint16(BF16FromF32(f)))
		}
	}
}

func TestF16RoundTripAllPatterns(t *testing.T) {
	for i := range fromF16Impls {
		t.Run(fromF16Impls[i].name, func(t *testing.T) {
			testF16RoundTrip(t, fromF16Impls[i].conv, toF16Impls[i].conv)
		})
	}
}

func testF16RoundTrip(t *testing.T, toF32 func([]float32, []F16), fromF32 func([]F16, []float32)) {
	src := make([]F16, 1<<16)
	for i := range src {
		src[i] = F16(i)
	}
	f32 := make([]float32, len(src))
	toF32(f32, src)
	back := make([]F16, len(src))
	fromF32(back, f32)
	for i, h := range src {
		f := h.F32()
		want := float16.Frombits(uint16(h)).Float32() // NaNs too: both quiet them
		if math.Float32bits(f) != math.Float32bits(want) {
			t.Fatalf("F16(%#04x).F32() = %#08x, x448/float16 %#08x", uint16(h), math.Float32bits(f), math.Float32bits(want))
		}
		if math.Float32bits(f32[i]) != math.Float32bits(f) {
			t.Fatalf("F32sFromF16 at %#04x = %#08x, scalar %#08x", i, math.Float32bits(f32[i]), math.Float32bits(f))
		}
		if isNaN32(f) {
			if !isNaN32(back[i].F32()) || !isNaN32(F16FromF32(f).F32()) {
				t.Fatalf("NaN %#04x came back as %#04x", uint16(h), uint16(back[i]))
			}
			continue
		}
		if back[i] != h || F16FromF32(f) != h {
			t.Fatalf("%#04x came back as %#04x (slice), %#04x (scalar)", uint16(h), uint16(back[i]), uint16(F16FromF32(f)))
		}
	}
}

// TestKnownValues pins the casts on named edge cases, independently of any
// oracle.
func TestKnownValues(t *testing.T) {
	tests := []struct {
		name string
		x    uint32 // float32 bits
		bf16 BF16
		f16  F16
	}{
		{"+0", 0x00000000, 0x0000, 0x0000},
		{"-0", 0x80000000, 0x8000, 0x8000},
		{"one", 0x3f800000, 0x3f80, 0x3c00},
		{"minus_two", 0xc0000000, 0xc000, 0xc000},
		{"+Inf", 0x7f800000, 0x7f80, 0x7c00},
		{"-Inf", 0xff800000, 0xff80, 0xfc00},
		{"quiet_NaN", 0x7fc00000, 0x7fc0, 0x7e00},
		{"signalling_NaN_low_payload_stays_NaN", 0x7f800001, 0x7fc0, 0x7e00},
		{"negative_NaN_keeps_sign_and_payload", 0xffa02000, 0xffe0, 0xff01},
		{"bf16_tie_to_even_down", 0x3f808000, 0x3f80, 0x3c04},
		{"bf16_tie_to_even_up", 0x3f818000, 0x3f82, 0x3c0c},
		{"bf16_above_tie", 0x3f808001, 0x3f81, 0x3c04},
		{"max_float32_to_bf16_Inf", 0x7f7fffff, 0x7f80, 0x7c00},
		{"bf16_max_finite", 0x7f7f0000, 0x7f7f, 0x7c00},
		{"below_bf16_overflow_tie", 0x7f7f7fff, 0x7f7f, 0x7c00},
		{"float32_subnormal_to_bf16_subnormal", 0x00010000, 0x0001, 0x0000},
		{"smallest_float32_subnormal", 0x00000001, 0x0000, 0x0000},
		{"f16_max_finite_65504", 0x477fe000, 0x4780, 0x7bff},
		{"just_below_65520", 0x477fefff, 0x4780, 0x7bff},
		{"f16_overflow_threshold_65520", 0x477ff000, 0x4780, 0x7c00},
		{"65536", 0x47800000, 0x4780, 0x7c00},
		{"f16_tie_to_even_down_1+2^-11", 0x3f801000, 0x3f80, 0x3c00},
		{"f16_tie_to_even_up_1+3·2^-11", 0x3f803000, 0x3f80, 0x3c02},
		{"f16_smallest_normal_2^-14", 0x38800000, 0x3880, 0x0400},
		{"f16_largest_subnormal", 0x387fc000, 0x3880, 0x03ff},
		{"tie_largest_subnormal_smallest_normal", 0x387fe000, 0x3880, 0x0400},
		{"f16_smallest_subnormal_2^-24", 0x33800000, 0x3380, 0x0001},
		{"half_smallest_subnormal_2^-25_ties_to_zero", 0x33000000, 0x3300, 0x0000},
		{"just_above_2^-25", 0x33000001, 0x3300, 0x0001},
		{"minus_just_above_2^-25", 0xb3000001, 0xb300, 0x8001},
		{"3·2^-25_ties_to_even", 0x33c00000, 0x33c0, 0x0002},
		{"5·2^-25_ties_to_even", 0x34200000, 0x3420, 0x0002},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := math.Float32frombits(tt.x)
			if got := BF16FromF32(x); got != tt.bf16 {
				t.Errorf("BF16FromF32(%#08x) = %#04x, want %#04x", tt.x, uint16(got), uint16(tt.bf16))
			}
			if got := F16FromF32(x); got != tt.f16 {
				t.Errorf("F16FromF32(%#08x) = %#04x, want %#04x", tt.x, uint16(got), uint16(tt.f16))
			}
			b := []BF16{0}
			BF16FromF32s(b, []float32{x})
			if b[0] != tt.bf16 {
				t.Errorf("BF16FromF32s(%#08x) = %#04x, want %#04x", tt.x, uint16(b[0]), uint16(tt.bf16))
			}
			h := []F16{0}
			F16FromF32s(h, []float32{x})
			if h[0] != tt.f16 {
				t.Errorf("F16FromF32s(%#08x) = %#04x, want %#04x", tt.x, uint16(h[0]), uint16(tt.f16))
			}
		})
	}
}

// edgePatterns returns float32 bit patterns around every tie point of both
// formats: for each bfloat16 and float16 value v, the midpoint between v and
// the next value away from zero, one float32 ulp either side of it, and v
// itself, plus the special values, all with both signs.
func edgePatterns() []uint32 {
	var out []uint32
	add := func(b uint32) {
		for _, d := range []uint32{b - 1, b, b + 1} {
			out = append(out, d&0x7fffffff, d|0x80000000)
		}
	}
	for v := uint32(0); v < 0x7f80; v++ {
		add(v << 16)        // bfloat16 value
		add(v<<16 | 0x8000) // midpoint to the next bfloat16
	}
	for v := range uint16(0x7c00) {
		lo := float64(F16(v).F32())
		hi := float64(F16(v + 1).F32())
		if v == 0x7bff {
			hi = 65536 // the value the exponent range would give after 65504
		}
		add(math.Float32bits(F16(v).F32()))
		add(math.Float32bits(float32((lo + hi) / 2))) // exact: 12 significant bits
	}
	for _, b := range []uint32{0x7f800000, 0x7f800001, 0x7f800fff, 0x7f80ffff, 0x7f802000, 0x7fbfffff, 0x7fc00000, 0x7fffffff, 0x7f7fffff, 0x00000001, 0x007fffff, 0x00800000} {
		add(b)
	}
	return out
}

// randomPatterns returns n uniformly random float32 bit patterns followed by
// n patterns with exponents in the float16 range and its surroundings.
func randomPatterns(n int) []uint32 {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]uint32, 2*n)
	for i := range n {
		out[i] = r.Uint32()
	}
	for i := n; i < 2*n; i++ {
		exp := 98 + r.Uint32N(50) // 2^-29 … 2^20
		out[i] = r.Uint32()&0x807fffff | exp<<23
	}
	return out
}

// forTestPatterns calls check on the patterns tested against the oracles:
// the edges, then random patterns (2^20 of each kind, 2^18 under -short), or
// all 2^32 patterns in chunks under -exhaustive.
func forTestPatterns(t *testing.T, check func(bits []uint32)) {
	t.Helper()
	check(edgePatterns())
	if *exhaustive {
		chunk := make([]uint32, 1<<20)
		for hi := uint32(0); hi < 1<<12; hi++ {
			for i := range chunk {
				chunk[i] = hi<<20 | uint32(i)
			}
			check(chunk)
		}
		return
	}
	n := 1 << 20
	if testing.Short() {
		n = 1 << 18
	}
	check(randomPatterns(n))
}

func TestBF16AgainstOracle(t *testing.T) {
	for _, impl := range toBF16Impls {
		t.Run(impl.name, func(t *testing.T) {
			forTestPatterns(t, func(bits []uint32) { checkBF16(t, bits, impl.conv, impl.round) })
		})
	}
}

func checkBF16(t *testing.T, bits []uint32, conv func([]BF16, []float32), round func([]float32)) {
	t.Helper()
	src := make([]float32, len(bits))
	for i, b := range bits {
		src[i] = math.Float32frombits(b)
	}
	dst := make([]BF16, len(src))
	conv(dst, src)
	rounded := append([]float32(nil), src...)
	round(rounded)
	for i, x := range src {
		want := oracleBF16(x)
		got := BF16FromF32(x)
		switch {
		case isNaN32(x):
			if !isNaN32(got.F32()) || !isNaN32(dst[i].F32()) || !isNaN32(rounded[i]) {
				t.Fatalf("NaN %#08x: scalar %#04x, slice %#04x, RoundBF16 %#08x; want NaN", bits[i], uint16(got), uint16(dst[i]), math.Float32bits(rounded[i]))
			}
		case got != want:
			t.Fatalf("BF16FromF32(%#08x) = %#04x, oracle %#04x", bits[i], uint16(got), uint16(want))
		}
		if dst[i] != got {
			t.Fatalf("BF16FromF32s at %#08x = %#04x, scalar %#04x", bits[i], uint16(dst[i]), uint16(got))
		}
		if math.Float32bits(rounded[i]) != math.Float32bits(got.F32()) {
			t.Fatalf("RoundBF16(%#08x) = %#08x, scalar round trip %#08x", bits[i], math.Float32bits(rounded[i]), math.Float32bits(got.F32()))
		}
	}
}

func TestF16AgainstOracles(t *testing.T) {
	for _, impl := range toF16Impls {
		t.Run(impl.name, func(t *testing.T) {
			forTestPatterns(t, func(bits []uint32) { checkF16(t, bits, impl.conv, impl.round) })
		})
	}
}

func checkF16(t *testing.T, bits []uint32, conv func([]F16, []float32), round func([]float32)) {
	t.Helper()
	src := make([]float32, len(bits))
	for i, b := range bits {
		src[i] = math.Float32frombits(b)
	}
	dst := make([]F16, len(src))
	conv(dst, src)
	rounded := append([]float32(nil), src...)
	round(rounded)
	for i, x := range src {
		want := F16(float16.Fromfloat32(x).Bits())
		got := F16FromF32(x)
		switch {
		case isNaN32(x):
			if !isNaN32(got.F32()) || !isNaN32(dst[i].F32()) || !isNaN32(rounded[i]) {
				t.Fatalf("NaN %#08x: scalar %#04x, slice %#04x, RoundF16 %#08x; want NaN", bits[i], uint16(got), uint16(dst[i]), math.Float32bits(rounded[i]))
			}
		case got != want:
			t.Fatalf("F16FromF32(%#08x) = %#04x, x448/float16 %#04x", bits[i], uint16(got), uint16(want))
		case math.Float32bits(got.F32()) != math.Float32bits(oracleRoundF16(x)):
			t.Fatalf("F16FromF32(%#08x) = %#04x (%g), float64 oracle %g", bits[i], uint16(got), got.F32(), oracleRoundF16(x))
		}
		if dst[i] != got {
			t.Fatalf("F16FromF32s at %#08x = %#04x, scalar %#04x", bits[i], uint16(dst[i]), uint16(got))
		}
		if math.Float32bits(rounded[i]) != math.Float32bits(got.F32()) {
			t.Fatalf("RoundF16(%#08x) = %#08x, scalar round trip %#08x", bits[i], math.Float32bits(rounded[i]), math.Float32bits(got.F32()))
		}
	}
}

func TestSliceLengthMismatchPanics(t *testing.T) {
	tests := []struct {
		name string
		call func()
	}{
		{"BF16FromF32s", func() { BF16FromF32s(make([]BF16, 2), make([]float32, 3)) }},
		{"F32sFromBF16", func() { F32sFromBF16(make([]float32, 3), make([]BF16, 2)) }},
		{"F16FromF32s", func() { F16FromF32s(make([]F16, 2), make([]float32, 3)) }},
		{"F32sFromF16", func() { F32sFromF16(make([]float32, 3), make([]F16, 2)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("%s with mismatched lengths did not panic", tt.name)
				}
			}()
			tt.call()
		})
	}
}
