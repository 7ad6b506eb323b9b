package main

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/rpc"
	"github.com/chainkey/chainkey/vetkd"
)

const vetkdKeyHelp = "vetKD key id: bls12_381_g2:NAME"

func newVetKDCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vetkd",
		Short: "vetKD keys from the subnet: derived public keys and encrypted keys",
		Long: `vetKD derives, for a caller, a context and an input, a key (a BLS signature)
that the subnet returns encrypted under the caller's transport public key, as
the Internet Computer's vetkd_public_key and vetkd_derive_key do; the caller's
principal takes the canister id's place.`,
	}
	cmd.AddCommand(newVetKDPubkeyCmd(), newVetKDDeriveCmd())
	return cmd
}

func newVetKDPubkeyCmd() *cobra.Command {
	var (
		endpoint, keyID, identity, caller, ctxHex string
		timeout                                   time.Duration
		tlsf                                      tlsFlags
	)
	cmd := &cobra.Command{
		Use:   "pubkey",
		Short: "Get your derived vetKD public key from a node",
		Long: `Ask a node for the vetKD public key derived for the caller (the principal of
--identity, or of the default identity, or --caller) and --context, as
vetkd_public_key does. Prints {"public_key":"hex"} (96 bytes, G2).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := ingress.CheckVetKDKeyID(keyID); err != nil {
				return fmt.Errorf("vetkd pubkey: --key-id: %w", err)
			}
			context_, err := hex.DecodeString(ctxHex)
			if err != nil {
				return fmt.Errorf("vetkd pubkey: --context: %w", err)
			}
			who, err := callerPrincipal(caller, identity)
			if err != nil {
				return fmt.Errorf("vetkd pubkey: %w", err)
			}
			target, err := resolveTarget(endpoint, "")
			if err != nil {
				return fmt.Errorf("vetkd pubkey: %w", err)
			}
			c, err := target.dial(nil, &tlsf)
			if err != nil {
				return fmt.Errorf("vetkd pubkey: %w", err)
			}
			defer c.Close()
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			pub, err := c.VetKDPublicKey(ctx, keyID, who, context_)
			if err != nil {
				return rpcErrorLine("vetkd pubkey", err)
			}
			return writeJSONLine(cmd.OutOrStdout(), map[string]string{"public_key": hex.EncodeToString(pub)})
		},
	}
	f := cmd.Flags()
	tlsf.register(f)
	f.StringVar(&endpoint, "endpoint", "", endpointHelp)
	f.StringVar(&keyID, "key-id", "bls12_381_g2:dfx_test_key", vetkdKeyHelp)
	f.StringVar(&ctxHex, "context", "", "derivation context (hex, may be empty)")
	f.StringVar(&identity, "identity", "", "caller identity PEM (Ed25519 or secp256k1); default: the CLI's own identity")
	f.StringVar(&caller, "caller", "", "derive for this principal instead of the identity's")
	f.DurationVar(&timeout, "timeout", 30*time.Second, "request timeout")
	return cmd
}

func newVetKDDeriveCmd() *cobra.Command {
	var (
		endpoint, keyID, identity, ctxHex, inputHex, tpkHex, rootKeyHex string
		full                                                            bool
		timeout                                                         time.Duration
		tlsf                                                            tlsFlags
	)
	cmd := &cobra.Command{
		Use:   "derive",
		Short: "Get a vetKD key from the subnet, encrypted under your transport key",
		Long: `Sign a derivation request with the caller identity and submit it to a node; the
subnet derives the key of --input under the key of the caller and --context
and returns it encrypted under --transport-public-key (a compressed G1 point,
48 bytes, e.g. from @dfinity/vetkeys' TransportSecretKey), as
vetkd_derive_key does. Prints {"encrypted_key":"hex","certified":bool}; with
--full also the derived public key, certificate, height, request id and
caller. The reply's certificate is checked as for "chainkey sign".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := ingress.CheckVetKDKeyID(keyID); err != nil {
				return fmt.Errorf("vetkd derive: --key-id: %w", err)
			}
			var args rpc.VetKDArgs
			args.KeyID = keyID
			for _, x := range []struct {
				flag, v string
				out     *[]byte
			}{{"--context", ctxHex, &args.Context}, {"--input", inputHex, &args.Input}, {"--transport-public-key", tpkHex, &args.TransportPublicKey}} {
				b, err := hex.DecodeString(x.v)
				if err != nil {
					return fmt.Errorf("vetkd derive: %s: %w", x.flag, err)
				}
				*x.out = b
			}
			target, err := resolveTarget(endpoint, rootKeyHex)
			if err != nil {
				return fmt.Errorf("vetkd derive: %w", err)
			}
			id, err := loadCallerIdentity(identity)
			if err != nil {
				return fmt.Errorf("vetkd derive: %w", err)
			}
			c, err := target.dial(id, &tlsf)
			if err != nil {
				return fmt.Errorf("vetkd derive: %w", err)
			}
			defer c.Close()
			env, err := c.NewVetKDEnvelope(args)
			if err != nil {
				return fmt.Errorf("vetkd derive: %w", err)
			}
			_, reqID, err := env.DecodeVetKDContent()
			if err != nil {
				return fmt.Errorf("vetkd derive: %w", err)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			res, err := c.VetKDDeriveKeyEnvelope(ctx, env)
			if err != nil {
				return rpcErrorLine("vetkd derive", err)
			}
			if target.RootKey != nil {
				if err := rpc.VerifyVetKDResponse(res, target.RootKey, reqID); err != nil {
					return fmt.Errorf("vetkd derive: %w", err)
				}
			}
			out := map[string]any{
				"encrypted_key": hex.EncodeToString(res.GetEncryptedKey()),
				"certified":     target.RootKey != nil,
			}
			if full {
				out["public_key"] = hex.EncodeToString(res.GetPublicKey())
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
	f.StringVar(&keyID, "key-id", "bls12_381_g2:dfx_test_key", vetkdKeyHelp)
	f.StringVar(&ctxHex, "context", "", "derivation context (hex, may be empty)")
	f.StringVar(&inputHex, "input", "", "input the key is derived for (hex, may be empty)")
	f.StringVar(&tpkHex, "transport-public-key", "", "transport public key (hex, 48-byte compressed G1 point)")
	f.StringVar(&identity, "identity", "", "caller identity PEM (Ed25519 or secp256k1); default: the CLI's own identity")
	f.StringVar(&rootKeyHex, "root-key", "", "subnet root public key (DER hex) to verify the reply's certificate against (default: the local subnet's)")
	f.BoolVar(&full, "full", false, "also print public key, certificate, height, request id and caller")
	f.DurationVar(&timeout, "timeout", 60*time.Second, "request timeout")
	_ = cmd.MarkFlagRequired("input")
	_ = cmd.MarkFlagRequired("transport-public-key")
	return cmd
}

func newBenchVetKDCmd() *cobra.Command {
	var (
		endpoints, keyID, identity string
		duration, timeout          time.Duration
		concurrency                int
		tlsf                       tlsFlags
	)
	cmd := &cobra.Command{
		Use:   "vetkd",
		Short: "Measure vetKD derivation latency and throughput",
		Long: `Send vetKD derivation requests for random inputs, encrypted under one
transport key made for the run, from --concurrency parallel callers for
--duration, and print the same JSON as "bench sign"; per_second is
successful derivations per second.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := ingress.CheckVetKDKeyID(keyID); err != nil {
				return fmt.Errorf("bench: --key-id: %w", err)
			}
			if concurrency < 1 || duration <= 0 {
				return fmt.Errorf("bench: --concurrency must be at least 1 and --duration positive")
			}
			id, err := loadCallerIdentity(identity)
			if err != nil {
				return fmt.Errorf("bench: %w", err)
			}
			tlsCfg, err := tlsf.config()
			if err != nil {
				return fmt.Errorf("bench: %w", err)
			}
			target, err := resolveTarget(endpoints, "")
			if err != nil {
				return fmt.Errorf("bench: %w", err)
			}
			tsk, err := vetkd.GenerateTransportSecretKey(crand.Reader)
			if err != nil {
				return fmt.Errorf("bench: %w", err)
			}
			tpk := tsk.PublicKey().Bytes()
			tsk.Zeroize()
			var clients []*rpc.Client
			for _, ep := range target.Endpoints {
				c, err := rpc.DialTLS(ep, id, tlsCfg)
				if err != nil {
					return fmt.Errorf("bench: %w", err)
				}
				defer c.Close()
				clients = append(clients, c)
			}
			res, firstErr := runBench(cmd.Context(), clients, func(ctx context.Context, c *rpc.Client) error {
				input := make([]byte, 32)
				crand.Read(input)
				_, err := c.VetKDDeriveKey(ctx, rpc.VetKDArgs{KeyID: keyID, Context: []byte("bench"), Input: input, TransportPublicKey: tpk})
				return err
			}, duration, timeout, concurrency)
			if err := writeJSONLine(cmd.OutOrStdout(), res); err != nil {
				return err
			}
			if res.Requests > 0 && res.Errors == res.Requests {
				fmt.Fprintln(cmd.ErrOrStderr(), "chainkey:", rpcErrorLine("bench: every request failed", firstErr))
				return errSilent{code: 1}
			}
			return nil
		},
	}
	f := cmd.Flags()
	tlsf.register(f)
	f.StringVar(&endpoints, "endpoint", "", endpointHelp+"; comma-separated for several (default: every node of the local subnet)")
	f.StringVar(&keyID, "key-id", "bls12_381_g2:dfx_test_key", vetkdKeyHelp)
	f.StringVar(&identity, "identity", "", "caller identity PEM; default: the CLI's own identity")
	f.DurationVar(&duration, "duration", 30*time.Second, "how long to send requests")
	f.DurationVar(&timeout, "timeout", 60*time.Second, "per-request timeout")
	f.IntVar(&concurrency, "concurrency", 8, "parallel requests")
	return cmd
}
