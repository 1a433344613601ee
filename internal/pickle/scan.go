package pickle

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// maxPickle bounds the bytes of one pickle. The pickle of a state dict holds
// only names, shapes and storage keys: a few hundred bytes per tensor.
const maxPickle = 256 << 20

// argKind is how an opcode's argument is laid out after it.
type argKind int

const (
	argNone  argKind = iota
	argFixed         // a fixed number of bytes
	argLen           // a little-endian length of width bytes, then that many bytes
	argLine          // a newline-terminated line
	argLines         // two newline-terminated lines (GLOBAL, INST)
)

type opArg struct {
	kind  argKind
	width int
}

// opArgs lays out the argument of every opcode of pickle protocols 0 to 5
// (CPython's pickletools). An opcode not listed here has no argument; one not
// known at all is rejected by readPickle.
var opArgs = map[byte]opArg{
	'K': {argFixed, 1}, 'q': {argFixed, 1}, 'h': {argFixed, 1}, 0x80: {argFixed, 1}, 0x82: {argFixed, 1},
	'M': {argFixed, 2}, 0x83: {argFixed, 2},
	'J': {argFixed, 4}, 'r': {argFixed, 4}, 'j': {argFixed, 4}, 0x84: {argFixed, 4},
	'G': {argFixed, 8}, 0x95: {argFixed, 8},
	0x8a: {argLen, 1}, 'U': {argLen, 1}, 0x8c: {argLen, 1}, 'C': {argLen, 1},
	'T': {argLen, 4}, 'X': {argLen, 4}, 'B': {argLen, 4}, 0x8b: {argLen, 4},
	0x8d: {argLen, 8}, 0x8e: {argLen, 8}, 0x96: {argLen, 8},
	'I': {argLine, 0}, 'L': {argLine, 0}, 'F': {argLine, 0}, 'S': {argLine, 0}, 'V': {argLine, 0},
	'p': {argLine, 0}, 'g': {argLine, 0}, 'P': {argLine, 0},
	'c': {argLines, 0}, 'i': {argLines, 0},
}

// noArg lists the opcodes without an argument.
const noArg = "().012abdelNostuR}]Q\x85\x86\x87\x88\x89\x81\x8f\x90\x91\x92\x93\x94\x97\x98"

// readPickle reads one whole pickle, up to and including its STOP opcode, and
// checks that every length-prefixed argument is followed by that many bytes.
// Buffers grow only with bytes actually read, so a forged length cannot make
// the unpickler allocate more than the file holds.
func readPickle(r *bufio.Reader) ([]byte, error) {
	var buf bytes.Buffer
	for buf.Len() <= maxPickle {
		op, err := r.ReadByte()
		if err != nil {
			return nil, truncated(err)
		}
		buf.WriteByte(op)
		if op == '.' {
			return buf.Bytes(), nil
		}
		a, ok := opArgs[op]
		if !ok {
			if bytes.IndexByte([]byte(noArg), op) < 0 {
				return nil, fmt.Errorf("pickle: unknown opcode 0x%02x at byte %d", op, buf.Len()-1)
			}
			continue
		}
		if err := copyArg(&buf, r, a); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("pickle: longer than %d bytes", maxPickle)
}

func copyArg(buf *bytes.Buffer, r *bufio.Reader, a opArg) error {
	switch a.kind {
	case argFixed:
		_, err := io.CopyN(buf, r, int64(a.width))
		return truncated(err)
	case argLen:
		var w [8]byte
		if _, err := io.ReadFull(r, w[:a.width]); err != nil {
			return truncated(err)
		}
		buf.Write(w[:a.width])
		n := binary.LittleEndian.Uint64(w[:])
		if n > maxPickle {
			return fmt.Errorf("pickle: argument of %d bytes at byte %d", n, buf.Len())
		}
		_, err := io.CopyN(buf, r, int64(n))
		return truncated(err)
	case argLine, argLines:
		for range int(a.kind-argLine) + 1 {
			line, err := r.ReadSlice('\n')
			if err != nil {
				return truncated(err)
			}
			buf.Write(line)
		}
	}
	return nil
}

func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("pickle: truncated (no STOP opcode)")
	}
	if errors.Is(err, bufio.ErrBufferFull) {
		return errors.New("pickle: line argument longer than the read buffer")
	}
	return err
}
