package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/chainkey/chainkey/bitcoin/chain"
	"github.com/chainkey/chainkey/replica"
)

// nodeBitcoinFlags are the --bitcoin-* flags of `chainkey up`, `init` and
// `node`: they enable the node's Bitcoin integration.
type nodeBitcoinFlags struct {
	adapter   string
	network   string
	threshold uint64
	cmd       *cobra.Command
}

func (f *nodeBitcoinFlags) register(cmd *cobra.Command) {
	f.cmd = cmd
	fl := cmd.Flags()
	fl.StringVar(&f.adapter, "bitcoin-adapter", "", `the node's btc-adapter, as its --listen names it: unix://PATH or [tcp://]HOST:PORT (enables Bitcoin)`)
	fl.StringVar(&f.network, "bitcoin-network", "regtest", "Bitcoin network of the subnet: mainnet, testnet (testnet4) or regtest")
	fl.Uint64Var(&f.threshold, "bitcoin-stability-threshold", 0, "Bitcoin canister stability threshold δ in blocks (0: the canister default, 144)")
}

// set reports whether any --bitcoin-* flag was given.
func (f *nodeBitcoinFlags) set() bool {
	fl := f.cmd.Flags()
	return fl.Changed("bitcoin-adapter") || fl.Changed("bitcoin-network") || fl.Changed("bitcoin-stability-threshold")
}

// config returns the Bitcoin configuration the flags ask for, or nil when
// no --bitcoin-* flag was given.
func (f *nodeBitcoinFlags) config() (*replica.BitcoinConfig, error) {
	if !f.set() {
		return nil, nil
	}
	if _, err := chain.ParseNetwork(f.network); err != nil {
		return nil, fmt.Errorf("--bitcoin-network: %w", err)
	}
	return &replica.BitcoinConfig{Network: f.network, Adapter: f.adapter, StabilityThreshold: f.threshold}, nil
}

// apply puts the flags' Bitcoin configuration into cfg, replacing the one
// from its file; without flags cfg is unchanged.
func (f *nodeBitcoinFlags) apply(cfg *replica.Config) error {
	bc, err := f.config()
	if err != nil || bc == nil {
		return err
	}
	cfg.Bitcoin = bc
	return nil
}
