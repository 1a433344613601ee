//go:build purego

package nn

// scanImpl names the implementation scanChannels runs.
const scanImpl = "go"

// scanChannels scans channels [d0, d0+scanBlock) of sequence b through time.
func (s *SelectiveScan) scanChannels(a *ScanArgs, b, d0 int) { s.scanChannelsGo(a, b, d0) }
