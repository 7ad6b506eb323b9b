package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/chainkey/chainkey/ingress"
)

func newIdentityCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "identity",
		Short: "Create caller identities (PEM files) and print their principals",
	}
	cmd.AddCommand(newIdentityNewCmd(), newIdentityPrincipalCmd())
	return cmd
}

func newIdentityNewCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "new",
		Short: `Write a new Ed25519 identity (PKCS#8 PEM, mode 0600); prints {"principal","identity"}`,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := os.Stat(out); err == nil {
				return fmt.Errorf("identity: %s exists; not replacing it", out)
			} else if !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("identity: %w", err)
			}
			if err := createDefaultIdentity(out); err != nil {
				return err
			}
			s, err := loadCallerIdentity(out)
			if err != nil {
				return err
			}
			return printJSON(cmd, map[string]string{"principal": ingress.Sender(s).String(), "identity": out})
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "PEM file to create")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

func newIdentityPrincipalCmd() *cobra.Command {
	var identity string
	cmd := &cobra.Command{
		Use:   "principal",
		Short: `Print the principal of an identity (default: the CLI's own) as {"principal"}`,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := loadCallerIdentity(identity)
			if err != nil {
				return err
			}
			return printJSON(cmd, map[string]string{"principal": ingress.Sender(s).String()})
		},
	}
	cmd.Flags().StringVar(&identity, "identity", "", "PEM identity file (default: the CLI's identity, created on first use)")
	return cmd
}
