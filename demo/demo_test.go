package demo

import (
	"io"
	"testing"

	"github.com/steady-ml/steady/checkpoint"
)

func TestRun(t *testing.T) {
	opt := Options{OutDir: t.TempDir(), Seed: 1, PrefillTokens: 16, DecodeTokens: 2}
	results, err := Run(opt, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != len(architectures) {
		t.Fatalf("%d results, want %d", len(results), len(architectures))
	}
	for _, r := range results {
		// The fixtures README observes recurrent vs parallel within 4e-6 on
		// the reference code; allow the same order here.
		if r.DecodeMaxDiff > 1e-4 {
			t.Errorf("%s: recurrent vs parallel max diff %g > 1e-4", r.Arch, r.DecodeMaxDiff)
		}
		if r.Generated == "" || r.PrefillTokS <= 0 || r.DecodeTokS <= 0 {
			t.Errorf("%s: incomplete result %+v", r.Arch, r)
		}
		if _, err := checkpoint.Load(r.Dir); err != nil {
			t.Errorf("%s: the written checkpoint does not load: %v", r.Arch, err)
		}
	}
}
