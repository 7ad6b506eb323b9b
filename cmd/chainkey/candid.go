package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/chainkey/chainkey/candid"
)

func newCandidCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "candid",
		Short: "Encode and decode Candid messages as dfx does",
	}
	cmd.AddCommand(newCandidEncodeCmd(), newCandidDecodeCmd())
	return cmd
}

// candidTypes are the flags that pick argument types from a service
// description.
type candidTypes struct {
	did, method string
	results     bool
}

func (c *candidTypes) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&c.did, "did", "", "service description (.did file) giving the types")
	f.StringVar(&c.method, "method", "", "method of the service whose argument types to use (with --did)")
	f.BoolVar(&c.results, "results", false, "use the method's result types instead of its argument types")
}

// types returns the types chosen by the flags, or nil when none are given.
func (c *candidTypes) types() ([]*candid.Type, error) {
	if c.did == "" {
		if c.method != "" || c.results {
			return nil, errors.New("--method and --results need --did")
		}
		return nil, nil
	}
	if c.method == "" {
		return nil, errors.New("--did needs --method")
	}
	src, err := os.ReadFile(c.did)
	if err != nil {
		return nil, err
	}
	d, err := candid.ParseDescription(string(src))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.did, err)
	}
	m, err := d.Method(c.method)
	if err != nil {
		return nil, err
	}
	if c.results {
		return m.Results, nil
	}
	return m.Args, nil
}

func newCandidEncodeCmd() *cobra.Command {
	var ct candidTypes
	cmd := &cobra.Command{
		Use:   "encode TEXT",
		Short: "Encode a textual argument sequence, printing the message in hex",
		Long: `Encode a textual Candid argument sequence such as
'(record { to = principal "aaaaa-aa"; amount = 10 : nat })' and print the
binary message in hex. With --did and --method the values take the method's
argument types (--results: its result types); otherwise types are inferred
(unannotated integers are int, decimals float64).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			types, err := ct.types()
			if err != nil {
				return fmt.Errorf("candid encode: %w", err)
			}
			var vals []candid.Value
			if types == nil {
				types, vals, err = candid.ParseArgsAny(args[0])
			} else {
				vals, err = candid.ParseArgs(args[0], types)
			}
			if err != nil {
				return err // the package's errors name themselves
			}
			msg, err := candid.Marshal(types, vals)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), hex.EncodeToString(msg))
			return err
		},
	}
	ct.register(cmd)
	return cmd
}

func newCandidDecodeCmd() *cobra.Command {
	var ct candidTypes
	cmd := &cobra.Command{
		Use:   "decode HEX",
		Short: "Decode a message given in hex, printing its textual form",
		Long: `Decode a binary Candid message given in hex and print it in the textual
syntax, as dfx prints replies. With --did and --method the message is
decoded at the method's argument types (--results: its result types), with
Candid's subtyping, and field names are restored; otherwise it is decoded at
its own types and fields are shown by their ids.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			types, err := ct.types()
			if err != nil {
				return fmt.Errorf("candid decode: %w", err)
			}
			msg, err := hex.DecodeString(strings.TrimSpace(args[0]))
			if err != nil {
				return fmt.Errorf("candid decode: hex: %w", err)
			}
			var vals []candid.Value
			if types == nil {
				types, vals, err = candid.UnmarshalAny(msg)
			} else {
				vals, err = candid.Unmarshal(msg, types)
			}
			if err != nil {
				return err // the package's errors name themselves
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), candid.FormatArgs(types, vals))
			return err
		},
	}
	ct.register(cmd)
	return cmd
}
