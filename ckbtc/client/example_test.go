package client_test

import (
	"context"
	"fmt"

	"github.com/chainkey/chainkey/ckbtc/client"
	"github.com/chainkey/chainkey/ledger"
	"github.com/chainkey/chainkey/principal"
)

// ledgerTransport answers calls with a ledger in memory, as one sender
// (a node's ledger canister does the same behind the IC HTTP interface).
type ledgerTransport struct {
	l      *ledger.Ledger
	sender principal.Principal
	now    uint64
}

func (t *ledgerTransport) Call(_ context.Context, _ principal.Principal, method string, arg []byte) ([]byte, error) {
	return t.l.Call(method, arg, t.sender, t.now)
}

func (t *ledgerTransport) Query(_ context.Context, _ principal.Principal, method string, arg []byte) ([]byte, error) {
	return t.l.Query(method, arg, t.sender, t.now)
}

func Example() {
	const now = 1_700_000_000_000_000_000
	minter := principal.FromCanisterIndex(1)
	alice, bob := principal.FromCanisterIndex(100), principal.FromCanisterIndex(101)
	l, _ := ledger.New(ledger.CkBTCConfig(minter), now)
	l.Mint(ledger.Account{Owner: alice}, 50_000, nil, now)

	c := &client.Client{T: &ledgerTransport{l: l, sender: alice, now: now}, Ledger: principal.FromCanisterIndex(2), Minter: minter}
	ctx := context.Background()
	block, err := c.Transfer(ctx, nil, client.Account{Owner: bob}, 20_000, []byte("rent"))
	fmt.Println(block, err)
	a, _ := c.Balance(ctx, client.Account{Owner: alice})
	b, _ := c.Balance(ctx, client.Account{Owner: bob})
	fmt.Println(a, b)
	_, err = c.Transfer(ctx, nil, client.Account{Owner: bob}, 1_000_000, nil)
	fmt.Println(err)
	// Output:
	// 1 <nil>
	// 29990 20000
	// ledger: InsufficientFunds (balance 29990)
}
