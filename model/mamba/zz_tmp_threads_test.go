package mamba

import (
	"testing"

	"github.com/steady-ml/steady/kernel"
)

func BenchmarkDecode1Thread(b *testing.B) {
	kernel.SetThreads(1)
	BenchmarkDecode(b)
}
