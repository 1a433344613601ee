"""Reference prompts for the golden files of steady's eval/fewshot tests.

An independent re-statement of lm-evaluation-harness 0.4.x prompt rules:
the YAML templates rendered with jinja2 as lm_eval.utils.apply_template
does, the task utils (hellaswag process_docs, winogrande, copa) as
written in lm_eval/tasks, ContextSampler.get_context / FirstNSampler with
random.Random(1234) shared across documents, and construct_requests for
multiple_choice (with multiple_inputs) and loglikelihood.

Usage: python3 lmeval_ref.py DATA_DIR OUT_DIR POOL_DIR

shared/data has no training split for piqa, boolq, copa, openbookqa and
sciq, so POOL_DIR holds small stand-in pools in the HF layout (written by
write_pools from other rows of the same files) to check k=5 for them: the
k+1 draw when test_split is unset, the rendering of each task's examples.
"""

import ast
import csv
import json
import random
import sys

from jinja2 import BaseLoader, Environment, StrictUndefined

env = Environment(loader=BaseLoader, undefined=StrictUndefined, keep_trailing_newline=True)


def render(template, doc):
    return env.from_string(template).render(**doc)


def jsonl(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


# ---- loaders: files -> HF field layout ----------------------------------

def arc(path):
    out = []
    for r in jsonl(path):
        q = r["question"]
        out.append({"id": r["id"], "question": q["stem"], "answerKey": r["answerKey"],
                    "choices": {"text": [c["text"] for c in q["choices"]],
                                "label": [c["label"] for c in q["choices"]]}})
    return out


def piqa(path):
    rows = jsonl(path)
    labels = open(path[: -len(".jsonl")] + "-labels.lst").read().split()
    return [dict(r, label=int(l)) for r, l in zip(rows, labels)]


def winogrande(path):
    return [{k: r[k] for k in ("sentence", "option1", "option2", "answer")} for r in jsonl(path)]


def mmlu(path, subject):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return [{"question": r[0], "subject": subject, "choices": r[1:5], "answer": "ABCD".index(r[5])}
            for r in rows]


def lambada(path):
    return jsonl(path)


def boolq_mosaic(path):
    out = []
    for i, r in enumerate(jsonl(path)):
        q = r["query"]
        passage, question = q[len("Passage: "):].rsplit("\nQuestion: ", 1)
        out.append({"question": question[:-1], "passage": passage, "idx": i, "label": r["gold"]})
    return out


def copa_mosaic(path):
    out = []
    for i, r in enumerate(jsonl(path)):
        q = r["query"]
        for conn, name in ((", because", "cause"), (", therefore", "effect")):
            if q.endswith(conn):
                premise, question = q[: -len(conn)] + ".", name
        out.append({"premise": premise, "choice1": r["choices"][0], "choice2": r["choices"][1],
                    "question": question, "idx": i, "label": r["gold"]})
    return out


def obqa_mosaic(path):
    out = []
    for r in jsonl(path):
        labels = [chr(ord("A") + j) for j in range(len(r["choices"]))]
        out.append({"question_stem": r["query"], "answerKey": labels[r["gold"]],
                    "choices": {"text": r["choices"], "label": labels}})
    return out


def sciq(path):
    return json.load(open(path))


def piqa_hf(path):
    return jsonl(path)


def write_pools(data, pools):
    """Stand-in training pools in the HF datasets' layouts."""
    import os
    for d in ("piqa", "boolq", "copa", "openbookqa", "sciq"):
        os.makedirs(f"{pools}/{d}", exist_ok=True)

    def dump(path, rows):
        with open(path, "w") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")

    dump(f"{pools}/piqa/train.jsonl", piqa(f"{data}/piqa/valid.jsonl")[100:130])
    dump(f"{pools}/boolq/train.jsonl",
         [dict(r, label=bool(r["label"])) for r in boolq_mosaic(f"{data}/boolq/boolq.jsonl")[100:130]])
    dump(f"{pools}/copa/train.jsonl", copa_mosaic(f"{data}/copa/copa.jsonl")[50:80])
    dump(f"{pools}/openbookqa/train.jsonl",
         [dict(r, id=f"pool-{i}") for i, r in enumerate(obqa_mosaic(f"{data}/openbookqa/openbook_qa.jsonl")[100:130])])
    with open(f"{pools}/sciq/train.json", "w") as f:
        json.dump(sciq(f"{data}/sciq/test.json")[100:130], f, ensure_ascii=False)


# ---- task utils as in lm_eval/tasks -------------------------------------

def wg_text(doc):
    return {"1": 0, "2": 1}[doc["answer"]]


def wg_target(doc):
    idx = doc["sentence"].index("_") + 1
    return doc["sentence"][idx:].strip()


def wg_choice(doc):
    idx = doc["sentence"].index("_")
    return [doc["sentence"][:idx] + opt for opt in [doc["option1"], doc["option2"]]]


def copa_convert(choice):
    return choice[0].lower() + choice[1:]


def copa_text(doc):
    connector = {"cause": "because", "effect": "therefore"}[doc["question"]]
    return doc["premise"].strip()[:-1] + f" {connector}"


def copa_target(doc):
    correct = doc["choice1"] if doc["label"] == 0 else doc["choice2"]
    return " " + copa_convert(correct)


def copa_choice(doc):
    return [" " + copa_convert(doc["choice1"]), " " + copa_convert(doc["choice2"])]


# ---- ConfigurableTask ----------------------------------------------------

class Task:
    def __init__(self, name, docs, pool, text, target, choice=None, description="",
                 first_n=False, same_split=False, output_type="multiple_choice"):
        self.name, self.docs, self.pool = name, docs, pool
        self.text, self.target, self.choice = text, target, choice
        self.description, self.first_n, self.same_split = description, first_n, same_split
        self.output_type = output_type
        self.rnd = random.Random(1234)
        self.multiple_input = isinstance(self.doc_to_text(docs[0]), int)

    def doc_to_text(self, doc):
        if callable(self.text):
            return self.text(doc)
        if self.text in doc:
            return doc[self.text]
        s = render(self.text, doc)
        if s.isdigit() and self.choice is not None:
            return ast.literal_eval(s)
        return s

    def doc_to_target(self, doc):
        t = self.target
        if callable(t):
            return t(doc)
        if isinstance(t, int):
            return t
        if t in doc:
            return doc[t]
        s = render(t, doc)
        if s.isdigit() and self.choice is not None:
            return ast.literal_eval(s)
        return s

    def doc_to_choice(self, doc):
        c = self.choice
        if callable(c):
            return c(doc)
        if isinstance(c, list):
            return c
        if c in doc:
            return doc[c]
        return ast.literal_eval(render(c, doc))

    def get_context(self, doc, k):
        n = k + 1 if self.same_split else k
        ex = self.pool[:n] if self.first_n else self.rnd.sample(self.pool, n)
        ex = [x for x in ex if x != doc][:k]
        out = ""
        for d in ex:
            content, target = self.doc_to_text(d), self.doc_to_target(d)
            if isinstance(content, str):
                out += content
            else:
                out += self.doc_to_choice(d)[content]
            if target != "":
                out += " "
                out += (str(target[0]) if isinstance(target, list) else
                        target if self.choice is None or isinstance(target, str) else
                        str(self.doc_to_choice(d)[target]))
                out += "\n\n"
        return out

    def requests(self, doc, k):
        ctx = self.description
        if k > 0:
            ctx += self.get_context(doc, k)
        if self.output_type == "loglikelihood":
            return [(ctx + self.doc_to_text(doc), self.doc_to_target(doc))]
        if self.multiple_input:
            cont = self.doc_to_target(doc)
            return [(ctx + c, " " + cont) for c in self.doc_to_choice(doc)]
        example = self.doc_to_text(doc)
        if isinstance(example, int):
            example = self.doc_to_choice(doc)[example]
        return [(ctx + example, " " + c) for c in self.doc_to_choice(doc)]


def tasks(data, pools):
    d = lambda p: f"{data}/{p}"
    pl = lambda p: f"{pools}/{p}"
    mmlu_desc = "The following are multiple choice questions (with answers) about {}.\n\n"
    mmlu_text = "{{question.strip()}}\nA. {{choices[0]}}\nB. {{choices[1]}}\nC. {{choices[2]}}\nD. {{choices[3]}}\nAnswer:"
    arc_args = dict(text="Question: {{question}}\nAnswer:", target="{{choices.label.index(answerKey)}}",
                    choice="{{choices.text}}")
    lam = lambada(d("lambada_openai/lambada_test.jsonl"))
    wg_pool = winogrande(d("winogrande/train_s.jsonl"))
    yield Task("arc_easy", arc(d("arc_easy/ARC-Easy-Test.jsonl")), arc(d("arc_easy/ARC-Easy-Train.jsonl")), **arc_args)
    yield Task("arc_challenge", arc(d("arc_challenge/ARC-Challenge-Test.jsonl")),
               arc(d("arc_challenge/ARC-Challenge-Train.jsonl")), **arc_args)
    yield Task("winogrande", winogrande(d("winogrande/dev.jsonl")), wg_pool, wg_text, wg_target, wg_choice,
               same_split=True)
    for subj in ("abstract_algebra", "high_school_european_history"):
        yield Task("mmlu_" + subj, mmlu(d(f"mmlu/test/{subj}_test.csv"), subj),
                   mmlu(d(f"mmlu/dev/{subj}_dev.csv"), subj), mmlu_text, "answer", ["A", "B", "C", "D"],
                   description=mmlu_desc.format(subj.replace("_", " ")), first_n=True)
    yield Task("lambada_openai", lam, lam, "{{text.split(' ')[:-1]|join(' ')}}", "{{' '+text.split(' ')[-1]}}",
               output_type="loglikelihood")
    # Tasks whose training split is not in shared/data: stand-in pools.
    yield Task("piqa", piqa(d("piqa/valid.jsonl")), piqa_hf(pl("piqa/train.jsonl")), "Question: {{goal}}\nAnswer:",
               "label", "{{[sol1, sol2]}}", same_split=True)
    yield Task("boolq", boolq_mosaic(d("boolq/boolq.jsonl")), jsonl(pl("boolq/train.jsonl")),
               "{{passage}}\nQuestion: {{question}}?\nAnswer:", "label", ["no", "yes"], same_split=True)
    yield Task("copa", copa_mosaic(d("copa/copa.jsonl")), jsonl(pl("copa/train.jsonl")), copa_text, copa_target,
               copa_choice, same_split=True)
    yield Task("openbookqa", obqa_mosaic(d("openbookqa/openbook_qa.jsonl")), jsonl(pl("openbookqa/train.jsonl")),
               "question_stem", "{{choices.label.index(answerKey.lstrip())}}", "{{choices.text}}")
    yield Task("sciq", sciq(d("sciq/test.json")), sciq(pl("sciq/train.json")),
               "{{support.lstrip()}}\nQuestion: {{question}}\nAnswer:", 3,
               "{{[distractor1, distractor2, distractor3, correct_answer]}}")


DOC_IDS = [0, 1, 2, 7, 41]


def main():
    data, out, pools = sys.argv[1], sys.argv[2], sys.argv[3]
    write_pools(data, pools)
    for t in tasks(data, pools):
        for k in (0, 5):
            if k > 0 and not t.pool:
                continue
            t.rnd = random.Random(1234)
            golden = []
            for i, doc in enumerate(t.docs[: max(DOC_IDS) + 1]):
                reqs = t.requests(doc, k)
                if i in DOC_IDS:
                    golden.append({"doc_id": i, "requests": [list(r) for r in reqs]})
            with open(f"{out}/{t.name}_{k}shot.json", "w") as f:
                json.dump(golden, f, indent=1, ensure_ascii=False)
                f.write("\n")


if __name__ == "__main__":
    main()
