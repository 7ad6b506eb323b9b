package ingress

import (
	"syscall"
	"testing"
	"time"
)

// BenchmarkParseAuthenticateHTTP measures what a node does with every HTTP
// request before anything else: decode the envelope, compute the request
// id, verify the sender signature.
func BenchmarkParseAuthenticateHTTP(b *testing.B) {
	for name, s := range httpSigners(&testing.T{}) {
		e, err := NewHTTPEnvelope(callContent(), s, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		wire, _ := e.Marshal()
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(wire)))
			start := cpuTime()
			for b.Loop() {
				e, err := ParseHTTPEnvelope(wire)
				if err != nil {
					b.Fatal(err)
				}
				if _, _, err := e.Authenticate(httpNow); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, start)
		})
	}
}

// BenchmarkRequestID measures the representation-independent hash of a
// call's content.
func BenchmarkRequestID(b *testing.B) {
	c := callContent()
	start := cpuTime()
	for b.Loop() {
		c.RequestID()
	}
	reportCPU(b, start)
}

// cpuTime returns the CPU time of the process so far, which is steadier
// than wall time on a machine other work shares.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds a cpu-µs/op metric for the loop that started at start.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e3, "cpu-µs/op")
}
