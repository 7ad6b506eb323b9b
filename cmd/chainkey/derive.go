package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/chainkey/chainkey/idkg/derivation"
	"github.com/chainkey/chainkey/principal"
)

// deriveOutput is the JSON printed by `chainkey derive`.
type deriveOutput struct {
	PublicKey string `json:"public_key"`
	ChainCode string `json:"chain_code"`
}

func newDeriveCmd() *cobra.Command {
	var (
		algorithm, masterHex, chainCodeHex, canister string
		pathHex                                      []string
	)
	cmd := &cobra.Command{
		Use:   "derive",
		Short: "Derive a canister's threshold public key as ecdsa_public_key / schnorr_public_key do",
		Long: `Derive the public key and chain code of a canister's threshold key from the
master public key and chain code, exactly as the Internet Computer's
ecdsa_public_key and schnorr_public_key do. The derivation path is the
canister id's bytes followed by every --path element (hex, possibly empty);
without --canister-id it is the --path elements alone (a raw derivation path,
as in the Internet Computer's own derivation samples).
Prints {"public_key":"hex","chain_code":"hex"}.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			master, err := hex.DecodeString(masterHex)
			if err != nil {
				return fmt.Errorf("derive: --master-public-key: %w", err)
			}
			cc, err := hex.DecodeString(chainCodeHex)
			if err != nil {
				return fmt.Errorf("derive: --chain-code: %w", err)
			}
			path := make([][]byte, len(pathHex))
			for i, h := range pathHex {
				if path[i], err = hex.DecodeString(h); err != nil {
					return fmt.Errorf("derive: --path element %d: %w", i, err)
				}
			}
			full := path
			if canister != "" {
				p, err := principal.Parse(canister)
				if err != nil {
					return fmt.Errorf("derive: --canister-id: %w", err)
				}
				full = derivation.CanisterPath(p.Bytes(), path)
			}
			var k *derivation.Key
			switch algorithm {
			case "ecdsa-secp256k1", "bip340-secp256k1":
				k, err = derivation.Secp256k1(master, cc, full)
			case "ed25519":
				k, err = derivation.Ed25519(master, cc, full)
			default:
				return fmt.Errorf("derive: unknown --algorithm %q (want ecdsa-secp256k1, bip340-secp256k1 or ed25519)", algorithm)
			}
			if err != nil {
				return fmt.Errorf("derive: %w", err)
			}
			out, err := json.Marshal(deriveOutput{
				PublicKey: hex.EncodeToString(k.PublicKey),
				ChainCode: hex.EncodeToString(k.ChainCode),
			})
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), string(out))
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&algorithm, "algorithm", "", "ecdsa-secp256k1, bip340-secp256k1 or ed25519")
	f.StringVar(&masterHex, "master-public-key", "", "master public key (hex; 33-byte SEC1 compressed or 32-byte Ed25519)")
	f.StringVar(&chainCodeHex, "chain-code", "", "master chain code (hex, 32 bytes)")
	f.StringVar(&canister, "canister-id", "", "canister id (principal text); without it the path is --path alone")
	f.StringArrayVar(&pathHex, "path", nil, "derivation path element (hex; repeat for more elements, empty allowed)")
	for _, name := range []string{"algorithm", "master-public-key", "chain-code"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}
