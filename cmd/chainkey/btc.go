package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	"github.com/chainkey/chainkey/bitcoin/canister"
	"github.com/chainkey/chainkey/bitcoin/chain"
	"github.com/chainkey/chainkey/bitcoin/service"
	bpb "github.com/chainkey/chainkey/proto/bitcoinpb"
	"github.com/chainkey/chainkey/rpc"
)

// btcUtxo and btcUtxosOutput are the JSON printed by `chainkey btc utxos`.
type btcUtxo struct {
	Txid   string `json:"txid"` // display (reversed) byte order
	Vout   uint32 `json:"vout"`
	Value  uint64 `json:"value"`
	Height uint32 `json:"height"`
}

type btcUtxosOutput struct {
	Utxos        []btcUtxo `json:"utxos"`
	TipHeight    uint32    `json:"tip_height"`
	TipBlockHash string    `json:"tip_block_hash"` // display byte order
}

type btcFlags struct {
	endpoint, network string
	timeout           time.Duration
	tls               tlsFlags
}

func (f *btcFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.endpoint, "endpoint", "", "HOST:PORT of a gRPC server hosting the Bitcoin service (default: the running \"chainkey up\" subnet, else "+fallbackEndpoint+")")
	cmd.Flags().StringVar(&f.network, "network", "regtest", "Bitcoin network: mainnet, testnet (testnet4) or regtest")
	cmd.Flags().DurationVar(&f.timeout, "timeout", 30*time.Second, "request timeout")
	f.tls.register(cmd.Flags())
}

// call connects to the endpoint and runs fn with the client, the network
// and a context bounded by --timeout.
func (f *btcFlags) call(parent context.Context, fn func(context.Context, bpb.BitcoinClient, bpb.Network) error) error {
	target, err := resolveTarget(f.endpoint, "")
	if err != nil {
		return fmt.Errorf("btc: %w", err)
	}
	endpoint := target.Endpoints[0]
	n, err := chain.ParseNetwork(f.network)
	if err != nil {
		return err
	}
	tlsCfg, err := f.tls.config()
	if err != nil {
		return fmt.Errorf("btc: %w", err)
	}
	cc, err := grpc.NewClient(endpoint, grpc.WithTransportCredentials(rpc.TransportCredentials(tlsCfg)))
	if err != nil {
		return fmt.Errorf("btc: connect %s: %w", endpoint, err)
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(parent, f.timeout)
	defer cancel()
	return fn(ctx, bpb.NewBitcoinClient(cc), service.NetworkToProto(n))
}

// btcError turns a Bitcoin service error into a message naming the
// Internet Computer's error variant.
func btcError(err error) error {
	if ae, ok := service.ApiErrorFrom(err); ok {
		kind := strings.TrimPrefix(ae.GetKind().String(), "KIND_")
		return fmt.Errorf("btc: %s: %s", kind, ae.GetMessage())
	}
	return fmt.Errorf("btc: %w", err)
}

func printJSON(cmd *cobra.Command, v any) error {
	enc := json.NewEncoder(cmd.OutOrStdout())
	return enc.Encode(v)
}

func newBTCCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "btc",
		Short: "Query the Bitcoin canister API (UTXOs, balances, fees) and send transactions",
	}
	cmd.AddCommand(newBTCUtxosCmd(), newBTCBalanceCmd(), newBTCFeesCmd(), newBTCSendCmd(), newBTCKeygenCmd(), newBTCPayCmd())
	return cmd
}

func newBTCUtxosCmd() *cobra.Command {
	var f btcFlags
	var address string
	var minConf uint32
	cmd := &cobra.Command{
		Use:   "utxos",
		Short: "List an address's UTXOs (all pages), newest first, as JSON",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.call(cmd.Context(), func(ctx context.Context, c bpb.BitcoinClient, network bpb.Network) error {
				req := &bpb.GetUtxosRequest{Network: network, Address: address}
				if cmd.Flags().Changed("min-confirmations") {
					req.Filter = &bpb.GetUtxosRequest_MinConfirmations{MinConfirmations: minConf}
				}
				out := btcUtxosOutput{Utxos: []btcUtxo{}}
				for first := true; ; first = false {
					res, err := c.GetUtxos(ctx, req)
					if err != nil {
						return btcError(err)
					}
					if first {
						tip, err := chainhash.NewHash(res.GetTipBlockHash())
						if err != nil {
							return fmt.Errorf("btc: bad tip hash in response: %w", err)
						}
						out.TipHeight, out.TipBlockHash = res.GetTipHeight(), tip.String()
					}
					for _, u := range res.GetUtxos() {
						txid, err := chainhash.NewHash(u.GetOutpoint().GetTxid())
						if err != nil {
							return fmt.Errorf("btc: bad txid in response: %w", err)
						}
						out.Utxos = append(out.Utxos, btcUtxo{Txid: txid.String(), Vout: u.GetOutpoint().GetVout(), Value: u.GetValue(), Height: u.GetHeight()})
					}
					if res.NextPage == nil {
						break
					}
					req.Filter = &bpb.GetUtxosRequest_Page{Page: res.NextPage}
				}
				return printJSON(cmd, out)
			})
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&address, "address", "", "P2PKH, P2SH, P2WPKH, P2WSH or P2TR address")
	cmd.Flags().Uint32Var(&minConf, "min-confirmations", 0, "only UTXOs with at least this many confirmations")
	_ = cmd.MarkFlagRequired("address")
	return cmd
}

func newBTCBalanceCmd() *cobra.Command {
	var f btcFlags
	var address string
	var minConf uint32
	cmd := &cobra.Command{
		Use:   "balance",
		Short: `Print an address's balance in satoshi as JSON {"balance":N}`,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.call(cmd.Context(), func(ctx context.Context, c bpb.BitcoinClient, network bpb.Network) error {
				req := &bpb.GetBalanceRequest{Network: network, Address: address}
				if cmd.Flags().Changed("min-confirmations") {
					req.MinConfirmations = &minConf
				}
				res, err := c.GetBalance(ctx, req)
				if err != nil {
					return btcError(err)
				}
				return printJSON(cmd, map[string]uint64{"balance": res.GetBalance()})
			})
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&address, "address", "", "P2PKH, P2SH, P2WPKH, P2WSH or P2TR address")
	cmd.Flags().Uint32Var(&minConf, "min-confirmations", 0, "only count UTXOs with at least this many confirmations")
	_ = cmd.MarkFlagRequired("address")
	return cmd
}

func newBTCFeesCmd() *cobra.Command {
	var f btcFlags
	cmd := &cobra.Command{
		Use:   "fees",
		Short: "Print the current fee percentiles (101 values, millisatoshi/vbyte) as a JSON list",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.call(cmd.Context(), func(ctx context.Context, c bpb.BitcoinClient, network bpb.Network) error {
				res, err := c.GetCurrentFeePercentiles(ctx, &bpb.GetCurrentFeePercentilesRequest{Network: network})
				if err != nil {
					return btcError(err)
				}
				fees := res.GetMillisatoshiPerVbyte()
				if fees == nil {
					fees = []uint64{}
				}
				return printJSON(cmd, fees)
			})
		},
	}
	f.register(cmd)
	return cmd
}

func newBTCSendCmd() *cobra.Command {
	var f btcFlags
	var txHex string
	cmd := &cobra.Command{
		Use:   "send",
		Short: `Send a raw transaction (hex) to the Bitcoin network; prints {"txid":"…"}`,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			raw, err := hex.DecodeString(strings.TrimSpace(txHex))
			if err != nil {
				return fmt.Errorf("btc: --tx is not hex: %w", err)
			}
			tx, err := canister.CheckTransaction(raw)
			if err != nil {
				return fmt.Errorf("btc: %w", err)
			}
			return f.call(cmd.Context(), func(ctx context.Context, c bpb.BitcoinClient, network bpb.Network) error {
				if _, err := c.SendTransaction(ctx, &bpb.SendTransactionRequest{Network: network, Transaction: raw}); err != nil {
					return btcError(err)
				}
				return printJSON(cmd, map[string]string{"txid": tx.TxHash().String()})
			})
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&txHex, "tx", "", "consensus-serialised transaction in hex")
	_ = cmd.MarkFlagRequired("tx")
	return cmd
}
