//go:build !unix

package grouptest

import "testing"

// ReportCPU reports nothing on systems without getrusage.
func ReportCPU(b *testing.B) func() { return func() {} }
