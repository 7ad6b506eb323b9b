//go:build unix

package ledger_test

import "syscall"

// processCPU returns the CPU time (user + system) the process has used, in
// nanoseconds; benchmarks report it per operation because the wall time
// of a loaded machine says little.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
