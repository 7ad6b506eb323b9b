package ledger

import (
	"bytes"
	"testing"

	"github.com/chainkey/chainkey/principal"
)

// busyLedger returns a ledger with blocks of every kind.
func busyLedger(t testing.TB) *Ledger {
	t.Helper()
	minter := principal.FromCanisterIndex(1)
	cfg := CkBTCConfig(minter)
	cfg.Metadata = []MetadataEntry{{"icrc1:logo", TextValue("data:,")}, {"x:int", IntValue(bigInt(-5))}}
	const now = 1_700_000_000_000_000_000
	l, err := New(cfg, now)
	if err != nil {
		t.Fatal(err)
	}
	a := Account{Owner: principal.FromCanisterIndex(10)}
	b := Account{Owner: principal.FromCanisterIndex(11), Subaccount: Subaccount([32]byte{5})}
	must := func(_ uint64, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	ts := uint64(now)
	fee := uint64(10)
	exp := uint64(now + 1e12)
	must(l.Mint(a, 1_000_000, []byte("deposit"), now))
	must(l.Transfer(a.Owner, TransferArgs{To: b, Amount: 1000, Memo: []byte{1}, CreatedAtTime: &ts}, now+1))
	must(l.Transfer(a.Owner, TransferArgs{To: b, Amount: 1000, Fee: &fee}, now+2))
	must(l.Approve(a.Owner, ApproveArgs{Spender: Account{Owner: minter}, Amount: 5000, ExpiresAt: &exp, CreatedAtTime: &ts}, now+3))
	must(l.BurnFrom(Account{Owner: minter}, a, 2000, []byte("withdraw"), now+4))
	must(l.Approve(a.Owner, ApproveArgs{Spender: b, Amount: 700}, now+5))
	must(l.TransferFrom(b.Owner, TransferFromArgs{SpenderSubaccount: b.Subaccount, From: a, To: b, Amount: 300}, now+6))
	must(l.Burn(b, 500, nil, now+7))
	return l
}

func TestMarshalRoundTrip(t *testing.T) {
	l := busyLedger(t)
	enc := l.Marshal()
	l2, err := Unmarshal(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(l2.Marshal(), enc) || l2.StateHash() != l.StateHash() {
		t.Fatal("round trip changed the state")
	}
	if l2.TotalSupply() != l.TotalSupply() || l2.CertifiedData() != l.CertifiedData() {
		t.Fatal("derived state differs")
	}
	for k, v := range l.balances {
		if l2.balances[k] != v {
			t.Fatalf("balance of %v: %d != %d", k, l2.balances[k], v)
		}
	}
	if len(l2.balances) != len(l.balances) || len(l2.allowances) != len(l.allowances) || len(l2.dedup) != len(l.dedup) {
		t.Fatal("maps differ")
	}
	// The replayed ledger still deduplicates.
	ts := uint64(1_700_000_000_000_000_000)
	_, err = l2.Transfer(principal.FromCanisterIndex(10), TransferArgs{
		To: Account{Owner: principal.FromCanisterIndex(11), Subaccount: Subaccount([32]byte{5})}, Amount: 1000, Memo: []byte{1}, CreatedAtTime: &ts,
	}, ts+100)
	if e, ok := err.(*Error); !ok || e.Kind != Duplicate || e.DuplicateOf != 1 {
		t.Fatalf("got %v, want Duplicate of 1", err)
	}
}

func TestUnmarshalRejects(t *testing.T) {
	enc := busyLedger(t).Marshal()
	if _, err := Unmarshal(append(bytes.Clone(enc), 0)); err == nil {
		t.Error("trailing byte accepted")
	}
	if _, err := Unmarshal(enc[:len(enc)-1]); err == nil {
		t.Error("truncation accepted")
	}
	// Every single-byte change is refused (or, rarely, decodes to a
	// different valid state, which would then re-encode to itself).
	for i := len(stateMagic); i < len(enc); i++ {
		for _, d := range []byte{1, 0x80} {
			mut := bytes.Clone(enc)
			mut[i] ^= d
			l, err := Unmarshal(mut)
			if err == nil && !bytes.Equal(l.Marshal(), mut) {
				t.Fatalf("byte %d ^ %#x: accepted a non-canonical state", i, d)
			}
			if err == nil && bytes.Equal(mut, enc) {
				t.Fatal("mutation did nothing")
			}
		}
	}
}

func TestUnmarshalParts(t *testing.T) {
	l := busyLedger(t)
	var blocks [][]byte
	for i := uint64(0); i < l.Len(); i++ {
		b, _ := l.EncodedBlock(i)
		blocks = append(blocks, b)
	}
	l2, err := UnmarshalParts(l.MarshalConfig(), blocks)
	if err != nil {
		t.Fatal(err)
	}
	if l2.StateHash() != l.StateHash() {
		t.Fatal("parts do not rebuild the state")
	}
	// A prefix of the blocks is an earlier state of the same ledger.
	l3, err := UnmarshalParts(l.MarshalConfig(), blocks[:3])
	if err != nil || l3.Len() != 3 {
		t.Fatalf("prefix: %v", err)
	}
	if _, err := UnmarshalParts(l.MarshalConfig(), [][]byte{blocks[1]}); err == nil {
		t.Fatal("a block without its parent accepted")
	}
}
