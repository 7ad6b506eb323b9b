package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/chainkey/chainkey/ingress"
)

func newPubkeyCmd() *cobra.Command {
	var (
		endpoint, keyID, identity, caller string
		paths                             []string
		timeout                           time.Duration
		tlsf                              tlsFlags
	)
	cmd := &cobra.Command{
		Use:   "pubkey",
		Short: "Get your derived threshold public key from a node",
		Long: `Ask a node for the public key derived for the caller (the principal of
--identity, or of the default identity) and the derivation path, as
ecdsa_public_key / schnorr_public_key do. Prints
{"public_key":"hex","chain_code":"hex"}.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := ingress.ParseKeyID(keyID); err != nil {
				return fmt.Errorf("pubkey: --key-id: %w", err)
			}
			path, err := decodeHexList("--path", paths)
			if err != nil {
				return fmt.Errorf("pubkey: %w", err)
			}
			who, err := callerPrincipal(caller, identity)
			if err != nil {
				return fmt.Errorf("pubkey: %w", err)
			}
			target, err := resolveTarget(endpoint, "")
			if err != nil {
				return fmt.Errorf("pubkey: %w", err)
			}
			c, err := target.dial(nil, &tlsf)
			if err != nil {
				return fmt.Errorf("pubkey: %w", err)
			}
			defer c.Close()
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			pub, cc, err := c.PublicKey(ctx, keyID, who, path)
			if err != nil {
				return rpcErrorLine("pubkey", err)
			}
			return writeJSONLine(cmd.OutOrStdout(), map[string]string{
				"public_key": hex.EncodeToString(pub),
				"chain_code": hex.EncodeToString(cc),
			})
		},
	}
	f := cmd.Flags()
	tlsf.register(f)
	f.StringVar(&endpoint, "endpoint", "", endpointHelp)
	f.StringVar(&keyID, "key-id", "ecdsa:secp256k1:dfx_test_key", "key id: ecdsa:secp256k1:NAME, schnorr:bip340secp256k1:NAME or schnorr:ed25519:NAME")
	f.StringArrayVar(&paths, "path", nil, "derivation path element (hex, repeatable; may be empty)")
	f.StringVar(&identity, "identity", "", "caller identity PEM (Ed25519 or secp256k1); default: the CLI's own identity")
	f.StringVar(&caller, "caller", "", "derive for this principal instead of the identity's")
	f.DurationVar(&timeout, "timeout", 30*time.Second, "request timeout")
	return cmd
}
