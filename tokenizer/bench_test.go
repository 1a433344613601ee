package tokenizer

import (
	"os"
	"strings"
	"testing"
)

// benchCorpora are the texts BenchmarkEncode and bench/tokenizer/bench.mjs
// (HF tokenizers.js) both encode: each line of the file, with its newline.
var benchCorpora = []struct{ name, rel string }{
	{"tinystories", "data/tinystories/tinystories_val.txt"},
	{"wikitext2", "data/wikitext2/valid.txt"},
}

func benchLines(b *testing.B, rel string) ([]string, int64) {
	data, err := os.ReadFile(sharedFile(b, rel))
	if err != nil {
		b.Fatal(err)
	}
	return strings.SplitAfter(string(data), "\n"), int64(len(data))
}

// BenchmarkEncode reports MB/s of input on one goroutine. warm: the word
// cache is filled by earlier iterations (the steady state of a long job);
// cold: every iteration starts from an empty cache, so each distinct word
// of the corpus goes through BPE once. MB/cpu-s divides by the CPU time the
// process used instead of the wall time: on a shared machine it is closer
// to what an idle core does.
func BenchmarkEncode(b *testing.B) {
	tok := Default()
	for _, c := range benchCorpora {
		lines, n := benchLines(b, c.rel)
		b.Run(c.name+"/warm", func(b *testing.B) {
			e := newEncoder().(*encoder)
			var ids []int32
			b.SetBytes(n)
			cpu := cpuSeconds()
			for b.Loop() {
				for _, l := range lines {
					ids = tok.encode(e, ids[:0], l, EncodeOptions{})
				}
			}
			reportCPU(b, n, cpu)
		})
		b.Run(c.name+"/cold", func(b *testing.B) {
			var ids []int32
			b.SetBytes(n)
			cpu := cpuSeconds()
			for b.Loop() {
				e := newEncoder().(*encoder)
				for _, l := range lines {
					ids = tok.encode(e, ids[:0], l, EncodeOptions{})
				}
			}
			reportCPU(b, n, cpu)
		})
	}
}

// reportCPU reports MB of input per CPU second since cpu0.
func reportCPU(b *testing.B, n int64, cpu0 float64) {
	if cpu0 == 0 {
		return
	}
	if used := cpuSeconds() - cpu0; used > 0 {
		b.ReportMetric(float64(n)*float64(b.N)/used/1e6, "MB/cpu-s")
	}
}

// BenchmarkEncodeBatch encodes the lines with EncodeBatch on GOMAXPROCS
// goroutines.
func BenchmarkEncodeBatch(b *testing.B) {
	tok := Default()
	lines, n := benchLines(b, benchCorpora[0].rel)
	b.SetBytes(n)
	for b.Loop() {
		tok.EncodeBatch(lines, EncodeOptions{})
	}
}

// BenchmarkDecode reports MB/s of decoded text.
func BenchmarkDecode(b *testing.B) {
	tok := Default()
	lines, n := benchLines(b, benchCorpora[0].rel)
	ids := tok.EncodeBatch(lines, EncodeOptions{})
	var buf []byte
	b.SetBytes(n)
	for b.Loop() {
		for _, x := range ids {
			buf = tok.AppendBytes(buf[:0], x, DecodeOptions{})
		}
	}
}

// BenchmarkFromJSON measures loading the embedded GPT-NeoX tokenizer (the
// start-up cost of Default), after decompression.
func BenchmarkFromJSON(b *testing.B) {
	data, err := os.ReadFile(sharedFile(b, "data/tokenizer/20B_tokenizer.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := FromJSON(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMerge compares the two BPE merge loops on one long word.
func BenchmarkMerge(b *testing.B) {
	tok := Default()
	word := strings.Repeat("internationalization", 2)
	for _, c := range []struct {
		name  string
		merge func(mergeTable, []int32, *mergeScratch) []int32
	}{{"small", mergeTable.mergeSmall}, {"heap", mergeTable.mergeHeap}} {
		b.Run(c.name, func(b *testing.B) {
			var s mergeScratch
			sym := make([]int32, len(word))
			b.SetBytes(int64(len(word)))
			for b.Loop() {
				for i := range len(word) {
					sym[i] = tok.byteID[word[i]]
				}
				c.merge(tok.merges, sym, &s)
			}
		})
	}
}
