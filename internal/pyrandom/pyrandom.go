// Package pyrandom reproduces CPython's random.Random (the MT19937 Mersenne
// Twister seeded from an integer, and the random, getrandbits, randbelow,
// shuffle and sample methods built on it) bit for bit, so that steady draws
// the same few-shot examples as lm-evaluation-harness, whose samplers use
// random.Random(seed).
package pyrandom

import "math/bits"

const (
	n         = 624
	m         = 397
	matrixA   = 0x9908b0df
	upperMask = 0x80000000
	lowerMask = 0x7fffffff
)

// Rand is CPython's random.Random.
type Rand struct {
	mt  [n]uint32
	mti int
}

// New returns a generator seeded as random.Random(seed): the absolute value
// of seed, as 32-bit words least significant first, goes through init_by_array.
func New(seed int64) *Rand {
	u := uint64(seed)
	if seed < 0 {
		u = uint64(-seed)
	}
	key := []uint32{uint32(u)}
	if hi := uint32(u >> 32); hi != 0 {
		key = append(key, hi)
	}
	r := &Rand{}
	r.initByArray(key)
	return r
}

// initGenrand is MT19937's init_genrand.
func (r *Rand) initGenrand(s uint32) {
	r.mt[0] = s
	for i := 1; i < n; i++ {
		r.mt[i] = 1812433253*(r.mt[i-1]^(r.mt[i-1]>>30)) + uint32(i)
	}
	r.mti = n
}

// initByArray is MT19937's init_by_array, as CPython's random_seed calls it.
func (r *Rand) initByArray(key []uint32) {
	r.initGenrand(19650218)
	i, j := 1, 0
	k := max(n, len(key))
	for ; k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1664525)) + key[j] + uint32(j)
		i++
		j++
		if i >= n {
			r.mt[0] = r.mt[n-1]
			i = 1
		}
		if j >= len(key) {
			j = 0
		}
	}
	for k = n - 1; k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1566083941)) - uint32(i)
		i++
		if i >= n {
			r.mt[0] = r.mt[n-1]
			i = 1
		}
	}
	r.mt[0] = 0x80000000
}

// Uint32 is genrand_uint32: the next tempered 32-bit output.
func (r *Rand) Uint32() uint32 {
	if r.mti >= n {
		for kk := 0; kk < n; kk++ {
			y := r.mt[kk]&upperMask | r.mt[(kk+1)%n]&lowerMask
			r.mt[kk] = r.mt[(kk+m)%n] ^ y>>1
			if y&1 != 0 {
				r.mt[kk] ^= matrixA
			}
		}
		r.mti = 0
	}
	y := r.mt[r.mti]
	r.mti++
	y ^= y >> 11
	y ^= y << 7 & 0x9d2c5680
	y ^= y << 15 & 0xefc60000
	y ^= y >> 18
	return y
}

// Float64 is random.random(): 53 random bits scaled to [0, 1).
func (r *Rand) Float64() float64 {
	a, b := r.Uint32()>>5, r.Uint32()>>6
	return (float64(a)*67108864.0 + float64(b)) * (1.0 / 9007199254740992.0)
}

// Bits is random.getrandbits(k) for 0 < k ≤ 64: 32-bit words are drawn least
// significant first and the last one is shifted down to the bits still needed.
func (r *Rand) Bits(k int) uint64 {
	if k <= 0 || k > 64 {
		panic("pyrandom: Bits needs 0 < k ≤ 64")
	}
	var out uint64
	for shift := 0; k > 0; shift += 32 {
		w := r.Uint32()
		if k < 32 {
			w >>= 32 - k
		}
		out |= uint64(w) << shift
		k -= 32
	}
	return out
}

// Below is random._randbelow(n): rejection sampling on n.bit_length() bits.
func (r *Rand) Below(n int) int {
	if n <= 0 {
		panic("pyrandom: Below needs n > 0")
	}
	k := bits.Len64(uint64(n))
	v := r.Bits(k)
	for v >= uint64(n) {
		v = r.Bits(k)
	}
	return int(v)
}

// Shuffle is random.shuffle(x) on indices 0..n-1, calling swap as CPython swaps.
func (r *Rand) Shuffle(n int, swap func(i, j int)) {
	for i := n - 1; i > 0; i-- {
		swap(i, r.Below(i+1))
	}
}

// Sample is random.sample(range(n), k): k distinct indices in selection
// order. Like CPython it keeps a pool for small n and a rejection set for
// large n, which changes which draws are made, so both are reproduced.
func (r *Rand) Sample(n, k int) []int {
	if k < 0 || k > n {
		panic("pyrandom: Sample larger than population or negative")
	}
	result := make([]int, k)
	setsize := 21
	if k > 5 {
		// 4 ** ceil(log(3k, 4)), computed exactly on integers.
		p := 1
		for p < 3*k {
			p *= 4
		}
		setsize += p
	}
	if n <= setsize {
		pool := make([]int, n)
		for i := range pool {
			pool[i] = i
		}
		for i := range k {
			j := r.Below(n - i)
			result[i] = pool[j]
			pool[j] = pool[n-i-1]
		}
		return result
	}
	selected := make(map[int]bool, k)
	for i := range k {
		j := r.Below(n)
		for selected[j] {
			j = r.Below(n)
		}
		selected[j] = true
		result[i] = j
	}
	return result
}
