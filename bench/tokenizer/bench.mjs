// Speed of HF tokenizers.js (@huggingface/tokenizers) on the texts steady's
// Go benchmark uses (BenchmarkEncode in tokenizer/bench_test.go): each line
// of a corpus file, with its newline, encoded without special tokens added.
// Prints MB/s (10^6 bytes of UTF-8 input per second) on one core, cold (the
// first pass, empty cache) and warm (later passes).
//
//   npm install && node bench.mjs [--tokenizer FILE] [--seconds N] [CORPUS...]
//   node bench.mjs --ids < in.jsonl > out.jsonl   # add "ids" to each {"text": ...} line
//
// Paths default to the shared/ folder checked out beside the repository.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, resolve } from "node:path";
import { createInterface } from "node:readline";
import { Tokenizer } from "@huggingface/tokenizers";

const here = dirname(fileURLToPath(import.meta.url));
const shared = resolve(here, "../../../shared");
const args = process.argv.slice(2);
let tokenizerPath = resolve(shared, "data/tokenizer/20B_tokenizer.json");
let seconds = 5;
let idsMode = false;
const corpora = [];
for (let i = 0; i < args.length; i++) {
  switch (args[i]) {
    case "--tokenizer": tokenizerPath = args[++i]; break;
    case "--seconds": seconds = Number(args[++i]); break;
    case "--ids": idsMode = true; break;
    default: corpora.push(args[i]);
  }
}
if (corpora.length === 0) {
  corpora.push(resolve(shared, "data/tinystories/tinystories_val.txt"),
               resolve(shared, "data/wikitext2/valid.txt"));
}

const tokenizer = new Tokenizer(JSON.parse(readFileSync(tokenizerPath, "utf8")), {});
const encode = (text) => tokenizer.encode(text, { add_special_tokens: false }).ids;

if (idsMode) {
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    if (line === "") continue;
    const rec = JSON.parse(line);
    rec.ids = encode(rec.text);
    process.stdout.write(JSON.stringify(rec) + "\n");
  }
} else {
  console.log(`@huggingface/tokenizers ${tokenizerVersion()}, node ${process.version}`);
  for (const path of corpora) {
    const text = readFileSync(path, "utf8");
    const lines = text.split(/(?<=\n)/);
    const bytes = Buffer.byteLength(text, "utf8");
    // The first pass starts from an empty BPE cache (Go's "cold"); the timed
    // passes after it reuse the cache (Go's "warm").
    // MB/cpu-s divides by the CPU time used (process.cpuUsage) instead of
    // the wall time, as the Go benchmark does.
    let ntok = 0;
    const c0 = process.hrtime.bigint(), u0 = cpuSeconds();
    for (const l of lines) ntok += encode(l).length;
    const cold = Number(process.hrtime.bigint() - c0) / 1e9, coldCPU = cpuSeconds() - u0;
    let passes = 0;
    const t0 = process.hrtime.bigint(), u1 = cpuSeconds();
    let elapsed = 0;
    do {
      for (const l of lines) encode(l);
      passes++;
      elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
    } while (elapsed < seconds);
    const warmCPU = cpuSeconds() - u1;
    const mb = (x) => (x / 1e6).toFixed(2);
    console.log(`${path}: ${bytes} bytes, ${ntok} tokens`);
    console.log(`  cold: ${mb(bytes / cold)} MB/s, ${mb(bytes / coldCPU)} MB/cpu-s`);
    console.log(`  warm: ${mb((bytes * passes) / elapsed)} MB/s, ${mb((bytes * passes) / warmCPU)} MB/cpu-s ` +
                `(${passes} passes in ${elapsed.toFixed(2)} s)`);
  }
}

function cpuSeconds() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function tokenizerVersion() {
  const pkg = resolve(here, "node_modules/@huggingface/tokenizers/package.json");
  return JSON.parse(readFileSync(pkg, "utf8")).version;
}
