package chain_test

import (
	"fmt"

	"github.com/chainkey/chainkey/bitcoin/chain"
)

func ExampleParseNetwork() {
	n, _ := chain.ParseNetwork("testnet4")
	p := n.Params()
	fmt.Println(n, p.Name, p.DefaultPort, p.GenesisHash)
	// Output: testnet testnet4 48333 00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043
}
