package subnet_test

import (
	"fmt"

	"github.com/chainkey/chainkey/replica/subnet"
)

func ExampleDecodeTx() {
	raw := subnet.EncodeTx(&subnet.Tx{Beacon: &subnet.BeaconTx{Round: 7, Sig: make([]byte, 48)}})
	t, err := subnet.DecodeTx(raw)
	if err != nil {
		panic(err)
	}
	fmt.Println(t.Beacon.Round)
	// A transaction has one encoding: anything else is refused.
	_, err = subnet.DecodeTx(append(raw, 0))
	fmt.Println(err != nil)
	// Output:
	// 7
	// true
}

func ExampleOverlay() {
	committed := subnet.NewMemStorage()
	o := subnet.NewOverlay(committed)
	o.Set([]byte("k"), []byte("v"))
	_, inHeight, _ := o.Get([]byte("k"))
	_, inStore, _ := committed.Get([]byte("k"))
	fmt.Println(inHeight, inStore)
	committed.Apply(o) // what the node does at Commit
	_, inStore, _ = committed.Get([]byte("k"))
	fmt.Println(inStore)
	// Output:
	// true false
	// true
}
