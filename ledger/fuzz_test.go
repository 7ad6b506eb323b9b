package ledger

import (
	"bytes"
	"testing"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/principal"
)

// FuzzUnmarshal checks that the state decoder never panics and that what it
// accepts is canonical: it re-encodes to the same bytes.
func FuzzUnmarshal(f *testing.F) {
	enc := busyLedger(f).Marshal()
	f.Add(enc)
	f.Add(enc[:len(enc)/2])
	empty, _ := New(CkBTCConfig(principal.FromCanisterIndex(1)), 0)
	f.Add(empty.Marshal())
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := Unmarshal(data)
		if err != nil {
			return
		}
		if !bytes.Equal(l.Marshal(), data) {
			t.Fatal("accepted a non-canonical encoding")
		}
		var sum uint64
		for _, v := range l.balances {
			sum += v
		}
		if sum != l.supply {
			t.Fatal("accepted a state whose balances do not add up")
		}
	})
}

// FuzzCall checks that any Candid message to any method either succeeds
// or is rejected without a change of state, and never panics.
func FuzzCall(f *testing.F) {
	tr, _ := candid.Encode(struct {
		To struct {
			Owner principal.Principal `candid:"owner"`
		} `candid:"to"`
		Amount uint64 `candid:"amount"`
	}{})
	f.Add("icrc1_transfer", tr)
	f.Add("icrc2_approve", tr)
	f.Add("icrc3_get_blocks", []byte("DIDL\x00\x01\x7d\x00"))
	f.Add("get_blocks", []byte("DIDL"))
	l := busyLedger(f)
	f.Fuzz(func(t *testing.T, method string, arg []byte) {
		before := l.StateHash()
		n := l.Len()
		_, err := l.Call(method, arg, principal.FromCanisterIndex(10), 1_800_000_000_000_000_000)
		if err != nil && l.StateHash() != before {
			t.Fatal("a failed call changed the state")
		}
		if err == nil && l.Len() > n+1 {
			t.Fatal("one call made several blocks")
		}
	})
}
