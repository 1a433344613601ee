//go:build cgo && !purego

package kernel

// sgemmImpls lists the f32 GEMMs of this build, the one Sgemm uses first.
var sgemmImpls = []namedGemm[float32]{{"openblas", sgemm}, {"go", sgemmGo}}
