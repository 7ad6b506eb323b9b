//go:build unix

package thresholdsig

import (
	"syscall"
	"time"
)

// processCPUTime returns the user+system CPU time consumed by the process so
// far, so benchmarks can report CPU time per operation, which a loaded
// machine inflates much less than wall time.
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
