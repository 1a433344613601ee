//go:build purego

package nn

// scanImpl names the implementation scanItems runs.
const scanImpl = "go"

// scanItems scans items [it0, it1) (see Forward) in Go.
func (s *SelectiveScan) scanItems(a *ScanArgs, it0, it1 int) { s.scanItemsGo(a, it0, it1) }
