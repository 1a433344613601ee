package eval

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/steady-ml/steady/eval/fewshot"
	"github.com/steady-ml/steady/eval/task"
)

// Options configure a run of one task at one number of few-shot examples.
type Options struct {
	// DataDir is the folder the task files are read from.
	DataDir string
	// NumFewshot is k, the number of few-shot examples.
	NumFewshot int
	// Limit evaluates only the first Limit documents (0: all), as lm-eval's --limit.
	Limit int
	// FewshotSeed seeds the few-shot sampler (lm-eval's fewshot_random_seed).
	FewshotSeed int64
	// Shard and NumShards select documents doc_id % NumShards == Shard
	// (NumShards 0 or 1: all). Few-shot contexts are built for every
	// document in order regardless, so a shard scores exactly the prompts
	// of an unsharded run.
	Shard, NumShards int
	// EOT is the token that stands for an empty context.
	EOT int32
	// Progress, when set, is called once per task with the number of
	// requests to score and returns a function told how many more are done.
	Progress func(name string, total int) func(done int)
}

// DocResult is one scored document.
type DocResult struct {
	DocID    int
	Doc      *task.Doc
	Requests []fewshot.Request
	Scores   []Scored
	// Metrics are the per-document values: acc and acc_norm as 0/1, and
	// for Loglikelihood tasks perplexity as the log-likelihood (the value
	// lm-eval aggregates with exp(-mean)).
	Metrics map[string]float64
}

// TaskResult is one task evaluated at one k.
type TaskResult struct {
	Task      *task.Task
	NumShot   int
	Original  int // documents in the evaluation split
	Effective int // documents after --limit
	Docs      []DocResult
	Truncated int     // requests left-truncated to the model's max length
	Seconds   float64 // wall time of the scoring
}

// DocsPerSecond is the scoring speed of the run.
func (r *TaskResult) DocsPerSecond() float64 {
	if r.Seconds == 0 {
		return 0
	}
	return float64(len(r.Docs)) / r.Seconds
}

// Run evaluates task t with the scorer and tokenizer.
func Run(t *task.Task, tok Tokenizer, sc *Scorer, opt Options) (*TaskResult, error) {
	docs, err := t.Docs(opt.DataDir)
	if err != nil {
		return nil, err
	}
	res := &TaskResult{Task: t, NumShot: opt.NumFewshot, Original: len(docs), Effective: len(docs)}
	if opt.Limit > 0 && opt.Limit < len(docs) {
		res.Effective = opt.Limit
	}
	t.Config["num_fewshot"] = opt.NumFewshot
	var sampler *fewshot.Sampler
	if opt.NumFewshot > 0 {
		pool, err := t.FewshotDocs(opt.DataDir)
		if err != nil {
			return nil, err
		}
		sampler = fewshot.NewSampler(t, pool, opt.FewshotSeed)
		if err := sampler.Check(opt.NumFewshot); err != nil {
			return nil, err
		}
	}
	for i := range res.Effective {
		var ex []*task.Doc
		if sampler != nil {
			if ex, err = sampler.Examples(&docs[i], opt.NumFewshot); err != nil {
				return nil, err
			}
		}
		if opt.NumShards > 1 && i%opt.NumShards != opt.Shard {
			continue
		}
		reqs := fewshot.Requests(t, fewshot.Context(t, ex, &docs[i]), &docs[i])
		res.Docs = append(res.Docs, DocResult{DocID: i, Doc: &docs[i], Requests: reqs})
	}
	var report func(int)
	if opt.Progress != nil {
		report = opt.Progress(t.Name, countRequests(res.Docs))
	}
	truncated0 := sc.Truncated
	start := time.Now()
	if err := scoreDocs(t, tok, sc, res.Docs, opt.EOT, report); err != nil {
		return nil, fmt.Errorf("task %s: %w", t.Name, err)
	}
	res.Seconds = time.Since(start).Seconds()
	res.Truncated = sc.Truncated - truncated0
	return res, nil
}

func countRequests(docs []DocResult) int {
	n := 0
	for _, d := range docs {
		n += len(d.Requests)
	}
	return n
}

// scoreDocs tokenises and scores the requests of all docs in one call, so
// the scorer can sort them by length and share inputs across documents as
// lm-eval does, and fills in the documents' metrics.
func scoreDocs(t *task.Task, tok Tokenizer, sc *Scorer, docs []DocResult, eot int32, report func(int)) error {
	var pairs []TokenPair
	for _, d := range docs {
		for _, r := range d.Requests {
			pairs = append(pairs, EncodePair(tok, r.Context, r.Continuation, eot))
		}
	}
	scores, err := sc.Score(pairs, report)
	if err != nil {
		return err
	}
	for i := range docs {
		n := len(docs[i].Requests)
		docs[i].Scores, scores = scores[:n], scores[n:]
		docs[i].Metrics = docMetrics(t, docs[i].Doc, docs[i].Scores)
	}
	return nil
}

// docMetrics is lm-eval's process_results for multiple_choice and
// loglikelihood: acc compares the argmax of the log-likelihoods with the
// gold index, acc_norm the argmax of log-likelihood per character of each
// choice (Python len: code points), both taking the first maximum as
// np.argmax does.
func docMetrics(t *task.Task, doc *task.Doc, scores []Scored) map[string]float64 {
	m := map[string]float64{}
	if t.Kind == task.Loglikelihood {
		m["perplexity"] = scores[0].LL
		m["acc"] = b2f(scores[0].Greedy)
		return keep(m, t.Metrics)
	}
	pred, predNorm := 0, 0
	for i, s := range scores {
		if s.LL > scores[pred].LL {
			pred = i
		}
		norm := func(j int) float64 { return scores[j].LL / float64(utf8.RuneCountInString(doc.Choices[j])) }
		if norm(i) > norm(predNorm) {
			predNorm = i
		}
	}
	m["acc"] = b2f(pred == doc.Gold)
	m["acc_norm"] = b2f(predNorm == doc.Gold)
	return keep(m, t.Metrics)
}

func keep(m map[string]float64, names []string) map[string]float64 {
	out := make(map[string]float64, len(names))
	for _, n := range names {
		out[n] = m[n]
	}
	return out
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
