package atomicfile

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWrite(t *testing.T) {
	errBoom := errors.New("boom")
	cases := []struct {
		name    string
		old     []byte // nil: no file before
		write   func(io.Writer) error
		want    []byte // content after
		wantErr error
	}{
		{"create", nil, writeString("new"), []byte("new"), nil},
		{"replace", []byte("old"), writeString("new"), []byte("new"), nil},
		{"replace_with_empty", []byte("old"), writeString(""), []byte{}, nil},
		{"failed_write_keeps_old", []byte("old"), func(w io.Writer) error {
			io.WriteString(w, "partial")
			return errBoom
		}, []byte("old"), errBoom},
		{"failed_write_creates_nothing", nil, func(io.Writer) error { return errBoom }, nil, errBoom},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "f.bin")
			if tc.old != nil {
				if err := os.WriteFile(path, tc.old, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			err := Write(path, tc.write)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			got, readErr := os.ReadFile(path)
			switch {
			case tc.want == nil && !errors.Is(readErr, os.ErrNotExist):
				t.Errorf("file exists after a failed first write (read err %v)", readErr)
			case tc.want != nil && !bytes.Equal(got, tc.want):
				t.Errorf("content %q, want %q", got, tc.want)
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if strings.Contains(e.Name(), ".tmp-") {
					t.Errorf("temporary file %s left behind", e.Name())
				}
			}
			if tc.wantErr == nil {
				if st, _ := os.Stat(path); st.Mode().Perm() != Perm {
					t.Errorf("mode %v, want %v", st.Mode().Perm(), Perm)
				}
			}
		})
	}
}

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := io.WriteString(w, s)
		return err
	}
}

func TestWriteErrorsNameThePath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing-dir", "f.bin")
	err := WriteFile(path, []byte("x"))
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("got %v, want an error naming %s", err, path)
	}
}

func TestWriteRelativePath(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := WriteFile("rel.txt", []byte("ok")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile("rel.txt"); string(got) != "ok" {
		t.Errorf("content %q", got)
	}
}

func ExampleWriteFile() {
	dir, _ := os.MkdirTemp("", "atomicfile")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "state.json")
	if err := WriteFile(path, []byte(`{"step":1}`)); err != nil {
		panic(err)
	}
	b, _ := os.ReadFile(path)
	os.Stdout.Write(append(b, '\n'))
	// Output: {"step":1}
}
