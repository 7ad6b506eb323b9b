package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/rpc"
)

func newSignCmd() *cobra.Command {
	var (
		endpoint, keyID, hashHex, identity, taproot, rootKeyHex string
		paths                                                   []string
		full                                                    bool
		timeout                                                 time.Duration
		tlsf                                                    tlsFlags
	)
	cmd := &cobra.Command{
		Use:   "sign",
		Short: "Get a threshold signature from the subnet",
		Long: `Sign a request with the caller identity and submit it to a node; the subnet
signs --hash under the key derived for the caller and --path. For ECDSA,
--hash is the 32-byte message hash; for BIP340 and Ed25519 it is the message
itself. Prints {"signature":"hex","public_key":"hex","certified":bool} and, for
ECDSA keys, "recovery_id" (0 or 1, Ethereum's v - 27); with --full also the
certificate, height and request id.

When the subnet's root key is known (--root-key, as "chainkey up" prints it,
or the local subnet's own when --endpoint is not given) the reply's
certificate is checked: it must prove that the subnet, not only the node
asked, produced this signature. "certified" says whether that check was made
and passed; a reply that fails it is an error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			k, err := ingress.ParseKeyID(keyID)
			if err != nil {
				return fmt.Errorf("sign: --key-id: %w", err)
			}
			msg, err := hex.DecodeString(hashHex)
			if err != nil {
				return fmt.Errorf("sign: --hash: %w", err)
			}
			path, err := decodeHexList("--path", paths)
			if err != nil {
				return fmt.Errorf("sign: %w", err)
			}
			var root []byte
			if cmd.Flags().Changed("taproot-merkle-root") {
				if root, err = hex.DecodeString(taproot); err != nil {
					return fmt.Errorf("sign: --taproot-merkle-root: %w", err)
				}
				if root == nil {
					root = []byte{}
				}
			}
			target, err := resolveTarget(endpoint, rootKeyHex)
			if err != nil {
				return fmt.Errorf("sign: %w", err)
			}
			id, err := loadCallerIdentity(identity)
			if err != nil {
				return fmt.Errorf("sign: %w", err)
			}
			c, err := target.dial(id, &tlsf)
			if err != nil {
				return fmt.Errorf("sign: %w", err)
			}
			defer c.Close()
			env, err := c.NewSignEnvelope(rpc.SignArgs{KeyID: keyID, DerivationPath: path, MessageHash: msg, TaprootMerkleRoot: root})
			if err != nil {
				return fmt.Errorf("sign: %w", err)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			res, err := c.SignEnvelope(ctx, env)
			if err != nil {
				return rpcErrorLine("sign", err)
			}
			if target.RootKey != nil {
				_, reqID, err := env.DecodeSignContent()
				if err != nil {
					return fmt.Errorf("sign: %w", err)
				}
				if err := rpc.VerifySignResponse(res, target.RootKey, reqID); err != nil {
					return fmt.Errorf("sign: %w", err)
				}
			}
			out := map[string]any{
				"signature":  hex.EncodeToString(res.GetSignature()),
				"public_key": hex.EncodeToString(res.GetPublicKey()),
				"certified":  target.RootKey != nil,
			}
			if k.Algorithm == ingress.AlgorithmECDSASecp256k1 {
				out["recovery_id"] = res.GetRecoveryId()
			}
			if full {
				out["certificate"] = hex.EncodeToString(res.GetCertificate())
				out["height"] = res.GetHeight()
				out["request_id"] = hex.EncodeToString(res.GetRequestId())
				out["caller"] = c.Caller().String()
			}
			return writeJSONLine(cmd.OutOrStdout(), out)
		},
	}
	f := cmd.Flags()
	tlsf.register(f)
	f.StringVar(&endpoint, "endpoint", "", endpointHelp)
	f.StringVar(&keyID, "key-id", "ecdsa:secp256k1:dfx_test_key", "key id: ecdsa:secp256k1:NAME, schnorr:bip340secp256k1:NAME or schnorr:ed25519:NAME")
	f.StringVar(&hashHex, "hash", "", "message hash (ECDSA, 32 bytes) or message (Schnorr), hex")
	f.StringArrayVar(&paths, "path", nil, "derivation path element (hex, repeatable; may be empty)")
	f.StringVar(&identity, "identity", "", "caller identity PEM (Ed25519 or secp256k1); default: the CLI's own identity")
	f.StringVar(&taproot, "taproot-merkle-root", "", "BIP341 merkle root (hex, empty for key-path only); BIP340 keys only")
	f.StringVar(&rootKeyHex, "root-key", "", "subnet root public key (DER hex) to verify the reply's certificate against (default: the local subnet's)")
	f.BoolVar(&full, "full", false, "also print certificate, height, request id and caller")
	f.DurationVar(&timeout, "timeout", 60*time.Second, "request timeout")
	_ = cmd.MarkFlagRequired("hash")
	return cmd
}
