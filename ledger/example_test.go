package ledger_test

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/ledger"
	"github.com/chainkey/chainkey/principal"
)

func Example() {
	const now = 1_700_000_000_000_000_000
	minter := principal.FromCanisterIndex(1)
	alice := ledger.Account{Owner: principal.FromCanisterIndex(100)}
	bob := ledger.Account{Owner: principal.FromCanisterIndex(101)}

	l, err := ledger.New(ledger.CkBTCConfig(minter), now)
	if err != nil {
		panic(err)
	}
	// The minter mints a deposit to alice.
	if _, err := l.Mint(alice, 100_000, []byte("utxo"), now); err != nil {
		panic(err)
	}
	// Alice pays bob; the fee goes to the fee collector.
	if _, err := l.Transfer(alice.Owner, ledger.TransferArgs{To: bob, Amount: 40_000}, now+1); err != nil {
		panic(err)
	}
	// Alice lets the minter burn for a withdrawal; the minter burns.
	minterAcct := ledger.Account{Owner: minter}
	if _, err := l.Approve(alice.Owner, ledger.ApproveArgs{Spender: minterAcct, Amount: 50_000}, now+2); err != nil {
		panic(err)
	}
	i, err := l.BurnFrom(minterAcct, alice, 50_000, nil, now+3)
	if err != nil {
		panic(err)
	}
	fmt.Println("burn block", i, "alice", l.BalanceOf(alice), "bob", l.BalanceOf(bob), "supply", l.TotalSupply())

	// Overdrawing gives the standard's error.
	_, err = l.Transfer(bob.Owner, ledger.TransferArgs{To: alice, Amount: 1_000_000}, now+4)
	var le *ledger.Error
	if errors.As(err, &le) {
		fmt.Println(le.Kind, le.Amount)
	}
	// Output:
	// burn block 3 alice 9980 bob 40000 supply 49990
	// InsufficientFunds 40000
}

func ExampleLedger_Call() {
	const now = 1_700_000_000_000_000_000
	minter := principal.FromCanisterIndex(1)
	alice := principal.FromCanisterIndex(100)
	l, _ := ledger.New(ledger.CkBTCConfig(minter), now)
	l.Mint(ledger.Account{Owner: alice}, 5_000, nil, now)

	// icrc1_balance_of(record { owner = alice }) as a client sends it.
	type account struct {
		Owner principal.Principal `candid:"owner"`
	}
	arg, _ := candid.Encode(account{Owner: alice})
	reply, err := l.Query("icrc1_balance_of", arg, principal.Anonymous(), now)
	if err != nil {
		panic(err)
	}
	var balance *big.Int
	if err := candid.Decode(reply, &balance); err != nil {
		panic(err)
	}
	fmt.Println(balance)
	// Output: 5000
}

func ExampleValue_Hash() {
	h := ledger.NatValue(42).Hash()
	fmt.Printf("%x\n", h)
	// Output: 684888c0ebb17f374298b65ee2807526c066094c701bcc7ebbe1c1095f494fc1
}
