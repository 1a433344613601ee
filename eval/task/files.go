package task

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// findFile returns the first of the candidate paths (relative to dir) that
// exists; the error lists every path it tried.
func findFile(dir string, candidates ...string) (string, error) {
	var tried []string
	for _, c := range candidates {
		p := filepath.Join(dir, c)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		tried = append(tried, p)
	}
	return "", fmt.Errorf("missing data file: looked for %s (set --data_dir or $STEADY_DATA)", strings.Join(tried, ", "))
}

// readJSONL reads one JSON object per non-empty line.
func readJSONL(path string) ([]map[string]any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var row map[string]any
		if err := json.Unmarshal(b, &row); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rows, nil
}

// readLines reads the lines of a text file without their line ends.
func readLines(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s := strings.TrimRight(string(b), "\r\n")
	if s == "" {
		return nil, nil
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, "\r")
	}
	return lines, nil
}

// readCSV reads a headerless CSV file.
func readCSV(path string) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rows, nil
}

// str reads a string field of a JSON row; the error names the file and row.
func str(row map[string]any, field, path string, i int) (string, error) {
	v, ok := row[field].(string)
	if !ok {
		return "", fmt.Errorf("%s: row %d: field %q missing or not a string", path, i+1, field)
	}
	return v, nil
}

// integer reads an integer field of a JSON row.
func integer(row map[string]any, field, path string, i int) (int, error) {
	v, ok := row[field].(float64)
	if !ok || v != float64(int(v)) {
		return 0, fmt.Errorf("%s: row %d: field %q missing or not an integer", path, i+1, field)
	}
	return int(v), nil
}

// stringList reads a list-of-strings field of a JSON row.
func stringList(row map[string]any, field, path string, i int) ([]string, error) {
	raw, ok := row[field].([]any)
	if !ok {
		return nil, fmt.Errorf("%s: row %d: field %q missing or not a list", path, i+1, field)
	}
	out := make([]string, len(raw))
	for j, v := range raw {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("%s: row %d: %s[%d] is not a string", path, i+1, field, j)
		}
		out[j] = s
	}
	return out, nil
}

// fromFile returns a loader that reads the first of the candidate files
// found under the data folder with read.
func fromFile(read func(path string) ([]Doc, error), candidates ...string) func(dir string) ([]Doc, error) {
	return func(dir string) ([]Doc, error) {
		p, err := findFile(dir, candidates...)
		if err != nil {
			return nil, err
		}
		return read(p)
	}
}

// poolFromFile is fromFile for a few-shot pool of a fixed split.
func poolFromFile(read func(path string) ([]Doc, error), candidates ...string) func(dir string) ([]Doc, string, error) {
	load := fromFile(read, candidates...)
	return func(dir string) ([]Doc, string, error) {
		docs, err := load(dir)
		return docs, "", err
	}
}

// anySlice converts a string slice for a Fields value.
func anySlice(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
