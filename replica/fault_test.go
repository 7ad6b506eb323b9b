package replica

import (
	"context"
	"testing"
	"time"
)

// TestOneNodeDownAndBack: a 4-node subnet keeps certifying with one node
// stopped; the node restarts from its stores and catches up.
func TestOneNodeDownAndBack(t *testing.T) {
	ts := newTestSubnet(t, 4, nil)
	ts.waitCertified(3, 60*time.Second)
	ts.stop(3)
	c := ts.nodes[0].CertifiedHeight()
	ts.waitCertified(c+5, 60*time.Second)
	ts.start(3)
	target := ts.nodes[0].Height() + 3
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := ts.nodes[3].WaitHeight(ctx, target); err != nil {
		t.Fatal(err)
	}
	ts.waitCertified(ts.nodes[0].CertifiedHeight()+2, 60*time.Second)
}

// TestSevenNodesTwoCrashed: n=7 tolerates f=2 crashed nodes.
func TestSevenNodesTwoCrashed(t *testing.T) {
	if testing.Short() {
		t.Skip("7 nodes")
	}
	ts := newTestSubnet(t, 7, nil)
	ts.waitCertified(2, 90*time.Second)
	ts.stop(5)
	ts.stop(6)
	c := ts.nodes[0].CertifiedHeight()
	ts.waitCertified(c+4, 90*time.Second)
}

// TestCrashBetweenFinalizeAndCommit: a node dies with a finalized but
// uncommitted height; reopened, CometBFT's handshake replays the height
// and the node rejoins with the same app hash (a different one would stop
// it at the next block header).
func TestCrashBetweenFinalizeAndCommit(t *testing.T) {
	ts := newTestSubnet(t, 4, func(c *Config) {
		if c.Index == 2 {
			c.lie = faults{CrashAfterBlock: 4}
		}
	})
	// Node 2 is stuck at height 3; the others go on.
	deadline := time.Now().Add(30 * time.Second)
	for ts.nodes[0].Height() < 8 {
		if time.Now().After(deadline) {
			t.Fatalf("subnet stalled at %d", ts.nodes[0].Height())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if h := ts.nodes[2].Height(); h != 3 {
		t.Fatalf("crashed node at height %d, want 3", h)
	}
	ts.stop(2)
	ts.tweak = nil
	ts.start(2)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := ts.nodes[2].WaitHeight(ctx, ts.nodes[0].Height()+2); err != nil {
		t.Fatal(err)
	}
}
