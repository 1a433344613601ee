//go:build purego

package nn

// backwardChannels runs backwardChannel's Go loops for channels [d0, d0+nd)
// of sequence b: the purego build's kernel.
func (s *SelectiveScan) backwardChannels(a *ScanArgs, g *ScanGrads, b, d0, nd int, ws *scanBackwardScratch, dB, dC []float32) {
	for i := 0; i < nd; i++ {
		s.backwardChannel(a, g, b, d0+i, i*a.Seq, ws, dB, dC)
	}
}
