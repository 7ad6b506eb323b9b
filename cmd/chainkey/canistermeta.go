package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/chainkey/chainkey/agent"
	"github.com/chainkey/chainkey/candid"
)

// serviceMethod returns the type of method in a service description.
func serviceMethod(did, method string) (*candid.Type, error) {
	desc, err := candid.ParseDescription(did)
	if err != nil {
		return nil, err
	}
	return desc.Method(method)
}

// encodeArgs encodes Candid text arguments, against types when known.
func encodeArgs(src string, types []*candid.Type) ([]byte, error) {
	var vs []candid.Value
	var err error
	if types != nil {
		vs, err = candid.ParseArgs(src, types)
	} else {
		types, vs, err = candid.ParseArgsAny(src)
	}
	if err != nil {
		return nil, fmt.Errorf("arguments: %w", err)
	}
	b, err := candid.Marshal(types, vs)
	if err != nil {
		return nil, fmt.Errorf("arguments: %w", err)
	}
	return b, nil
}

func newCanisterMetadataCmd(f *canisterFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "metadata CANISTER NAME",
		Short: "Print a canister's metadata section (e.g. candid:service) from certified state",
		Long: `Print the content of the canister's icp:public (or, for its controllers,
icp:private) custom section NAME, read from certified state: as text when it
is UTF-8, else as hex.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			can, err := parseCanister(args[0])
			if err != nil {
				return err
			}
			name := args[1]
			return f.run(cmd, func(ctx context.Context, a *agent.Agent) error {
				v, ok, err := a.Metadata(ctx, can, name)
				if err != nil {
					return err
				}
				if !ok {
					return fmt.Errorf("canister %s has no metadata section %q", can, name)
				}
				text := hex.EncodeToString(v)
				if utf8.Valid(v) {
					text = string(v)
				}
				return printCanister(cmd.OutOrStdout(), f.asJSON, map[string]any{"name": name, "text": text, "hex": hex.EncodeToString(v)}, text)
			})
		},
	}
}
