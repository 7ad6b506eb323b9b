package subnet_test

import (
	"bytes"
	"crypto/ed25519"
	"fmt"

	"github.com/chainkey/chainkey/replica/subnet"
)

// A registry change is signed by the subnet's operator key and checked by
// every node against its committed state.
func ExampleCheckRegistryTx() {
	operator := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	member := subnet.NodeRecord{NodeID: "00112233445566778899aabbccddeeff00112233"}
	plan := subnet.RegistryPlan{ChainID: "example", OperatorKey: operator.Public().(ed25519.PublicKey),
		Genesis: []subnet.NodeRecord{member, {NodeID: "ffeeddccbbaa99887766554433221100ffeeddcc"}}, KeyIDs: []string{"k"}}
	cs := &subnet.State{BLSReady: true, KeyTr: map[string][]byte{"k": []byte("key transcript")}}

	tx, err := subnet.SignRegistryChange(operator, &subnet.RegistryChange{ChainID: "example", Version: 1, Remove: member.NodeID})
	if err != nil {
		panic(err)
	}
	c, err := subnet.CheckRegistryTx(cs, plan, tx)
	fmt.Println(c.Remove == member.NodeID, err)
	// The same change again, once version 1 is committed, is a replay.
	cs.RegistryVersion = 1
	_, err = subnet.CheckRegistryTx(cs, plan, tx)
	fmt.Println(err)
	// Output:
	// true <nil>
	// subnet: registry change to version 1 at version 1
}
