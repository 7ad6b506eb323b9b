package main

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chainkey/chainkey/agent"
)

// TestRunCallsBench: every caller runs until the duration has passed,
// failures are counted by kind and left out of the latencies.
func TestRunCallsBench(t *testing.T) {
	var n atomic.Int64
	seen := make([]atomic.Bool, 4)
	do := func(ctx context.Context, w int) error {
		seen[w].Store(true)
		time.Sleep(time.Millisecond)
		switch n.Add(1) % 5 {
		case 0:
			return &agent.RejectError{Code: 5, Message: "trapped"}
		case 1:
			return &agent.HTTPError{Status: 503}
		}
		return nil
	}
	r, first := runCallsBench(context.Background(), do, 100*time.Millisecond, time.Second, 4)
	if r.Calls != int(n.Load()) || r.Calls < 8 {
		t.Fatalf("%d calls counted of %d", r.Calls, n.Load())
	}
	for w := range seen {
		if !seen[w].Load() {
			t.Errorf("caller %d never ran", w)
		}
	}
	if first == nil || r.Errors == 0 || r.ErrorKinds["reject 5"].Count+r.ErrorKinds["http 503"].Count != r.Errors {
		t.Fatalf("errors %d, kinds %v, first %v", r.Errors, r.ErrorKinds, first)
	}
	if r.P50MS <= 0 || r.P99MS < r.P50MS || r.PerSecond <= 0 {
		t.Fatalf("latencies p50 %v p99 %v, %v/s", r.P50MS, r.P99MS, r.PerSecond)
	}
	if k, _ := callErrorKind(context.DeadlineExceeded); k != "timeout" {
		t.Errorf("deadline: kind %q", k)
	}
	if k, _ := callErrorKind(errors.New("dial")); k != "transport" {
		t.Errorf("transport: kind %q", k)
	}
}
