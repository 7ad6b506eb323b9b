package main

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainkey/chainkey/replica"
	"github.com/chainkey/chainkey/replica/subnet"
)

// TestSubnetChangeCmds writes a 4-node subnet, takes nodes 0..2 as the
// committee and node 3 as a joiner, and checks that add-node and
// remove-node print changes that pass the registry check of every node,
// and that wrong input gives clear errors.
func TestSubnetChangeCmds(t *testing.T) {
	out := filepath.Join(t.TempDir(), "subnet")
	s, err := runCLI(t, "init", "--nodes", "4", "--out", out)
	if err != nil {
		t.Fatal(err)
	}
	var ini initOutput
	if err := json.Unmarshal([]byte(s), &ini); err != nil {
		t.Fatal(err)
	}
	var infos []nodeInfoJSON
	for _, n := range ini.Nodes {
		s, err := runCLI(t, "subnet", "node-info", "--home", n.Home)
		if err != nil {
			t.Fatal(err)
		}
		var info nodeInfoJSON
		if err := json.Unmarshal([]byte(s), &info); err != nil {
			t.Fatal(err)
		}
		infos = append(infos, info)
	}
	var committee []subnet.NodeRecord
	for _, info := range infos[:3] {
		r, err := info.record()
		if err != nil {
			t.Fatal(err)
		}
		committee = append(committee, r)
	}
	op, err := replica.LoadOperatorKey(ini.OperatorKey)
	if err != nil {
		t.Fatal(err)
	}
	chainID := infos[0].ChainID
	plan := subnet.RegistryPlan{ChainID: chainID, OperatorKey: op.Public().(ed25519.PublicKey), Genesis: committee, KeyIDs: []string{"k"}}
	cs := &subnet.State{BLSReady: true, KeyTr: map[string][]byte{"k": []byte("t")}}
	check := func(s string) (*subnet.RegistryChange, error) {
		var rc registryChangeJSON
		if err := json.Unmarshal([]byte(s), &rc); err != nil {
			t.Fatal(err)
		}
		ch, _ := hex.DecodeString(rc.Change)
		sig, _ := hex.DecodeString(rc.Signature)
		return subnet.CheckRegistryTx(cs, plan, &subnet.RegistryTx{Change: ch, Signature: sig})
	}

	// add-node from the joiner's home and from its node-info file.
	s, err = runCLI(t, "subnet", "add-node", "--node-home", ini.Nodes[3].Home, "--operator-key", ini.OperatorKey, "--version", "1")
	if err != nil {
		t.Fatal(err)
	}
	c, err := check(s)
	if err != nil || c.Add == nil || c.Add.NodeID != infos[3].NodeID {
		t.Fatalf("add-node change: %+v, %v", c, err)
	}
	infoFile := filepath.Join(t.TempDir(), "node3.json")
	b, _ := json.Marshal(infos[3])
	os.WriteFile(infoFile, b, 0o644)
	s, err = runCLI(t, "subnet", "add-node", "--node-info", infoFile, "--operator-key", ini.OperatorKey, "--version", "1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := check(s); err != nil {
		t.Fatal(err)
	}
	// remove-node.
	s, err = runCLI(t, "subnet", "remove-node", infos[1].NodeID, "--operator-key", ini.OperatorKey, "--version", "1", "--chain-id", chainID)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := check(s); err != nil || c.Remove != infos[1].NodeID {
		t.Fatalf("remove-node change: %+v, %v", c, err)
	}
	// A change for version 2 is refused at version 0 (no replay, no skip).
	s, _ = runCLI(t, "subnet", "remove-node", infos[1].NodeID, "--operator-key", ini.OperatorKey, "--version", "2", "--chain-id", chainID)
	if _, err := check(s); err == nil {
		t.Fatal("a change skipping a version passed")
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"subnet", "add-node", "--operator-key", ini.OperatorKey, "--version", "1"}, "exactly one of --node-home and --node-info"},
		{[]string{"subnet", "add-node", "--node-home", ini.Nodes[3].Home, "--version", "1"}, "--operator-key is required"},
		{[]string{"subnet", "add-node", "--node-home", ini.Nodes[3].Home, "--operator-key", ini.OperatorKey}, "--version is required"},
		{[]string{"subnet", "add-node", "--node-home", ini.Nodes[3].Home, "--operator-key", filepath.Join(ini.Nodes[0].Home, "chainkey.json"), "--version", "1"}, "subnet add-node"},
		{[]string{"subnet", "remove-node", "XYZ", "--operator-key", ini.OperatorKey, "--version", "1", "--chain-id", chainID}, "40 lower-case hex"},
		{[]string{"subnet", "remove-node", infos[1].NodeID, "--operator-key", ini.OperatorKey, "--version", "1"}, "--chain-id is required"},
		{[]string{"subnet", "node-info"}, "--home is required"},
	} {
		if _, err := runCLI(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.want)
		}
	}
}
