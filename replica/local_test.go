package replica

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestLocalSubnetResumes: a local subnet started on a home directory comes
// back with the same subnet id and keys, and goes on from its height.
func TestLocalSubnetResumes(t *testing.T) {
	home := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var phases []string
	s, err := StartLocalSubnetWith(ctx, home, 4, func(e ProgressEvent) {
		if len(phases) == 0 || phases[len(phases)-1] != e.Phase {
			phases = append(phases, e.Phase)
		}
	}, LocalOptions{TimeoutCommitMS: 50, PresignatureTarget: 1})
	if err != nil {
		t.Fatal(err)
	}
	id, root, h := s.Nodes()[0].SubnetID(), s.Nodes()[0].RootKeyDER(), s.Nodes()[0].Height()
	if len(root) == 0 || len(s.GRPCAddrs()) != 4 {
		t.Fatalf("root key %x, grpc %v", root, s.GRPCAddrs())
	}
	if phases[0] != "config" || phases[len(phases)-1] != "ready" {
		t.Fatalf("progress phases %v", phases)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := StartLocalSubnet(ctx, home, 7, nil); err == nil {
		t.Fatal("resumed a 4-node subnet as 7 nodes")
	}
	// Resuming says what it waits for, not a count of heights.
	var keyMsgs []string
	s, err = StartLocalSubnet(ctx, home, 0, func(e ProgressEvent) {
		if e.Phase == "keys" {
			if e.Total != 1 {
				t.Errorf("keys progress %d/%d, want a count out of 1", e.Done, e.Total)
			}
			keyMsgs = append(keyMsgs, e.Message)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if len(keyMsgs) == 0 || !strings.Contains(keyMsgs[0], "certify a new height") || !strings.Contains(keyMsgs[len(keyMsgs)-1], "certified") {
		t.Errorf("resume progress %q", keyMsgs)
	}
	n := s.Nodes()[0]
	if n.SubnetID() != id || string(n.RootKeyDER()) != string(root) {
		t.Fatal("resumed subnet has other keys")
	}
	if n.Height() < h {
		t.Fatalf("height went back from %d to %d", h, n.Height())
	}
}
