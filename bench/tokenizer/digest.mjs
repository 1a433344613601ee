// Digests of HF tokenizers.js ids over whole corpora, for steady's parity
// test (tokenizer/testdata/corpus_digest.json, read by TestCorpusDigest).
//
//   node digest.mjs > ../../tokenizer/testdata/corpus_digest.json
//
// Each corpus file is cut into texts as the Go test cuts it: a .txt file
// into lines (each keeping its "\n"), a .jsonl file into the "text" field of
// each line, a .json array into the non-empty "instruction", "input" and
// "output" fields of each record; empty texts are left out. The digest is
// the SHA-256 of, for each text in order, its id count then its ids, each a
// little-endian uint32.
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { dirname, resolve } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";

const here = dirname(fileURLToPath(import.meta.url));
const shared = resolve(here, "../../../shared");
const corpora = [
  "data/tinystories/tinystories_val.txt",
  "data/tinystories/tiny_stories.txt",
  "data/wikitext2/valid.txt",
  "data/wikitext2/test.txt",
  "data/llamafactory_pretrain_demo/c4_demo.jsonl",
  "data/llamafactory_pretrain_demo/wiki_demo.txt",
  "data/simplebooks92/valid.txt",
  "data/simplebooks92/test.txt",
  "data/alpaca/alpaca_5000.json",
];

const tokenizer = new Tokenizer(JSON.parse(readFileSync(resolve(shared, "data/tokenizer/20B_tokenizer.json"), "utf8")), {});

function texts(rel) {
  const data = readFileSync(resolve(shared, rel), "utf8");
  if (rel.endsWith(".txt")) return data.split(/(?<=\n)/);
  if (rel.endsWith(".jsonl")) return data.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l).text);
  return JSON.parse(data).flatMap((r) => ["instruction", "input", "output"].map((k) => r[k] ?? ""));
}

const out = {
  tokenizer: "shared/data/tokenizer/20B_tokenizer.json",
  made_with: `@huggingface/tokenizers ${JSON.parse(readFileSync(resolve(here, "node_modules/@huggingface/tokenizers/package.json"), "utf8")).version}, encode(text, {add_special_tokens: false})`,
  corpora: {},
};
for (const rel of corpora) {
  const hash = createHash("sha256");
  let n = 0, ntok = 0;
  for (const text of texts(rel)) {
    if (text === "") continue;
    const ids = tokenizer.encode(text, { add_special_tokens: false }).ids;
    const buf = Buffer.alloc(4 * (ids.length + 1));
    buf.writeUInt32LE(ids.length, 0);
    ids.forEach((id, i) => buf.writeUInt32LE(id, 4 * (i + 1)));
    hash.update(buf);
    n++;
    ntok += ids.length;
  }
  out.corpora[rel] = { texts: n, tokens: ntok, sha256: hash.digest("hex") };
  process.stderr.write(`${rel}: ${n} texts, ${ntok} tokens\n`);
}
process.stdout.write(JSON.stringify(out, null, 1) + "\n");
