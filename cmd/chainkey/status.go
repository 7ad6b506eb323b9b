package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/chainkey/chainkey/rpc"
)

// statusMember is one member in `chainkey status` output.
type statusMember struct {
	Index   int32  `json:"index"`
	NodeID  string `json:"node_id"`
	Address string `json:"address"`
	GRPC    string `json:"grpc"`
	Up      bool   `json:"up"`
}

// statusOutput is the JSON printed by `chainkey status`.
type statusOutput struct {
	SubnetID          string           `json:"subnet_id"`
	Height            uint64           `json:"height"`
	RootKey           string           `json:"root_key"`
	Members           []statusMember   `json:"members"`
	KeyIDs            []string         `json:"key_ids"`
	PresignatureStock map[string]int64 `json:"presignature_stock"`
	CertifiedHeight   uint64           `json:"certified_height"`
	KeyGen            string           `json:"key_gen"`
	Convicted         map[int32]uint64 `json:"convicted"`
}

func newStatusCmd() *cobra.Command {
	var (
		endpoint string
		timeout  time.Duration
		tlsf     tlsFlags
	)
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show a node's view of the subnet as JSON",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tlsCfg, err := tlsf.config()
			if err != nil {
				return fmt.Errorf("status: %w", err)
			}
			c, err := rpc.DialTLS(endpoint, nil, tlsCfg)
			if err != nil {
				return fmt.Errorf("status: %w", err)
			}
			defer c.Close()
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			st, err := c.Status(ctx)
			if err != nil {
				return rpcErrorLine("status", err)
			}
			out := statusOutput{
				SubnetID:          st.GetSubnetIdText(),
				Height:            st.GetHeight(),
				RootKey:           hex.EncodeToString(st.GetRootKeyDer()),
				Members:           []statusMember{},
				KeyIDs:            st.GetKeyIds(),
				PresignatureStock: st.GetPresignatureStock(),
				CertifiedHeight:   st.GetCertifiedHeight(),
				KeyGen:            st.GetKeyGen(),
				Convicted:         st.GetConvicted(),
			}
			if out.Convicted == nil {
				out.Convicted = map[int32]uint64{}
			}
			for _, m := range st.GetMembers() {
				out.Members = append(out.Members, statusMember{Index: m.GetIndex(), NodeID: m.GetNodeId(), Address: m.GetAddress(), GRPC: m.GetGrpc(), Up: m.GetUp()})
			}
			return writeJSONLine(cmd.OutOrStdout(), out)
		},
	}
	cmd.Flags().StringVar(&endpoint, "endpoint", "127.0.0.1:50051", "node gRPC endpoint host:port")
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Second, "request timeout")
	tlsf.register(cmd.Flags())
	return cmd
}
