package safetensors

import "fmt"

// Error is the error returned for a file that breaks the format or a tensor that cannot be
// read as asked. Path names the file; Tensor names the tensor where one is at fault.
type Error struct {
	Path   string
	Tensor string
	Msg    string
}

func (e *Error) Error() string {
	if e.Tensor != "" {
		return fmt.Sprintf("safetensors %s: tensor %q: %s", e.Path, e.Tensor, e.Msg)
	}
	return fmt.Sprintf("safetensors %s: %s", e.Path, e.Msg)
}

// fileErr returns an *Error about the file as a whole.
func fileErr(path, format string, args ...any) error {
	return &Error{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// tensorErr returns an *Error about one tensor of the file.
func tensorErr(path, tensor, format string, args ...any) error {
	return &Error{Path: path, Tensor: tensor, Msg: fmt.Sprintf(format, args...)}
}
