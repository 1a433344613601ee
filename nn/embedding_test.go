package nn

import (
	"strings"
	"testing"
)

func TestEmbeddingForward(t *testing.T) {
	e, err := NewEmbedding([]float32{0, 1, 10, 11, 20, 21}, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		tokens  []int32
		want    []float32
		wantErr string
	}{
		{"rows_in_order", []int32{2, 0, 1}, []float32{20, 21, 0, 1, 10, 11}, ""},
		{"id_equal_to_vocab", []int32{0, 3}, nil, "token id 3 at position 1"},
		{"negative_id", []int32{-1}, nil, "token id -1 at position 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := make([]float32, len(tc.tokens)*2)
			err := e.Forward(out, tc.tokens)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			requireClose(t, "out", out, tc.want, 0, 0)
		})
	}
	if _, err := NewEmbedding(make([]float32, 5), 3, 2); err == nil {
		t.Error("short weight: no error")
	}
}
