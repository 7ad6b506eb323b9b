package candid_test

import (
	"encoding/hex"
	"fmt"
	"math/big"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/principal"
)

func ExampleParseArgs() {
	account := candid.RecordType(
		candid.F("owner", candid.Prim(candid.KindPrincipal)),
		candid.F("subaccount", candid.OptType(candid.BlobType())),
	)
	types := []*candid.Type{account, candid.Prim(candid.KindNat)}
	vals, err := candid.ParseArgs(`(record { owner = principal "aaaaa-aa" }, 1_000)`, types)
	if err != nil {
		panic(err)
	}
	msg, err := candid.Marshal(types, vals)
	if err != nil {
		panic(err)
	}
	fmt.Println(hex.EncodeToString(msg))
	back, err := candid.Unmarshal(msg, types)
	if err != nil {
		panic(err)
	}
	fmt.Println(candid.FormatArgs(types, back))
	// Output:
	// 4449444c036d7b6e006c02b3b0dac30368ad86ca83050102027d010000e807
	// (record { owner = principal "aaaaa-aa"; subaccount = null }, 1_000 : nat)
}

func ExampleUnmarshalAny() {
	msg, _ := hex.DecodeString("4449444c016c02d3e3aa027e868eb7027c0100012a")
	types, vals, err := candid.UnmarshalAny(msg)
	if err != nil {
		panic(err)
	}
	fmt.Println(candid.TupleString(types))
	fmt.Println(candid.FormatArgs(types, vals))
	// Output:
	// (record { 4_895_187 : bool; 5_097_222 : int })
	// (record { 4_895_187 = true; 5_097_222 = 42 : int })
}

func ExampleEncode() {
	type Account struct {
		Owner      principal.Principal `candid:"owner"`
		Subaccount *[]byte             `candid:"subaccount"`
	}
	type BalanceResult struct {
		candid.IsVariant
		Ok  *big.Int `candid:"Ok"`
		Err *string  `candid:"Err"`
	}
	msg, err := candid.Encode(Account{Owner: principal.Management()})
	if err != nil {
		panic(err)
	}
	var a Account
	if err := candid.Decode(msg, &a); err != nil {
		panic(err)
	}
	fmt.Println(a.Owner, a.Subaccount == nil)

	reply, _ := candid.Encode(BalanceResult{Ok: big.NewInt(42)})
	t, _ := candid.TypeOf(BalanceResult{})
	vals, _ := candid.Unmarshal(reply, []*candid.Type{t})
	fmt.Println(candid.FormatArgs([]*candid.Type{t}, vals))
	// Output:
	// aaaaa-aa true
	// (variant { Ok = 42 : nat })
}

func ExampleParseDescription() {
	d, err := candid.ParseDescription(`
		type account = record { owner : principal; subaccount : opt blob };
		service : { icrc1_balance_of : (account) -> (nat) query }`)
	if err != nil {
		panic(err)
	}
	m, _ := d.Method("icrc1_balance_of")
	fmt.Println(m)
	// Output:
	// func (account) -> (nat) query
}
