package ckbtc_test

import (
	"encoding/hex"
	"fmt"

	"github.com/chainkey/chainkey/bitcoin/chain"
	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/ckbtc"
	"github.com/chainkey/chainkey/principal"
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// The deposit address of an account under the mainnet ckBTC minter's key.
func ExampleDepositAddress() {
	pk := ckbtc.PublicKey{
		Key:       mustHex("0222047a81d4f8a067031c89273d241b79a5a007c04dfaf36d07963db0b99097eb"),
		ChainCode: mustHex("821aebb643bd97d319d2fd0b2e483d4e7de2ea9039ff67568b693e6abc14a03b"),
	}
	var sub [32]byte
	sub[30], sub[31] = 1, 4 // the anonymous principal, length-prefixed
	a := ckbtc.Account{Owner: principal.MustParse("3gvau-pyaaa-aaaao-qa7kq-cai"), Subaccount: &sub}
	addr, err := ckbtc.DepositAddress(chain.Mainnet, pk, a)
	if err != nil {
		panic(err)
	}
	fmt.Println(addr)
	// Output: bc1q9q0kg90px3w9dadxku2x5pme77plcqxtn535rt
}

// get_btc_address through the Candid interface.
func ExampleMinter_Call() {
	m, err := ckbtc.New(ckbtc.Config{
		Network:  chain.Mainnet,
		MinterID: principal.MustParse("mqygn-kiaaa-aaaar-qaadq-cai"),
		KeyName:  "key_1",
		PublicKey: ckbtc.PublicKey{
			Key:       mustHex("0222047a81d4f8a067031c89273d241b79a5a007c04dfaf36d07963db0b99097eb"),
			ChainCode: mustHex("821aebb643bd97d319d2fd0b2e483d4e7de2ea9039ff67568b693e6abc14a03b"),
		},
	}, nil, nil)
	if err != nil {
		panic(err)
	}
	sub := make([]byte, 32)
	sub[30], sub[31] = 1, 4
	owner := principal.MustParse("3gvau-pyaaa-aaaao-qa7kq-cai")
	arg, _ := candid.Encode(ckbtc.AccountArg{Owner: &owner, Subaccount: &sub})
	reply, err := m.Call("get_btc_address", arg, principal.MustParse("2vxsx-fae"), 0)
	if err != nil {
		panic(err)
	}
	var addr string
	if err := candid.Decode(reply, &addr); err != nil {
		panic(err)
	}
	fmt.Println(addr)
	// Output: bc1q9q0kg90px3w9dadxku2x5pme77plcqxtn535rt
}

// The ckBTC account a caller funds before retrieve_btc.
func ExampleWithdrawalSubaccount() {
	s := ckbtc.WithdrawalSubaccount(principal.MustParse("2chl6-4hpzw-vqaaa-aaaaa-c"))
	fmt.Printf("%x\n", s)
	// Output: d3918f8aeef6118254d90399a3207b1fa062960f5e1b16643f2e8efb90add545
}
