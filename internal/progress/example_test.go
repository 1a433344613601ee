package progress_test

import "github.com/steady-ml/steady/internal/progress"

// A Bar counts the tensors a conversion writes. On a terminal it draws a bar;
// in a log it writes a line every few seconds and one when finished.
func Example() {
	tensors := []string{"embedding.weight", "norm_f.weight"}
	bar := progress.New(int64(len(tensors)), "convert", progress.Items)
	for range tensors {
		bar.Add(1)
	}
	bar.Finish()
}
