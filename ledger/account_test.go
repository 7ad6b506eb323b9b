package ledger

import (
	"testing"

	"github.com/chainkey/chainkey/principal"
)

// TestAccountText checks the ICRC-1 textual encoding against the cases of
// dfinity/ic packages/icrc-ledger-types/src/icrc1/account.rs
// (test_account_display).
func TestAccountText(t *testing.T) {
	owner := principal.MustParse("k2t6j-2nvnp-4zjm3-25dtz-6xhaa-c7boj-5gayf-oj3xs-i43lp-teztq-6ae")
	var ones, one, seq [32]byte
	for i := range ones {
		ones[i] = 1
		seq[i] = byte(i + 1)
	}
	one[31] = 1
	for _, c := range []struct {
		sub  *[32]byte
		want string
	}{
		{nil, "k2t6j-2nvnp-4zjm3-25dtz-6xhaa-c7boj-5gayf-oj3xs-i43lp-teztq-6ae"},
		{Subaccount([32]byte{}), "k2t6j-2nvnp-4zjm3-25dtz-6xhaa-c7boj-5gayf-oj3xs-i43lp-teztq-6ae"},
		{&ones, "k2t6j-2nvnp-4zjm3-25dtz-6xhaa-c7boj-5gayf-oj3xs-i43lp-teztq-6ae-7s4rpcq.101010101010101010101010101010101010101010101010101010101010101"},
		{&one, "k2t6j-2nvnp-4zjm3-25dtz-6xhaa-c7boj-5gayf-oj3xs-i43lp-teztq-6ae-6cc627i.1"},
		{&seq, "k2t6j-2nvnp-4zjm3-25dtz-6xhaa-c7boj-5gayf-oj3xs-i43lp-teztq-6ae-dfxgiyy.102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"},
	} {
		if got := (Account{Owner: owner, Subaccount: c.sub}).String(); got != c.want {
			t.Errorf("got %s, want %s", got, c.want)
		}
	}
	if !(Account{Owner: owner}).Same(Account{Owner: owner, Subaccount: Subaccount([32]byte{})}) {
		t.Error("nil and zero subaccounts differ")
	}
}
