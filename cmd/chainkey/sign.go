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
itself. Prints {"signature":"hex","public_key":"hex"} (with --full also the
certificate, height and request id). With --root-key (the subnet's root key
as "chainkey up" prints it) the reply's certificate is checked: it must prove
that the subnet, not only the node asked, produced this signature.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := ingress.ParseKeyID(keyID); err != nil {
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
			var rootKey []byte
			if rootKeyHex != "" {
				if rootKey, err = hex.DecodeString(rootKeyHex); err != nil {
					return fmt.Errorf("sign: --root-key: %w", err)
				}
			}
			id, err := loadCallerIdentity(identity)
			if err != nil {
				return fmt.Errorf("sign: %w", err)
			}
			tlsCfg, err := tlsf.config()
			if err != nil {
				return fmt.Errorf("sign: %w", err)
			}
			c, err := rpc.DialTLS(endpoint, id, tlsCfg)
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
			if rootKey != nil {
				_, reqID, err := env.DecodeSignContent()
				if err != nil {
					return fmt.Errorf("sign: %w", err)
				}
				if err := rpc.VerifySignResponse(res, rootKey, reqID); err != nil {
					return fmt.Errorf("sign: %w", err)
				}
			}
			out := map[string]any{
				"signature":  hex.EncodeToString(res.GetSignature()),
				"public_key": hex.EncodeToString(res.GetPublicKey()),
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
	f.StringVar(&endpoint, "endpoint", "127.0.0.1:50051", "node gRPC endpoint host:port")
	f.StringVar(&keyID, "key-id", "ecdsa:secp256k1:dfx_test_key", "key id: ecdsa:secp256k1:NAME, schnorr:bip340secp256k1:NAME or schnorr:ed25519:NAME")
	f.StringVar(&hashHex, "hash", "", "message hash (ECDSA, 32 bytes) or message (Schnorr), hex")
	f.StringArrayVar(&paths, "path", nil, "derivation path element (hex, repeatable; may be empty)")
	f.StringVar(&identity, "identity", "", "caller identity PEM (Ed25519 or secp256k1); default: the CLI's own identity")
	f.StringVar(&taproot, "taproot-merkle-root", "", "BIP341 merkle root (hex, empty for key-path only); BIP340 keys only")
	f.StringVar(&rootKeyHex, "root-key", "", "subnet root public key (DER hex); if set, verify the reply's certificate")
	f.BoolVar(&full, "full", false, "also print certificate, height, request id and caller")
	f.DurationVar(&timeout, "timeout", 60*time.Second, "request timeout")
	_ = cmd.MarkFlagRequired("hash")
	return cmd
}
