package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	geth "github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/chainkey/chainkey/ethereum"
	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/rpc"
)

// ethSendOutput is the JSON `chainkey eth send` prints.
type ethSendOutput struct {
	TxHash          string `json:"tx_hash"`
	From            string `json:"from"`
	Nonce           uint64 `json:"nonce"`
	Status          uint64 `json:"status"`
	BlockNumber     uint64 `json:"block_number"`
	ContractAddress string `json:"contract_address,omitempty"`
}

// ethSignTxOutput is the JSON `chainkey eth sign-tx` prints.
type ethSignTxOutput struct {
	RawTransaction string `json:"raw_transaction"`
	TxHash         string `json:"tx_hash"`
	From           string `json:"from"`
}

// ethKeyFlags select the subnet node and the threshold key whose address
// holds the ETH: the caller identity, key id and derivation path.
type ethKeyFlags struct {
	endpoint, keyID, identity, rootKeyHex string
	paths                                 []string
	timeout                               time.Duration
	tls                                   tlsFlags
}

func (f *ethKeyFlags) register(fs *pflag.FlagSet) {
	f.tls.register(fs)
	fs.StringVar(&f.endpoint, "endpoint", "", endpointHelp)
	fs.StringVar(&f.rootKeyHex, "root-key", "", "subnet root public key (DER hex) to verify each signature's certificate against (default: the local subnet's)")
	fs.StringVar(&f.keyID, "key-id", "ecdsa:secp256k1:dfx_test_key", "threshold key id: ecdsa:secp256k1:NAME")
	fs.StringArrayVar(&f.paths, "path", nil, "derivation path element (hex, repeatable; may be empty)")
	fs.StringVar(&f.identity, "identity", "", "caller identity PEM (Ed25519 or secp256k1); default: the CLI's own identity")
	fs.DurationVar(&f.timeout, "timeout", 60*time.Second, "timeout of each request to the subnet")
}

// ethAccount is a threshold key of the subnet seen as an Ethereum account:
// its address, and a Signer that asks the subnet for signatures.
type ethAccount struct {
	c       *rpc.Client
	keyID   string
	path    [][]byte
	timeout time.Duration
	address common.Address
	// rootKey, if set, is the subnet's root key: every signature's
	// certificate is checked against it.
	rootKey []byte
}

// SignHash asks the subnet for the threshold signature r||s of hash and,
// when the root key is known, checks the reply's certificate. (The reply's
// recovery id is not needed: SignTx finds it and checks the signature
// against the account's address.)
func (a *ethAccount) SignHash(ctx context.Context, hash []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	env, err := a.c.NewSignEnvelope(rpc.SignArgs{KeyID: a.keyID, DerivationPath: a.path, MessageHash: hash})
	if err != nil {
		return nil, err
	}
	res, err := a.c.SignEnvelope(ctx, env)
	if err != nil {
		return nil, rpcErrorLine("threshold signature", err)
	}
	if a.rootKey != nil {
		_, reqID, err := env.DecodeSignContent()
		if err != nil {
			return nil, err
		}
		if err := rpc.VerifySignResponse(res, a.rootKey, reqID); err != nil {
			return nil, err
		}
	}
	return res.GetSignature(), nil
}

// account connects to the subnet node and returns the account of the
// caller's derived key; the caller must Close it.
func (f *ethKeyFlags) account(ctx context.Context) (*ethAccount, error) {
	k, err := ingress.ParseKeyID(f.keyID)
	if err != nil {
		return nil, fmt.Errorf("--key-id: %w", err)
	}
	if k.Algorithm != ingress.AlgorithmECDSASecp256k1 {
		return nil, fmt.Errorf("--key-id %s: Ethereum needs an ecdsa:secp256k1 key", f.keyID)
	}
	path, err := decodeHexList("--path", f.paths)
	if err != nil {
		return nil, err
	}
	target, err := resolveTarget(f.endpoint, f.rootKeyHex)
	if err != nil {
		return nil, err
	}
	id, err := loadCallerIdentity(f.identity)
	if err != nil {
		return nil, err
	}
	c, err := target.dial(id, &f.tls)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	pub, _, err := c.PublicKey(pctx, f.keyID, c.Caller(), path)
	if err != nil {
		c.Close()
		return nil, rpcErrorLine("public key", err)
	}
	addr, err := ethereum.AddressFromPublicKey(pub)
	if err != nil {
		c.Close()
		return nil, err
	}
	return &ethAccount{c: c, keyID: f.keyID, path: path, timeout: f.timeout, address: addr, rootKey: target.RootKey}, nil
}

// Close closes the connection to the subnet node.
func (a *ethAccount) Close() error { return a.c.Close() }

// ethDial connects to an Ethereum node's JSON-RPC endpoint and checks that
// it answers, so that a wrong or unreachable URL fails here with a clear
// message rather than later in the middle of a transaction.
func ethDial(ctx context.Context, url string, timeout time.Duration) (*ethclient.Client, error) {
	if url == "" {
		return nil, errors.New("--rpc is required (an Ethereum node's JSON-RPC URL, e.g. http://127.0.0.1:8545)")
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := ethclient.DialContext(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("--rpc %s: %w", url, err)
	}
	if _, err := c.ChainID(ctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("--rpc %s: no Ethereum JSON-RPC node answers there: %w", url, err)
	}
	return c, nil
}

func newEthCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "eth",
		Short: "Hold and send ETH with the subnet's threshold ECDSA key",
		Long: `The Ethereum address of a threshold ECDSA key (the caller's key derived
under --key-id and --path, as "chainkey pubkey" gives it), its balance, and
transactions signed by the subnet: EIP-1559 transfers and contract calls sent
to an Ethereum node, or offline transactions of any type signed into raw
hex.`,
	}
	cmd.AddCommand(newEthAddressCmd(), newEthBalanceCmd(), newEthSendCmd(), newEthSignTxCmd())
	return cmd
}

func newEthAddressCmd() *cobra.Command {
	var kf ethKeyFlags
	cmd := &cobra.Command{
		Use:   "address",
		Short: `Print the Ethereum address (EIP-55) of your derived threshold key: {"address"}`,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := kf.account(cmd.Context())
			if err != nil {
				return fmt.Errorf("eth address: %w", err)
			}
			defer a.Close()
			return writeJSONLine(cmd.OutOrStdout(), map[string]string{"address": a.address.Hex()})
		},
	}
	kf.register(cmd.Flags())
	return cmd
}

func newEthBalanceCmd() *cobra.Command {
	var (
		kf     ethKeyFlags
		rpcURL string
	)
	cmd := &cobra.Command{
		Use:   "balance --rpc URL [ADDRESS]",
		Short: `Print an address's balance in wei: {"address","balance"}`,
		Long: `Ask the Ethereum node at --rpc for the latest balance of ADDRESS, or, without
ADDRESS, of your derived threshold key's address. The balance is a decimal
string of wei.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var addr common.Address
			if len(args) == 1 {
				var err error
				if addr, err = ethereum.ParseAddress(args[0]); err != nil {
					return fmt.Errorf("eth balance: %w", err)
				}
			} else {
				a, err := kf.account(ctx)
				if err != nil {
					return fmt.Errorf("eth balance: %w", err)
				}
				addr = a.address
				a.Close()
			}
			ec, err := ethDial(ctx, rpcURL, kf.timeout)
			if err != nil {
				return fmt.Errorf("eth balance: %w", err)
			}
			defer ec.Close()
			bctx, cancel := context.WithTimeout(ctx, kf.timeout)
			defer cancel()
			bal, err := ec.BalanceAt(bctx, addr, nil)
			if err != nil {
				return fmt.Errorf("eth balance: %w", err)
			}
			return writeJSONLine(cmd.OutOrStdout(), map[string]string{"address": addr.Hex(), "balance": bal.String()})
		},
	}
	kf.register(cmd.Flags())
	cmd.Flags().StringVar(&rpcURL, "rpc", "", "Ethereum node JSON-RPC URL (required)")
	return cmd
}

// ethSendArgs are the flags of `chainkey eth send`.
type ethSendArgs struct {
	rpcURL, to, value, data, maxFee, maxTip string
	gasLimit, nonce                         uint64
	nonceSet                                bool
	wait                                    time.Duration
}

// request turns the flags into a TxRequest for from.
func (s *ethSendArgs) request(from common.Address) (ethereum.TxRequest, error) {
	req := ethereum.TxRequest{From: from, GasLimit: s.gasLimit}
	if s.to != "" {
		to, err := ethereum.ParseAddress(s.to)
		if err != nil {
			return req, fmt.Errorf("--to: %w", err)
		}
		req.To = &to
	}
	var err error
	if req.Value, err = ethereum.ParseWei("--value", s.value); err != nil {
		return req, err
	}
	if s.data != "" {
		if req.Data, err = hexutil.Decode(s.data); err != nil {
			return req, fmt.Errorf("--data: %w", err)
		}
	}
	if req.To == nil && len(req.Data) == 0 {
		return req, errors.New("--to is required (without it, --data is the code of a contract to create)")
	}
	if s.maxFee != "" {
		if req.MaxFeePerGas, err = ethereum.ParseWei("--max-fee-per-gas", s.maxFee); err != nil {
			return req, err
		}
	}
	if s.maxTip != "" {
		if req.MaxPriorityFeePerGas, err = ethereum.ParseWei("--max-priority-fee-per-gas", s.maxTip); err != nil {
			return req, err
		}
	}
	if s.nonceSet {
		n := s.nonce
		req.Nonce = &n
	}
	return req, nil
}

// ethSend prepares, threshold-signs and submits a transaction, then waits
// for its receipt, reporting progress on progress.
func ethSend(ctx context.Context, ec ethereum.Client, a *ethAccount, req ethereum.TxRequest, wait time.Duration, progress io.Writer) (ethSendOutput, error) {
	var out ethSendOutput
	tx, chainID, err := ethereum.Prepare(ctx, ec, req)
	if err != nil {
		return out, err
	}
	checked := ""
	if a.rootKey != nil {
		checked = ", certificate checked against the subnet's root key"
	}
	fmt.Fprintf(progress, "eth: signing transaction from %s (chain %s, nonce %d, gas %d, max fee %s wei/gas) with the subnet's threshold key%s\n",
		a.address.Hex(), chainID, tx.Nonce(), tx.Gas(), tx.GasFeeCap(), checked)
	signed, err := ethereum.SignTx(ctx, a, a.address, chainID, tx)
	if err != nil {
		return out, err
	}
	if err := ethereum.Send(ctx, ec, signed); err != nil {
		return out, err
	}
	fmt.Fprintf(progress, "eth: sent %s, waiting for it to be mined\n", signed.Hash().Hex())
	r, err := ethWaitMined(ctx, ec, signed.Hash(), wait, progress)
	if err != nil {
		return out, err
	}
	out = ethSendOutput{TxHash: signed.Hash().Hex(), From: a.address.Hex(), Nonce: signed.Nonce(), Status: r.Status, BlockNumber: r.BlockNumber.Uint64()}
	if signed.To() == nil {
		out.ContractAddress = r.ContractAddress.Hex()
	}
	fmt.Fprintf(progress, "eth: mined in block %d, status %d\n", out.BlockNumber, out.Status)
	return out, nil
}

// ethWaitMined polls for the receipt of hash for at most wait.
func ethWaitMined(ctx context.Context, ec ethereum.Client, hash common.Hash, wait time.Duration, progress io.Writer) (*types.Receipt, error) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	start := time.Now()
	lastReport := start
	delay := 20 * time.Millisecond
	for {
		// Not found yet, the node still indexing, or a passing network
		// error: all are retried until the deadline.
		r, err := ec.TransactionReceipt(ctx, hash)
		if err == nil {
			return r, nil
		}
		if time.Since(lastReport) >= 10*time.Second {
			note := ""
			if !errors.Is(err, geth.NotFound) {
				note = ": " + err.Error()
			}
			fmt.Fprintf(progress, "eth: still waiting for %s (%s)%s\n", hash.Hex(), time.Since(start).Round(time.Second), note)
			lastReport = time.Now()
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%s was sent but not mined within %s (last answer: %v); it may still be mined", hash.Hex(), wait, err)
		case <-time.After(delay):
		}
		if delay < 500*time.Millisecond {
			delay *= 2
		}
	}
}

func newEthSendCmd() *cobra.Command {
	var (
		kf ethKeyFlags
		sa ethSendArgs
	)
	cmd := &cobra.Command{
		Use:   "send --rpc URL --to ADDRESS --value WEI",
		Short: "Send ETH (or call a contract) from your threshold key's address",
		Long: `Build an EIP-1559 transaction from your derived threshold key's address,
have the subnet sign it, send it to the Ethereum node at --rpc and wait for
its receipt (progress on stderr). The nonce, the fees, the gas limit and the
chain id come from the node unless given. Without --to, --data is the code
of a contract to create. Prints
{"tx_hash","from","nonce","status","block_number"} (and "contract_address"
for a creation); a transaction that is mined but fails (status 0) is printed
and the command exits non-zero.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			sa.nonceSet = cmd.Flags().Changed("nonce")
			if _, err := sa.request(common.Address{}); err != nil {
				return fmt.Errorf("eth send: %w", err)
			}
			ec, err := ethDial(ctx, sa.rpcURL, kf.timeout)
			if err != nil {
				return fmt.Errorf("eth send: %w", err)
			}
			defer ec.Close()
			a, err := kf.account(ctx)
			if err != nil {
				return fmt.Errorf("eth send: %w", err)
			}
			defer a.Close()
			req, err := sa.request(a.address)
			if err != nil {
				return fmt.Errorf("eth send: %w", err)
			}
			out, err := ethSend(ctx, ec, a, req, sa.wait, cmd.ErrOrStderr())
			if err != nil {
				return fmt.Errorf("eth send: %w", err)
			}
			if err := writeJSONLine(cmd.OutOrStdout(), out); err != nil {
				return err
			}
			if out.Status != types.ReceiptStatusSuccessful {
				return fmt.Errorf("eth send: %s failed in block %d (status 0)", out.TxHash, out.BlockNumber)
			}
			return nil
		},
	}
	kf.register(cmd.Flags())
	f := cmd.Flags()
	f.StringVar(&sa.rpcURL, "rpc", "", "Ethereum node JSON-RPC URL (required)")
	f.StringVar(&sa.to, "to", "", "recipient address (0x…, EIP-55 checked if mixed case)")
	f.StringVar(&sa.value, "value", "0", "amount in wei (decimal or 0x-hex)")
	f.StringVar(&sa.data, "data", "", "call data, 0x-hex")
	f.Uint64Var(&sa.gasLimit, "gas-limit", 0, "gas limit (default: estimated by the node)")
	f.StringVar(&sa.maxFee, "max-fee-per-gas", "", "max fee per gas in wei (default: twice the base fee plus the tip)")
	f.StringVar(&sa.maxTip, "max-priority-fee-per-gas", "", "max priority fee per gas in wei (default: the node's suggestion)")
	f.Uint64Var(&sa.nonce, "nonce", 0, "nonce (default: the account's next one)")
	f.DurationVar(&sa.wait, "wait", 5*time.Minute, "how long to wait for the receipt")
	return cmd
}

func newEthSignTxCmd() *cobra.Command {
	var (
		kf   ethKeyFlags
		file string
	)
	cmd := &cobra.Command{
		Use:   "sign-tx [--file FILE]",
		Short: "Sign an offline transaction (JSON on stdin or in FILE) into raw hex",
		Long: `Read an unsigned transaction as JSON from stdin (or --file) and have the
subnet sign it with your derived threshold key. Types 0 (legacy, EIP-155),
1 (EIP-2930) and 2 (EIP-1559):

  {"type":2,"chain_id":"1337","nonce":0,"to":"0x…","value":"1000",
   "gas_limit":21000,"max_fee_per_gas":"2000000000",
   "max_priority_fee_per_gas":"1000000000","data":"0x",
   "access_list":[{"address":"0x…","storage_keys":["0x…"]}]}

Wei amounts are strings (decimal or 0x-hex); types 0 and 1 take "gas_price"
instead of the two fees; without "to" the data creates a contract. Prints
{"raw_transaction":"0x…","tx_hash","from"}; the raw transaction is what
eth_sendRawTransaction takes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var data []byte
			var err error
			if file != "" && file != "-" {
				data, err = os.ReadFile(file)
			} else {
				data, err = io.ReadAll(io.LimitReader(cmd.InOrStdin(), 1<<24))
			}
			if err != nil {
				return fmt.Errorf("eth sign-tx: %w", err)
			}
			if strings.TrimSpace(string(data)) == "" {
				return errors.New("eth sign-tx: no transaction: the input is empty (JSON on stdin or in --file)")
			}
			tx, chainID, err := ethereum.ParseUnsignedTx(data)
			if err != nil {
				return fmt.Errorf("eth sign-tx: %w", err)
			}
			ctx := cmd.Context()
			a, err := kf.account(ctx)
			if err != nil {
				return fmt.Errorf("eth sign-tx: %w", err)
			}
			defer a.Close()
			signed, err := ethereum.SignTx(ctx, a, a.address, chainID, tx)
			if err != nil {
				return fmt.Errorf("eth sign-tx: %w", err)
			}
			raw, err := signed.MarshalBinary()
			if err != nil {
				return fmt.Errorf("eth sign-tx: %w", err)
			}
			return writeJSONLine(cmd.OutOrStdout(), ethSignTxOutput{RawTransaction: hexutil.Encode(raw), TxHash: signed.Hash().Hex(), From: a.address.Hex()})
		},
	}
	kf.register(cmd.Flags())
	cmd.Flags().StringVar(&file, "file", "", "read the transaction JSON from this file instead of stdin")
	return cmd
}
