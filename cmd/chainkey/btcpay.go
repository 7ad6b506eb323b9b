package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/spf13/cobra"

	"github.com/chainkey/chainkey/bitcoin/canister"
	"github.com/chainkey/chainkey/bitcoin/chain"
	bpb "github.com/chainkey/chainkey/proto/bitcoinpb"
)

// A plain Bitcoin key for the commands below: a single-key wallet for
// test networks, so that a btcd user (btcd has no wallet) can mine to an
// address and pay from it through the subnet's Bitcoin canister API.

// dustLimit is the smallest change output kept; smaller change goes to the fee.
const dustLimit = 546

// payUtxo is one spendable output of the paying key.
type payUtxo struct {
	OutPoint wire.OutPoint
	Value    int64
	Height   uint32
}

// payment is a signed transaction and its accounting.
type payment struct {
	Tx     *wire.MsgTx
	Fee    int64
	Change int64
}

// keyAddresses returns the P2WPKH and P2PKH addresses of a key.
func keyAddresses(pub *btcec.PublicKey, params *chaincfg.Params) (*btcutil.AddressWitnessPubKeyHash, *btcutil.AddressPubKeyHash, error) {
	h := btcutil.Hash160(pub.SerializeCompressed())
	wpkh, err := btcutil.NewAddressWitnessPubKeyHash(h, params)
	if err != nil {
		return nil, nil, err
	}
	pkh, err := btcutil.NewAddressPubKeyHash(h, params)
	if err != nil {
		return nil, nil, err
	}
	return wpkh, pkh, nil
}

// estimateVsize bounds the virtual size of a transaction with n inputs of
// the given kind and outs outputs of at most a P2WSH/P2TR script's size.
func estimateVsize(n, outs int, witness bool) int64 {
	const overhead, output = 11, 43
	if witness {
		return int64(overhead + n*68 + outs*output) // 41 bytes + 107/4 witness
	}
	return int64(overhead + n*148 + outs*output)
}

// buildPayment selects the oldest UTXOs first (mined coins mature first),
// pays amount to dest, returns change above the dust limit to the key's own
// address and signs every input.
func buildPayment(priv *btcec.PrivateKey, witness bool, params *chaincfg.Params, utxos []payUtxo, dest btcutil.Address, amount, feeRate int64) (*payment, error) {
	if amount <= 0 {
		return nil, errors.New("amount must be positive")
	}
	if feeRate <= 0 {
		return nil, errors.New("fee rate must be positive")
	}
	destScript, err := txscript.PayToAddrScript(dest)
	if err != nil {
		return nil, fmt.Errorf("destination %s: %w", dest, err)
	}
	if amount < dustLimit && !txscript.IsNullData(destScript) {
		return nil, fmt.Errorf("amount %d sat is below the dust limit of %d sat", amount, dustLimit)
	}
	wpkh, pkh, err := keyAddresses(priv.PubKey(), params)
	if err != nil {
		return nil, err
	}
	var from btcutil.Address = pkh
	if witness {
		from = wpkh
	}
	fromScript, err := txscript.PayToAddrScript(from)
	if err != nil {
		return nil, err
	}
	sorted := slices.Clone(utxos)
	slices.SortStableFunc(sorted, func(a, b payUtxo) int { return int(a.Height) - int(b.Height) })

	tx := wire.NewMsgTx(2)
	prev := txscript.NewMultiPrevOutFetcher(nil)
	var in, fee int64
	for _, u := range sorted {
		tx.AddTxIn(wire.NewTxIn(&u.OutPoint, nil, nil))
		prev.AddPrevOut(u.OutPoint, wire.NewTxOut(u.Value, fromScript))
		in += u.Value
		fee = estimateVsize(len(tx.TxIn), 2, witness) * feeRate
		if in >= amount+fee {
			break
		}
	}
	if in < amount+fee {
		return nil, fmt.Errorf("%s holds %d sat in %d UTXOs; paying %d sat needs %d sat with the fee", from, in, len(utxos), amount, amount+fee)
	}
	tx.AddTxOut(wire.NewTxOut(amount, destScript))
	change := in - amount - fee
	if change >= dustLimit {
		tx.AddTxOut(wire.NewTxOut(change, fromScript))
	} else {
		fee += change
		change = 0
	}
	hashes := txscript.NewTxSigHashes(tx, prev)
	for i, txIn := range tx.TxIn {
		po := prev.FetchPrevOutput(txIn.PreviousOutPoint)
		if witness {
			w, err := txscript.WitnessSignature(tx, hashes, i, po.Value, fromScript, txscript.SigHashAll, priv, true)
			if err != nil {
				return nil, fmt.Errorf("sign input %d: %w", i, err)
			}
			txIn.Witness = w
		} else {
			s, err := txscript.SignatureScript(tx, i, fromScript, txscript.SigHashAll, priv, true)
			if err != nil {
				return nil, fmt.Errorf("sign input %d: %w", i, err)
			}
			txIn.SignatureScript = s
		}
	}
	return &payment{Tx: tx, Fee: fee, Change: change}, nil
}

// readWIF reads a key file written by `chainkey btc keygen`.
func readWIF(path string, params *chaincfg.Params) (*btcutil.WIF, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	w, err := btcutil.DecodeWIF(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("%s: not a WIF key: %w", path, err)
	}
	if !w.IsForNet(params) {
		return nil, fmt.Errorf("%s: the key is not for %s", path, params.Name)
	}
	return w, nil
}

func newBTCKeygenCmd() *cobra.Command {
	var network, out string
	var force bool
	cmd := &cobra.Command{
		Use:   "keygen",
		Short: `Create a Bitcoin key file (WIF, mode 0600); prints {"address","p2pkh_address","key_file"}`,
		Long: "Creates a single Bitcoin key for a test network, for example to give btcd's --miningaddr and\n" +
			"then pay from it with `chainkey btc pay`. address is its P2WPKH address, p2pkh_address the legacy one.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := chain.ParseNetwork(network)
			if err != nil {
				return err
			}
			params := n.Params()
			if _, err := os.Stat(out); err == nil && !force {
				return fmt.Errorf("btc keygen: %s exists (use --force to replace it)", out)
			}
			var seed [32]byte
			if _, err := rand.Read(seed[:]); err != nil {
				return err
			}
			priv, _ := btcec.PrivKeyFromBytes(seed[:])
			w, err := btcutil.NewWIF(priv, params, true)
			if err != nil {
				return err
			}
			flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
			if force {
				flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
			}
			kf, err := os.OpenFile(out, flags, 0o600)
			if err != nil {
				return fmt.Errorf("btc keygen: %w", err)
			}
			if err := kf.Chmod(0o600); err != nil {
				kf.Close()
				return fmt.Errorf("btc keygen: %w", err)
			}
			if _, err := kf.WriteString(w.String() + "\n"); err != nil {
				kf.Close()
				return fmt.Errorf("btc keygen: %w", err)
			}
			if err := kf.Close(); err != nil {
				return fmt.Errorf("btc keygen: %w", err)
			}
			wpkh, pkh, err := keyAddresses(priv.PubKey(), params)
			if err != nil {
				return err
			}
			return printJSON(cmd, map[string]string{"address": wpkh.EncodeAddress(), "p2pkh_address": pkh.EncodeAddress(), "key_file": out})
		},
	}
	cmd.Flags().StringVar(&network, "network", "regtest", "Bitcoin network: mainnet, testnet (testnet4) or regtest")
	cmd.Flags().StringVar(&out, "out", "btc.wif", "key file to write")
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing key file")
	return cmd
}

func newBTCPayCmd() *cobra.Command {
	var f btcFlags
	var keyFile, to, fromType string
	var amount, feeRate int64
	var minConf uint32
	cmd := &cobra.Command{
		Use:   "pay",
		Short: `Pay from a key file's address through the subnet's Bitcoin API; prints {"txid","from","to","amount","fee","change"}`,
		Long: "Builds a transaction from the UTXOs the subnet's Bitcoin canister knows for the key's address\n" +
			"(oldest first), signs it with the key and sends it with send_transaction.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := chain.ParseNetwork(f.network)
			if err != nil {
				return err
			}
			params := n.Params()
			w, err := readWIF(keyFile, params)
			if err != nil {
				return fmt.Errorf("btc pay: %w", err)
			}
			dest, err := btcutil.DecodeAddress(to, params)
			if err != nil || !dest.IsForNet(params) {
				return fmt.Errorf("btc pay: --to %q is not a %s address", to, params.Name)
			}
			witness := fromType == "p2wpkh"
			if !witness && fromType != "p2pkh" {
				return fmt.Errorf("btc pay: --from-type %q: want p2wpkh or p2pkh", fromType)
			}
			wpkh, pkh, err := keyAddresses(w.PrivKey.PubKey(), params)
			if err != nil {
				return err
			}
			from := wpkh.EncodeAddress()
			if !witness {
				from = pkh.EncodeAddress()
			}
			return f.call(cmd.Context(), func(ctx context.Context, c bpb.BitcoinClient, network bpb.Network) error {
				utxos, err := fetchUtxos(ctx, c, network, from, minConf)
				if err != nil {
					return err
				}
				rate := feeRate
				if rate == 0 {
					rate, err = defaultFeeRate(ctx, c, network)
					if err != nil {
						return err
					}
				}
				p, err := buildPayment(w.PrivKey, witness, params, utxos, dest, amount, rate)
				if err != nil {
					return fmt.Errorf("btc pay: %w", err)
				}
				var buf bytes.Buffer
				if err := p.Tx.Serialize(&buf); err != nil {
					return err
				}
				if _, err := canister.CheckTransaction(buf.Bytes()); err != nil {
					return fmt.Errorf("btc pay: %w", err)
				}
				if _, err := c.SendTransaction(ctx, &bpb.SendTransactionRequest{Network: network, Transaction: buf.Bytes()}); err != nil {
					return btcError(err)
				}
				return printJSON(cmd, map[string]any{"txid": p.Tx.TxHash().String(), "from": from, "to": to,
					"amount": amount, "fee": p.Fee, "change": p.Change})
			})
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&keyFile, "key-file", "btc.wif", "key file written by `chainkey btc keygen`")
	cmd.Flags().StringVar(&to, "to", "", "destination address")
	cmd.Flags().Int64Var(&amount, "amount", 0, "amount in satoshi")
	cmd.Flags().Int64Var(&feeRate, "fee-rate", 0, "fee rate in sat/vbyte (default: the median of the subnet's fee percentiles, at least 2)")
	cmd.Flags().StringVar(&fromType, "from-type", "p2wpkh", "which of the key's addresses pays: p2wpkh or p2pkh")
	cmd.Flags().Uint32Var(&minConf, "min-confirmations", 1, "spend only UTXOs with at least this many confirmations")
	_ = cmd.MarkFlagRequired("to")
	_ = cmd.MarkFlagRequired("amount")
	return cmd
}

// fetchUtxos reads every page of an address's UTXOs.
func fetchUtxos(ctx context.Context, c bpb.BitcoinClient, network bpb.Network, address string, minConf uint32) ([]payUtxo, error) {
	req := &bpb.GetUtxosRequest{Network: network, Address: address, Filter: &bpb.GetUtxosRequest_MinConfirmations{MinConfirmations: minConf}}
	var out []payUtxo
	for {
		res, err := c.GetUtxos(ctx, req)
		if err != nil {
			return nil, btcError(err)
		}
		for _, u := range res.GetUtxos() {
			h, err := chainhash.NewHash(u.GetOutpoint().GetTxid())
			if err != nil {
				return nil, fmt.Errorf("btc: bad txid in response: %w", err)
			}
			out = append(out, payUtxo{OutPoint: wire.OutPoint{Hash: *h, Index: u.GetOutpoint().GetVout()}, Value: int64(u.GetValue()), Height: u.GetHeight()})
		}
		if res.NextPage == nil {
			return out, nil
		}
		req.Filter = &bpb.GetUtxosRequest_Page{Page: res.NextPage}
	}
}

// defaultFeeRate is the median fee percentile in sat/vbyte, at least 2.
func defaultFeeRate(ctx context.Context, c bpb.BitcoinClient, network bpb.Network) (int64, error) {
	res, err := c.GetCurrentFeePercentiles(ctx, &bpb.GetCurrentFeePercentilesRequest{Network: network})
	if err != nil {
		return 0, btcError(err)
	}
	rate := int64(2)
	if p := res.GetMillisatoshiPerVbyte(); len(p) > 50 {
		rate = max(rate, int64((p[50]+999)/1000))
	}
	return rate, nil
}
