//go:build purego || !cgo

package kernel

func availableBF16() []namedGemm[uint16] {
	return []namedGemm[uint16]{{"convert+sgemm", sgemmBF16Convert}}
}
