package replica

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteSubnetConfigHosts(t *testing.T) {
	dir := t.TempDir()
	hosts := []string{"10.0.0.1", "10.0.0.2", "10.0.0.2", "10.0.0.3:7000"}
	if err := writeSubnetConfig(dir, 4, hosts, subnetOptions{bls: fakeBLS{}, dealer: true}); err != nil {
		t.Fatal(err)
	}
	var chain string
	for i, want := range []string{"0.0.0.0:26656", "0.0.0.0:26656", "0.0.0.0:26666", "0.0.0.0:7000"} {
		c, err := LoadConfig(filepath.Join(dir, "node"+itoa(i)))
		if err != nil {
			t.Fatal(err)
		}
		if c.P2PListen != want || c.Index != i || len(c.Peers) != 3 {
			t.Fatalf("node %d: listen %s index %d peers %v", i, c.P2PListen, c.Index, c.Peers)
		}
		if chain == "" {
			chain = c.ChainID
		} else if c.ChainID != chain {
			t.Fatal("chain ids differ")
		}
		for _, p := range c.Peers {
			if !strings.Contains(p, "@10.0.0.") {
				t.Fatalf("peer %s", p)
			}
		}
		for _, f := range []string{certShareFile, beaconShareFile, nodeSigningKeyFile, encryptionKeyFile} {
			st, err := os.Stat(c.secretPath(f))
			if err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("%s: %v %v", f, err, st.Mode())
			}
		}
	}
	if err := writeSubnetConfig(t.TempDir(), 3, hosts, subnetOptions{bls: fakeBLS{}, dealer: true}); err == nil {
		t.Fatal("4 hosts for 3 nodes accepted")
	}
	if err := writeSubnetConfig(t.TempDir(), 1, []string{"h:99999"}, subnetOptions{bls: fakeBLS{}, dealer: true}); err == nil {
		t.Fatal("bad port accepted")
	}
	if err := writeSubnetConfig(t.TempDir(), 0, nil, subnetOptions{bls: fakeBLS{}, dealer: true}); err == nil {
		t.Fatal("0 nodes accepted")
	}
}

func TestLoadConfigStrict(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, configFile), []byte(`{"index":0,"surprise":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(dir); err == nil {
		t.Fatal("unknown field accepted")
	}
	if _, err := LoadConfig(t.TempDir()); err == nil {
		t.Fatal("missing config accepted")
	}
}

func TestInsecureSecretFilesRefused(t *testing.T) {
	dir := t.TempDir()
	if err := writeSubnetConfig(dir, 1, nil, subnetOptions{bls: fakeBLS{}, dealer: true}); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(filepath.Join(dir, "node0"))
	if err != nil {
		t.Fatal(err)
	}
	c.bls = fakeBLS{}
	for _, f := range []string{
		c.secretPath(certShareFile), c.secretPath(encryptionKeyFile), c.secretPath(nodeSigningKeyFile),
		filepath.Join(c.cometRoot(), "config", "priv_validator_key.json"),
	} {
		if err := os.Chmod(f, 0o640); err != nil {
			t.Fatal(err)
		}
		_, err := New(*c)
		if !errors.Is(err, ErrInsecureFile) {
			t.Fatalf("%s readable by group: New returned %v", filepath.Base(f), err)
		}
		if err := os.Chmod(f, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	n, err := New(*c)
	if err != nil {
		t.Fatal(err)
	}
	// Never started: Stop only closes the stores.
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
}

func TestSecretFileRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s", "k")
	if err := writeSecretFile(p, []byte("secret")); err != nil {
		t.Fatal(err)
	}
	b, err := readSecretFile(p)
	if err != nil || string(b) != "secret" {
		t.Fatal(b, err)
	}
	if err := removeSecretFile(p); err != nil {
		t.Fatal(err)
	}
	if _, err := readSecretFile(p); err == nil {
		t.Fatal("deleted secret still readable")
	}
	if err := removeSecretFile(p); err != nil {
		t.Fatal("removing a missing secret:", err)
	}
}

// TestFreePortsOutsideEphemeralRange checks that the ports given to a local
// subnet are distinct and, on Linux, below the range the kernel uses for
// outgoing connections (which could take them before the nodes listen).
func TestFreePortsOutsideEphemeralRange(t *testing.T) {
	ports, err := freePorts(30)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	hi := ephemeralPortsStart()
	for _, p := range ports {
		if seen[p] {
			t.Fatalf("port %d given twice", p)
		}
		seen[p] = true
		if p >= hi || p < 1024 {
			t.Errorf("port %d outside [1024, %d)", p, hi)
		}
	}
}
