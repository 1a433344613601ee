//go:build purego || !cgo

package kernel

// sgemmImpls lists the f32 GEMMs of this build.
var sgemmImpls = []namedGemm[float32]{{"go", sgemmGo}}
