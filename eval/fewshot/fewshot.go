package fewshot

import (
	"fmt"

	"github.com/steady-ml/steady/eval/task"
	"github.com/steady-ml/steady/internal/pyrandom"
)

// DefaultSeed is lm-eval's default fewshot_random_seed.
const DefaultSeed = 1234

// Sampler draws few-shot examples for the documents of one task run.
type Sampler struct {
	t    *task.Task
	pool []task.Doc
	rnd  *pyrandom.Rand
}

// NewSampler returns a sampler over pool seeded as random.Random(seed).
func NewSampler(t *task.Task, pool []task.Doc, seed int64) *Sampler {
	return &Sampler{t: t, pool: pool, rnd: pyrandom.New(seed)}
}

// Check reports whether k examples can be drawn from the pool.
func (s *Sampler) Check(k int) error {
	n := k
	if !s.t.FirstN && s.t.DrawExtra {
		n = k + 1
	}
	if n > len(s.pool) {
		return fmt.Errorf("task %s: %d-shot needs %d few-shot documents but the %s pool has %d", s.t.Name, k, n, s.t.FewshotSplit, len(s.pool))
	}
	return nil
}

// Examples draws the k examples for doc. Call it for the documents in
// order: each call advances the shared generator.
func (s *Sampler) Examples(doc *task.Doc, k int) ([]*task.Doc, error) {
	if k == 0 {
		return nil, nil
	}
	if err := s.Check(k); err != nil {
		return nil, err
	}
	var idx []int
	if s.t.FirstN {
		idx = make([]int, k)
		for i := range idx {
			idx[i] = i
		}
	} else {
		n := k
		if s.t.DrawExtra {
			n = k + 1
		}
		idx = s.rnd.Sample(len(s.pool), n)
	}
	out := make([]*task.Doc, 0, k)
	for _, i := range idx {
		ex := &s.pool[i]
		if ex.Key() == doc.Key() {
			continue
		}
		if len(out) < k {
			out = append(out, ex)
		}
	}
	return out, nil
}

// Context is lm-eval's fewshot_context without a chat template: the
// description, then each example as its text, the target delimiter, its
// target and the few-shot delimiter, then the document's text (nothing for
// a multiple-input task, whose per-choice contexts are appended to it).
func Context(t *task.Task, examples []*task.Doc, doc *task.Doc) string {
	ctx := t.Description
	for _, ex := range examples {
		switch t.Kind {
		case task.MultipleInput:
			ctx += ex.Choices[ex.Gold]
		default:
			ctx += ex.Text
		}
		if ex.Target != "" {
			ctx += t.TargetDelimiter + ex.Target + t.FewshotDelimiter
		}
	}
	if t.Kind != task.MultipleInput {
		ctx += doc.Text
	}
	return ctx
}

// Request is one (context, continuation) pair to score.
type Request struct {
	Context, Continuation string
}

// Requests is lm-eval's construct_requests for a document whose few-shot
// context is ctx: one request per choice (MultipleChoice: the target
// delimiter and the choice after ctx; MultipleInput: ctx plus the choice,
// then the delimiter and the shared target), or a single one for
// Loglikelihood (the target, with no delimiter).
func Requests(t *task.Task, ctx string, doc *task.Doc) []Request {
	switch t.Kind {
	case task.MultipleInput:
		reqs := make([]Request, len(doc.Choices))
		for i, c := range doc.Choices {
			reqs[i] = Request{ctx + c, t.TargetDelimiter + doc.Target}
		}
		return reqs
	case task.Loglikelihood:
		return []Request{{ctx, doc.Target}}
	}
	reqs := make([]Request, len(doc.Choices))
	for i, c := range doc.Choices {
		reqs[i] = Request{ctx, t.TargetDelimiter + c}
	}
	return reqs
}
