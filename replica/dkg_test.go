package replica

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"testing"
	"time"

	"github.com/chainkey/chainkey/thresholdsig"
)

// TestGenesisKeyGeneration: the BLS keys come from the DKG run through
// blocks; every node agrees on the root key, holds a 0600 share file, and
// a node that complains about valid dealings convicts nobody.
func TestGenesisKeyGeneration(t *testing.T) {
	ts := newTestSubnet(t, 4, func(c *Config) {
		if c.Index == 2 {
			c.Faults.BadComplaints = true
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
