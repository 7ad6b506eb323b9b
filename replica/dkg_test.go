package replica

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"testing"
	"time"

	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/thresholdsig"
)

// TestGenesisKeyGeneration: the BLS keys come from the DKG run through
// blocks; every node agrees on the root key, holds a 0600 share file, and
// a node that complains about valid dealings convicts nobody.
func TestGenesisKeyGeneration(t *testing.T) {
	ts := newTestSubnet(t, 4, func(c *Config) {
		if c.Index == 2 {
			c.lie = faults{BadComplaints: true}
		}
	})
	ts.waitCertified(3, 60*time.Second)
	var root []byte
	for i, nd := range ts.nodes {
		st, err := nd.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if st.KeyGen != keyGenDKG {
			t.Fatalf("key generation %q", st.KeyGen)
		}
		if len(st.Convicted) != 0 {
			t.Fatalf("node %d convicted %v after false complaints", i, st.Convicted)
		}
		if root == nil {
			root = st.RootKeyDER
		} else if !bytes.Equal(root, st.RootKeyDER) {
			t.Fatal("nodes disagree on the root key")
		}
		if st.SubnetID.String() == "aaaaa-aa" {
			t.Fatal("no subnet id")
		}
		for _, f := range []string{certShareFile, beaconShareFile} {
			fi, err := os.Stat(ts.cfgs[i].secretPath(f))
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("node %d %s: %v", i, f, err)
			}
		}
	}
	if _, err := thresholdsig.ParseDERPublicKey(root); err != nil {
		t.Fatal(err)
	}
	// The shares work after a restart.
	ts.stop(1)
	ts.start(1)
	ts.waitStock(60 * time.Second)
	h := sha256.Sum256([]byte("after dkg"))
	res := signOne(t, ts.nodes[1], "ecdsa:secp256k1:dfx_test_key", h[:])
	if len(res.Certificate) == 0 {
		t.Fatal("no certificate")
	}
}

// TestBLSResharingKeepsRootKey: the BLS keys are reshared every few
// heights; the root key and subnet id stay, certification goes on with the
// new shares, and a node restarted in the middle catches up.
func TestBLSResharingKeepsRootKey(t *testing.T) {
	if testing.Short() {
		t.Skip("restart through CometBFT during a resharing; the protocol side is TestSimResharing")
	}
	ts := newTestSubnetOpts(t, 4, nil, subnetOptions{reshareInterval: 10})
	ts.waitCertified(3, 60*time.Second)
	root := ts.nodes[0].RootKeyDER()
	firstPub := func() string { cs, _ := ts.nodes[0].app.snapshot(); return string(cs.CertPub) }()
	deadline := time.Now().Add(90 * time.Second)
	restarted := false
	for {
		cs, _ := ts.nodes[0].app.snapshot()
		if cs.BLSResharing && !restarted {
			ts.stop(3)
			ts.start(3)
			restarted = true
		}
		if cs.BLSEpoch >= 2 && !cs.BLSResharing {
			if string(cs.CertPub) == firstPub {
				t.Fatal("coefficients unchanged by resharing")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("resharing did not complete: epoch %d resharing %v height %d", cs.BLSEpoch, cs.BLSResharing, cs.Height)
		}
		time.Sleep(20 * time.Millisecond)
	}
	h := ts.nodes[0].Height()
	ts.waitCertified(h+2, 60*time.Second)
	for i, nd := range ts.nodes {
		if !bytes.Equal(nd.RootKeyDER(), root) {
			t.Fatalf("node %d: root key changed by resharing", i)
		}
		st, _ := nd.Status(context.Background())
		if len(st.Convicted) != 0 {
			t.Fatalf("node %d convicted %v", i, st.Convicted)
		}
	}
	ts.waitStock(60 * time.Second)
	hash := sha256.Sum256([]byte("after resharing"))
	res := signOne(t, ts.nodes[3], "schnorr:ed25519:dfx_test_key", hash[:])
	rk, err := thresholdsig.ParseDERPublicKey(root)
	if err != nil {
		t.Fatal(err)
	}
	c, err := certification.ParseCertificate(res.Certificate)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := certification.Verify(c, rk, certification.VerifyOptions{}); err != nil {
		t.Fatal(err)
	}
}
