package replica

import (
	"crypto/ed25519"
	"os"
	"path/filepath"
	"testing"

	"github.com/chainkey/chainkey/replica/subnet"
)

// TestOperatorKeyInGenesis checks that a written subnet has an operator
// key: its file is private, its public half is in the genesis, the
// genesis members are valid registry records, and a change the key
// signs passes the registry check of a running subnet's state while one
// signed by another key does not.
func TestOperatorKeyInGenesis(t *testing.T) {
	s := newSimSubnet(t, 4, subnetOptions{}, nil)
	path := OperatorKeyPath(s.dir)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("operator key file: %v, mode %v", err, fi.Mode())
	}
	op, err := LoadOperatorKey(path)
	if err != nil {
		t.Fatal(err)
	}
	a := s.nodes[0].app
	plan, err := a.registryPlan()
	if err != nil {
		t.Fatal(err)
	}
	if !plan.OperatorKey.Equal(op.Public()) || len(plan.Genesis) != 4 {
		t.Fatalf("plan %+v", plan)
	}
	for i, r := range plan.Genesis {
		if err := subnet.CheckNodeRecord(&r, append(plan.Genesis[:i:i], plan.Genesis[i+1:]...)); err != nil {
			t.Fatalf("genesis member %d: %v", i, err)
		}
	}
	s.run(400, "keys", s.keysReady)
	cs := s.state(0)
	c := &subnet.RegistryChange{ChainID: s.chainID, Version: 1, Remove: plan.Genesis[3].NodeID}
	tx, err := subnet.SignRegistryChange(op, c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := subnet.CheckRegistryTx(cs, plan, tx); err != nil {
		t.Fatalf("a change signed by the operator key: %v", err)
	}
	_, other, _ := ed25519.GenerateKey(nil)
	if tx, _ = subnet.SignRegistryChange(other, c); true {
		if _, err := subnet.CheckRegistryTx(cs, plan, tx); err == nil {
			t.Fatal("a change signed by another key passed")
		}
	}
	if _, err := LoadOperatorKey(filepath.Join(s.dir, "node0", "chainkey.json")); err == nil {
		t.Fatal("a file that is not a key loaded")
	}
}
