package fewshot

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/steady-ml/steady/eval/task"
	"github.com/steady-ml/steady/internal/fixture"
)

// goldenDoc is one document of a golden file written by testdata/lmeval_ref.py.
type goldenDoc struct {
	DocID    int         `json:"doc_id"`
	Requests [][2]string `json:"requests"`
}

// TestGoldenPrompts checks the exact (context, continuation) strings of
// several documents, at k=0 and k=5, against testdata/golden, which
// testdata/lmeval_ref.py writes by restating lm-eval 0.4.x's rules in
// Python (jinja2 templates, random.Random(1234) shared across documents).
// Tasks without a training split in shared/data draw from the stand-in
// pools of testdata/pools.
func TestGoldenPrompts(t *testing.T) {
	data := overlay(t, fixture.DataPath(t), "testdata/pools")
	files, err := filepath.Glob("testdata/golden/*shot.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, file := range files {
		base := strings.TrimSuffix(filepath.Base(file), "shot.json")
		cut := strings.LastIndex(base, "_")
		name, k := base[:cut], int(base[cut+1]-'0')
		t.Run(base, func(t *testing.T) {
			var want []goldenDoc
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			got := buildRequests(t, data, name, k, want[len(want)-1].DocID+1)
			for _, w := range want {
				g := got[w.DocID]
				if len(g) != len(w.Requests) {
					t.Fatalf("doc %d: %d requests, want %d", w.DocID, len(g), len(w.Requests))
				}
				for j, r := range w.Requests {
					if g[j].Context != r[0] {
						t.Errorf("doc %d request %d context:\n got %q\nwant %q", w.DocID, j, g[j].Context, r[0])
					}
					if g[j].Continuation != r[1] {
						t.Errorf("doc %d request %d continuation: got %q, want %q", w.DocID, j, g[j].Continuation, r[1])
					}
				}
			}
		})
	}
}

// overlay returns a data folder with the files of data and, on top, those
// of pools: the stand-in training splits of the tasks shared/data has none for.
func overlay(t *testing.T, data, pools string) string {
	t.Helper()
	dir := t.TempDir()
	for _, src := range []string{data, pools} {
		abs, err := filepath.Abs(src)
		if err != nil {
			t.Fatal(err)
		}
		sub, err := os.ReadDir(abs)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range sub {
			if !d.IsDir() {
				continue
			}
			files, err := os.ReadDir(filepath.Join(abs, d.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Join(dir, d.Name()), 0o755); err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				if err := os.Symlink(filepath.Join(abs, d.Name(), f.Name()), filepath.Join(dir, d.Name(), f.Name())); err != nil && !os.IsExist(err) {
					t.Fatal(err)
				}
			}
		}
	}
	return dir
}

// buildRequests builds the requests of the first n documents of a task in
// order, as a run would.
func buildRequests(t *testing.T, data, name string, k, n int) [][]Request {
	t.Helper()
	sel, err := task.Resolve([]string{name})
	if err != nil {
		t.Fatal(err)
	}
	tk := sel.Tasks[0]
	docs, err := tk.Docs(data)
	if err != nil {
		t.Fatal(err)
	}
	var s *Sampler
	if k > 0 {
		pool, err := tk.FewshotDocs(data)
		if err != nil {
			t.Fatal(err)
		}
		s = NewSampler(tk, pool, DefaultSeed)
	}
	out := make([][]Request, n)
	for i := range out {
		var ex []*task.Doc
		if s != nil {
			if ex, err = s.Examples(&docs[i], k); err != nil {
				t.Fatal(err)
			}
		}
		out[i] = Requests(tk, Context(tk, ex, &docs[i]), &docs[i])
	}
	return out
}

// TestHandDerivedPrompts spells out a few prompts by hand from the task
// configs, independently of the golden files.
func TestHandDerivedPrompts(t *testing.T) {
	data := fixture.DataPath(t)
	cases := []struct {
		name      string
		task      string
		doc, req  int
		ctx, cont string
	}{
		{"arc_easy/question_answer", "arc_easy", 0, 0,
			"Question: Which statement best explains why photosynthesis is the foundation of most food webs?\nAnswer:",
			" Sunlight is the source of energy for nearly all ecosystems."},
		{"copa/connector_and_double_space", "copa", 0, 1,
			"The man turned on the faucet therefore", "  water flowed from the spout."},
		{"winogrande/partial_context", "winogrande", 0, 1,
			"Sarah was a much better surgeon than Maria so Maria", " always got the easier cases."},
		{"piqa/second_solution", "piqa", 0, 1,
			"Question: How do I ready a guinea pig cage for it's new occupants?\nAnswer:",
			" Provide the guinea pig with a cage full of a few inches of bedding made of ripped jeans material, you will also need to supply it with a water bottle and a food dish."},
		{"hellaswag/ctx_b_capitalised", "hellaswag", 0, 3,
			"Roof shingle removal: A man is sitting on a roof. He", " starts pulling up roofing on a roof."},
		{"mmlu/description_and_letters", "mmlu_anatomy", 0, 0,
			"The following are multiple choice questions (with answers) about anatomy.\n\n" +
				"A lesion causing compression of the facial nerve at the stylomastoid foramen will cause ipsilateral\n" +
				"A. paralysis of the facial muscles.\nB. paralysis of the facial muscles and loss of taste.\n" +
				"C. paralysis of the facial muscles, loss of taste and lacrimation.\n" +
				"D. paralysis of the facial muscles, loss of taste, lacrimation and decreased salivation.\nAnswer:", " A"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := buildRequests(t, data, c.task, 0, c.doc+1)[c.doc][c.req]
			if got.Context != c.ctx || got.Continuation != c.cont {
				t.Errorf("got (%q, %q)\nwant (%q, %q)", got.Context, got.Continuation, c.ctx, c.cont)
			}
		})
	}
}
