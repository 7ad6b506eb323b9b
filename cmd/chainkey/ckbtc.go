package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/chainkey/chainkey/agent"
	"github.com/chainkey/chainkey/ckbtc"
	"github.com/chainkey/chainkey/ckbtc/client"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica"
)

// ckbtcFlags are the flags of every ckbtc command.
type ckbtcFlags struct {
	canisterFlags
	ledger, minter string
	owner          string
	subaccount     string
}

func newCkBTCCmd() *cobra.Command {
	f := &ckbtcFlags{}
	cmd := &cobra.Command{
		Use:   "ckbtc",
		Short: "Deposit, transfer and withdraw ckBTC on a subnet with Bitcoin",
		Long: `Use the subnet's ckBTC ledger and minter through its IC HTTP interface, as
the identity (--identity PEM, default the CLI's own). Every command prints one
JSON object.

  ckbtc address                       the identity's Bitcoin deposit address
  ckbtc update-balance                mint ckBTC for new confirmed deposits
  ckbtc balance                       the identity's ckBTC balance (e8s)
  ckbtc transfer TO AMOUNT            ICRC-1 transfer (TO a principal)
  ckbtc withdraw ADDRESS AMOUNT       icrc2_approve + retrieve_btc_with_approval
  ckbtc status BLOCK_INDEX            retrieve_btc_status_v2 of a withdrawal

Amounts are in satoshi (ckBTC e8s). --owner and --subaccount (32 bytes, hex)
name another account for address, update-balance and balance.`,
	}
	f.canisterFlags.register(cmd)
	ids := replica.SubnetCkBTCIDs()
	p := cmd.PersistentFlags()
	p.StringVar(&f.ledger, "ledger", ids.Ledger.String(), "the ckBTC ledger's canister id")
	p.StringVar(&f.minter, "minter", ids.Minter.String(), "the ckBTC minter's canister id")
	p.StringVar(&f.owner, "owner", "", "the account's owner (default: the identity)")
	p.StringVar(&f.subaccount, "subaccount", "", "the account's subaccount (64 hex digits)")
	f.asJSON = true
	_ = p.MarkHidden("json") // the ckbtc commands always print JSON
	cmd.AddCommand(newCkBTCAddressCmd(f), newCkBTCUpdateBalanceCmd(f), newCkBTCBalanceCmd(f), newCkBTCTransferCmd(f),
		newCkBTCWithdrawCmd(f), newCkBTCStatusCmd(f))
	return cmd
}

// run runs a ckbtc command with its client.
func (f *ckbtcFlags) run(cmd *cobra.Command, do func(ctx context.Context, c *client.Client, a *agent.Agent) (any, error)) error {
	ledger, err := principal.Parse(f.ledger)
	if err != nil {
		return fmt.Errorf("ckbtc: --ledger: %w", err)
	}
	minter, err := principal.Parse(f.minter)
	if err != nil {
		return fmt.Errorf("ckbtc: --minter: %w", err)
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
	defer cancel()
	a, err := f.agent(ctx)
	if err != nil {
		return fmt.Errorf("ckbtc: %w", err)
	}
	out, err := do(ctx, &client.Client{T: a, Ledger: ledger, Minter: minter}, a)
	if err != nil {
		return fmt.Errorf("ckbtc: %w", err)
	}
	return writeJSONLine(cmd.OutOrStdout(), out)
}

// account is --owner (default the identity) and --subaccount.
func (f *ckbtcFlags) account(a *agent.Agent) (owner principal.Principal, sub []byte, err error) {
	owner = a.Sender()
	if f.owner != "" {
		if owner, err = principal.Parse(f.owner); err != nil {
			return owner, nil, fmt.Errorf("--owner: %w", err)
		}
	}
	if f.subaccount != "" {
		if sub, err = hex.DecodeString(f.subaccount); err != nil || len(sub) != 32 {
			return owner, nil, fmt.Errorf("--subaccount: want 64 hex digits")
		}
	}
	return owner, sub, nil
}

func newCkBTCAddressCmd(f *ckbtcFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "address",
		Short: "Print the Bitcoin deposit address of the account",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.run(cmd, func(ctx context.Context, c *client.Client, a *agent.Agent) (any, error) {
				owner, sub, err := f.account(a)
				if err != nil {
					return nil, err
				}
				addr, err := c.Address(ctx, &owner, sub)
				if err != nil {
					return nil, err
				}
				return map[string]any{"owner": owner.String(), "address": addr}, nil
			})
		},
	}
}

// utxoJSON is a deposit as update-balance prints it.
type utxoJSON struct {
	Status       string  `json:"status"`
	Txid         string  `json:"txid"`
	Vout         uint32  `json:"vout"`
	Value        uint64  `json:"value"`
	Height       uint32  `json:"height"`
	BlockIndex   *uint64 `json:"block_index,omitempty"`
	MintedAmount *uint64 `json:"minted_amount,omitempty"`
}

// txidHex is a txid in the byte order Bitcoin tools print.
func txidHex(b []byte) string {
	r := make([]byte, len(b))
	for i := range b {
		r[len(b)-1-i] = b[i]
	}
	return hex.EncodeToString(r)
}

func utxoOut(status string, u ckbtc.CandidUtxo) utxoJSON {
	return utxoJSON{Status: status, Txid: txidHex(u.Outpoint.Txid), Vout: u.Outpoint.Vout, Value: u.Value, Height: u.Height}
}

func newCkBTCUpdateBalanceCmd(f *ckbtcFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "update-balance",
		Short: "Mint ckBTC for the account's new confirmed deposits",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.run(cmd, func(ctx context.Context, c *client.Client, a *agent.Agent) (any, error) {
				owner, sub, err := f.account(a)
				if err != nil {
					return nil, err
				}
				sts, err := c.UpdateBalance(ctx, &owner, sub)
				var ub *ckbtc.UpdateBalanceError
				if errors.As(err, &ub) && ub.NoNewUtxos != nil {
					out := map[string]any{"minted": []utxoJSON{}, "required_confirmations": ub.NoNewUtxos.RequiredConfirmations}
					var pending []map[string]any
					if ub.NoNewUtxos.PendingUtxos != nil {
						for _, p := range *ub.NoNewUtxos.PendingUtxos {
							pending = append(pending, map[string]any{"txid": txidHex(p.Outpoint.Txid), "vout": p.Outpoint.Vout,
								"value": p.Value, "confirmations": p.Confirmations})
						}
					}
					out["pending"] = pending
					return out, nil
				}
				if err != nil {
					return nil, err
				}
				list := []utxoJSON{}
				for _, s := range sts {
					switch {
					case s.Minted != nil:
						u := utxoOut("Minted", s.Minted.Utxo)
						u.BlockIndex, u.MintedAmount = &s.Minted.BlockIndex, &s.Minted.MintedAmount
						list = append(list, u)
					case s.Checked != nil:
						list = append(list, utxoOut("Checked", *s.Checked))
					case s.ValueTooSmall != nil:
						list = append(list, utxoOut("ValueTooSmall", *s.ValueTooSmall))
					case s.Tainted != nil:
						list = append(list, utxoOut("Tainted", *s.Tainted))
					}
				}
				return map[string]any{"minted": list}, nil
			})
		},
	}
}

func newCkBTCBalanceCmd(f *ckbtcFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "balance",
		Short: "Print the account's ckBTC balance in e8s (satoshi)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.run(cmd, func(ctx context.Context, c *client.Client, a *agent.Agent) (any, error) {
				owner, sub, err := f.account(a)
				if err != nil {
					return nil, err
				}
				acct := client.Account{Owner: owner}
				if sub != nil {
					acct.Subaccount = &sub
				}
				b, err := c.Balance(ctx, acct)
				if err != nil {
					return nil, err
				}
				return map[string]any{"owner": owner.String(), "subaccount": f.subaccount, "balance": b}, nil
			})
		},
	}
}

func parseAmount(s string) (uint64, error) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("amount %q: want satoshi as a whole number", s)
	}
	return v, nil
}

func newCkBTCTransferCmd(f *ckbtcFlags) *cobra.Command {
	var toSub, memo string
	cmd := &cobra.Command{
		Use:   "transfer TO AMOUNT",
		Short: "Transfer ckBTC (ICRC-1) from the identity's account to TO",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			to, err := principal.Parse(args[0])
			if err != nil {
				return fmt.Errorf("ckbtc: TO: %w", err)
			}
			amount, err := parseAmount(args[1])
			if err != nil {
				return fmt.Errorf("ckbtc: %w", err)
			}
			acct := client.Account{Owner: to}
			if toSub != "" {
				b, err := hex.DecodeString(toSub)
				if err != nil || len(b) != 32 {
					return fmt.Errorf("ckbtc: --to-subaccount: want 64 hex digits")
				}
				acct.Subaccount = &b
			}
			return f.run(cmd, func(ctx context.Context, c *client.Client, a *agent.Agent) (any, error) {
				_, sub, err := f.account(a)
				if err != nil {
					return nil, err
				}
				var m []byte
				if memo != "" {
					m = []byte(memo)
				}
				i, err := c.Transfer(ctx, sub, acct, amount, m)
				if err != nil {
					return nil, err
				}
				return map[string]any{"block_index": i, "to": to.String(), "amount": amount}, nil
			})
		},
	}
	cmd.Flags().StringVar(&toSub, "to-subaccount", "", "the recipient's subaccount (64 hex digits)")
	cmd.Flags().StringVar(&memo, "memo", "", "memo (text, at most 80 bytes)")
	return cmd
}

func newCkBTCWithdrawCmd(f *ckbtcFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "withdraw ADDRESS AMOUNT",
		Short: "Burn AMOUNT ckBTC and send it (less the fees) to a Bitcoin address",
		Long: `Approve the minter for AMOUNT on the ledger (icrc2_approve, which costs the
ledger fee) and call retrieve_btc_with_approval; print the burn's block index,
which names the withdrawal for "ckbtc status".`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			amount, err := parseAmount(args[1])
			if err != nil {
				return fmt.Errorf("ckbtc: %w", err)
			}
			return f.run(cmd, func(ctx context.Context, c *client.Client, a *agent.Agent) (any, error) {
				_, sub, err := f.account(a)
				if err != nil {
					return nil, err
				}
				return c.Withdraw(ctx, sub, args[0], amount)
			})
		},
	}
}

func newCkBTCStatusCmd(f *ckbtcFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "status BLOCK_INDEX",
		Short: "Print the status of a withdrawal",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			i, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("ckbtc: BLOCK_INDEX %q: %w", args[0], err)
			}
			return f.run(cmd, func(ctx context.Context, c *client.Client, a *agent.Agent) (any, error) {
				s, err := c.Status(ctx, i)
				if err != nil {
					return nil, err
				}
				return statusJSON(i, s), nil
			})
		},
	}
}

func statusJSON(i uint64, s *ckbtc.RetrieveBtcStatusV2) map[string]any {
	out := map[string]any{"block_index": i}
	switch {
	case s.Pending != nil:
		out["status"] = "Pending"
	case s.Signing != nil:
		out["status"] = "Signing"
	case s.Sending != nil:
		out["status"], out["txid"] = "Sending", txidHex(s.Sending.Txid)
	case s.Submitted != nil:
		out["status"], out["txid"] = "Submitted", txidHex(s.Submitted.Txid)
	case s.Confirmed != nil:
		out["status"], out["txid"] = "Confirmed", txidHex(s.Confirmed.Txid)
	case s.AmountTooLow != nil:
		out["status"] = "AmountTooLow"
	case s.Reimbursed != nil:
		out["status"] = "Reimbursed"
	case s.WillReimburse != nil:
		out["status"] = "WillReimburse"
	default:
		out["status"] = "Unknown"
	}
	return out
}

// upCanisters lists the ckBTC canister ids of a subnet with Bitcoin for
// "up --json" (nil without).
func upCanisters(n *replica.Node) map[string]string {
	out := map[string]string{}
	if id, ok := n.BitcoinCanister(); ok {
		out["bitcoin"] = id.String()
	}
	if ids, ok := n.CkBTC(); ok {
		out["ckbtc_ledger"], out["ckbtc_minter"] = ids.Ledger.String(), ids.Minter.String()
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
