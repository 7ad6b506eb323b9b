package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/chainkey/chainkey/thresholdsig"
)

// newBLSCmd returns the "bls" command group: checks of the Internet
// Computer's BLS12-381 signatures (48-byte G1 signatures, 96-byte G2 keys).
func newBLSCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bls",
		Short: "BLS12-381 signatures as the Internet Computer makes them",
	}
	cmd.AddCommand(newBLSVerifyCmd())
	return cmd
}

// blsVerdict is the one-line JSON result of "bls verify".
type blsVerdict struct {
	Valid bool   `json:"valid"`
	Error string `json:"error,omitempty"`
}

func newBLSVerifyCmd() *cobra.Command {
	var pkHex, msgHex, sigHex string
	cmd := &cobra.Command{
		Use:   "verify --public-key HEX --message HEX --signature HEX",
		Short: "Verify a BLS signature; exit 0 if valid, 1 if not",
		Long: `Verify a min-sig BLS12-381 signature (48-byte compressed G1) on a message under a
public key (96-byte compressed G2, or its 133-byte DER form), hashing the message to G1
with the DST BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_. Prints {"valid":true} and
exits 0, or prints {"valid":false,"error":"..."} and exits 1.`,
		// Argument and flag errors are verdicts too, printed as JSON.
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			verdict := blsVerdict{Valid: true}
			err := blsVerify(pkHex, msgHex, sigHex)
			if len(args) > 0 {
				err = fmt.Errorf("unexpected argument %q (every input is a flag)", args[0])
			}
			if err != nil {
				verdict = blsVerdict{Error: err.Error()}
			}
			out, err := json.Marshal(verdict)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), string(out))
			if !verdict.Valid {
				return errSilent{code: 1}
			}
			return nil
		},
	}
	jsonFlagErrors(cmd)
	cmd.Flags().StringVar(&pkHex, "public-key", "", "public key in hex: 96-byte G2 point or 133-byte DER")
	cmd.Flags().StringVar(&msgHex, "message", "", "message in hex (may be empty)")
	cmd.Flags().StringVar(&sigHex, "signature", "", "signature in hex: 48-byte G1 point")
	return cmd
}

func blsVerify(pkHex, msgHex, sigHex string) error {
	pkb, err := blsDecodeHex("public-key", pkHex)
	if err != nil {
		return err
	}
	msg, err := blsDecodeHex("message", msgHex)
	if err != nil {
		return err
	}
	sig, err := blsDecodeHex("signature", sigHex)
	if err != nil {
		return err
	}
	pk, err := thresholdsig.ParsePublicKeyOrDER(pkb)
	if err != nil {
		return err
	}
	return thresholdsig.Verify(pk, msg, sig)
}

// blsDecodeHex decodes a hex flag value, allowing an optional 0x prefix and
// surrounding white space.
func blsDecodeHex(name, s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", name, err)
	}
	return b, nil
}

// jsonFlagErrors makes a verifier command report a flag it cannot parse as
// its JSON verdict {"valid":false,"error":"..."} with exit status 1, like
// every other failure.
func jsonFlagErrors(cmd *cobra.Command) {
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		if werr := writeJSONLine(c.OutOrStdout(), blsVerdict{Error: err.Error()}); werr != nil {
			return werr
		}
		return errSilent{code: 1}
	})
}
