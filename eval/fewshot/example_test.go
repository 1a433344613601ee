package fewshot_test

import (
	"fmt"

	"github.com/steady-ml/steady/eval/fewshot"
	"github.com/steady-ml/steady/eval/task"
)

// A two-choice task with one few-shot example: the example ends with the
// few-shot delimiter, and each choice is scored after the target delimiter.
func ExampleRequests() {
	t := &task.Task{Name: "demo", Kind: task.MultipleChoice, TargetDelimiter: " ", FewshotDelimiter: "\n\n"}
	example := &task.Doc{Text: "Question: 1+1?\nAnswer:", Choices: []string{"2", "3"}, Target: "2"}
	doc := &task.Doc{Text: "Question: 2+2?\nAnswer:", Choices: []string{"4", "5"}, Target: "4"}
	for _, r := range fewshot.Requests(t, fewshot.Context(t, []*task.Doc{example}, doc), doc) {
		fmt.Printf("%q + %q\n", r.Context, r.Continuation)
	}
	// Output:
	// "Question: 1+1?\nAnswer: 2\n\nQuestion: 2+2?\nAnswer:" + " 4"
	// "Question: 1+1?\nAnswer: 2\n\nQuestion: 2+2?\nAnswer:" + " 5"
}
