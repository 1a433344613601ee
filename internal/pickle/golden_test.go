package pickle

import (
	"reflect"
	"testing"
)

// TestTorchSaveGolden reads files written by CPython's own pickler exactly as
// torch.save lays a state dict out (see testdata/mimic_torch_save.py): memo
// opcodes, TUPLE2, Parameters, _rebuild_from_type_v2, the OrderedDict's
// _metadata, a transposed view, an offset view and a tied head; once with
// protocol 2 (torch's default) and once with protocol 4 (STACK_GLOBAL, FRAME,
// MEMOIZE).
func TestTorchSaveGolden(t *testing.T) {
	for _, file := range []string{"testdata/torch_save_zip.bin", "testdata/torch_save_zip_proto4.bin"} {
		t.Run(file, func(t *testing.T) { checkGolden(t, file) })
	}
}

func checkGolden(t *testing.T, file string) {
	got, err := load(t, file)
	if err != nil {
		t.Fatal(err)
	}
	emb := f32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
	want := []Tensor{
		{Name: "backbone.embedding.weight", DType: "F32", Shape: []int{4, 3}, Data: emb},
		{Name: "backbone.layers.0.norm.weight", DType: "BF16", Shape: []int{2}, Data: []byte{0x80, 0x3f, 0x20, 0xc0}},
		{Name: "backbone.layers.0.mixer.conv1d.weight", DType: "F32", Shape: []int{3, 2}, Data: f32(10, 13, 11, 14, 12, 15)},
		{Name: "backbone.layers.0.mixer.D", DType: "F32", Shape: []int{3}, Data: f32(3, 4, 5)},
		{Name: "step", DType: "I64", Shape: []int{}, Data: []byte{0xd2, 0x04, 0, 0, 0, 0, 0, 0}},
		{Name: "lm_head.weight", DType: "F32", Shape: []int{4, 3}, Data: emb, Tied: "backbone.embedding.weight"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d tensors, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("tensor %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}
