package perf

import "testing"

// TestMeasureRuns checks the measurement plumbing on the smallest case of
// each preset (one repetition); it asserts nothing about speed.
func TestMeasureRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 130M-parameter models")
	}
	for _, p := range Presets {
		rs, err := Measure(p, []Case{{1, 8, false}, {1, 2, true}}, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if !(r.TokensPerSec > 0) || r.Params < 100e6 || r.Params > 200e6 {
				t.Errorf("%s %v: %+v", p.Name, r.Case, r)
			}
			if r.Case.Decode != (r.WeightGBs > 0) {
				t.Errorf("%s %v: weight bandwidth %g reported for the wrong case", p.Name, r.Case, r.WeightGBs)
			}
		}
	}
}

// TestMeasureTrainRuns checks the training-step plumbing on a short sequence.
func TestMeasureTrainRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 130M-parameter model")
	}
	r, err := MeasureTrain(Presets[0], TrainOptions{Batch: 1, Seq: 8, Reps: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !(r.TokensPerSec > 0) || r.PeakRSS <= 0 || r.GFLOPs <= 0 {
		t.Errorf("%+v", r)
	}
}
