package subnet

import (
	"bytes"
	"errors"
	"testing"

	"github.com/chainkey/chainkey/certification"
)

func TestBitcoinComponentID(t *testing.T) {
	id := BitcoinComponentID()
	if string(append([]byte{ComponentTxPrefix}, id[:]...)) != BitcoinPayloadMagic {
		t.Fatal("the Bitcoin payload magic is not the component prefix and id")
	}
	got, ok := ComponentTxID(EncodeBitcoinPayload(&BitcoinPayload{}))
	if !ok || got != id {
		t.Fatalf("payload component %v %v", got, ok)
	}
	if _, ok := ComponentTxID(EncodeTx(&Tx{Beacon: &BeaconTx{Round: 1}})); ok {
		t.Fatal("a core transaction is a component's")
	}
}

// counter is a toy component: its transactions add their payload length
// to a counter.
type counter struct {
	id ComponentID
	n  int
}

func (c *counter) ID() ComponentID { return c.id }
func (c *counter) Check(tx []byte) error {
	if len(tx) > 100 {
		return errors.New("too long")
	}
	return nil
}
func (c *counter) Apply(tx []byte, w Writer) error {
	if err := c.Check(tx); err != nil {
		return err
	}
	c.n += len(tx)
	w.Set([]byte("counter/"+string(c.id[:5])), []byte{byte(c.n)})
	return nil
}
func (c *counter) Execute([]byte, Writer) ([]byte, error) { return nil, ErrNoMessages }
func (c *counter) Leaves() []certification.PathValue {
	return []certification.PathValue{{Path: [][]byte{c.id[:5]}, Value: []byte{byte(c.n)}}}
}
func (c *counter) StateHash() [32]byte    { return [32]byte{byte(c.n)} }
func (c *counter) Snapshot() []byte       { return []byte{byte(c.n)} }
func (c *counter) Restore(b []byte) error { c.n = int(b[0]); return nil }

func TestComponents(t *testing.T) {
	var r Components
	a := &counter{id: ComponentID{'a', 'a', 'a', 'a', 'a', 1}}
	b := &counter{id: ComponentID{'b', 'b', 'b', 'b', 'b', 1}}
	for _, c := range []Component{b, a} {
		if err := r.Register(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Register(&counter{id: a.id}); err == nil {
		t.Fatal("duplicate id registered")
	}
	tx := func(id ComponentID, n int) []byte {
		return append(append([]byte{ComponentTxPrefix}, id[:]...), make([]byte, n)...)
	}
	o := NewOverlay(NewMemStorage())
	blk := r.Block()
	if err := blk.Check(tx(a.id, 3)); err != nil {
		t.Fatal(err)
	}
	if err := blk.Check(tx(a.id, 3)); err == nil {
		t.Fatal("second transaction of a component in a block accepted")
	}
	if err := r.Block().Check(tx(ComponentID{'z', 'z', 'z', 'z', 'z', 1}, 1)); err == nil {
		t.Fatal("unknown component accepted")
	}
	if err := r.Block().Check(tx(a.id, 200)); err == nil {
		t.Fatal("component's own check ignored")
	}
	blk = r.Block()
	if err := blk.Apply(tx(b.id, 1), o); err != nil || b.n != 8 {
		t.Fatalf("apply: %v, counter %d", err, b.n)
	}
	if v, ok, _ := o.Get([]byte("counter/bbbbb")); !ok || !bytes.Equal(v, []byte{8}) {
		t.Fatal("component's write missing")
	}
	leaves := r.Leaves()
	if len(leaves) != 2 || string(leaves[0].Path[0]) != "aaaaa" || string(leaves[1].Path[0]) != "bbbbb" {
		t.Fatalf("leaves not in id order: %v", leaves)
	}
}
