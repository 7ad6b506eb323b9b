// Command chainkey runs and talks to a chainkey subnet: it starts local
// subnets, verifies certificates and BLS signatures, derives canister keys,
// requests threshold signatures and drives the Bitcoin integration.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// errSilent is returned by commands that already printed their result (for
// example a JSON verdict) and only need a non-zero exit status.
type errSilent struct{ code int }

func (e errSilent) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "chainkey",
		Short:         "Chain-key cryptography subnet: threshold BLS, ECDSA and Schnorr",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// Each command group lives in its own file and is registered here.
	root.AddCommand(newDeriveCmd(), newBLSCmd(), newPubkeyCmd(), newSignCmd(), newVetKDCmd(), newStatusCmd(), newBenchCmd(), newCertCmd(),
		newUpCmd(), newInitCmd(), newNodeCmd(), newBTCCmd(), newEthCmd(), newCandidCmd())
	root.AddCommand(newCanisterCmd())
	root.AddCommand(newCkBTCCmd())
	root.AddCommand(newIdentityCmd())
	root.AddCommand(newSubnetCmd())
	return root
}

func main() {
	if err := startPprof(); err != nil {
		fmt.Fprintln(os.Stderr, "chainkey:", err)
		os.Exit(1)
	}
	err := newRootCmd().Execute()
	if err == nil {
		return
	}
	if s, ok := err.(errSilent); ok {
		os.Exit(s.code)
	}
	fmt.Fprintln(os.Stderr, "chainkey:", err)
	os.Exit(1)
}
