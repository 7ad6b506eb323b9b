package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/spf13/cobra"
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
	CUPHeight         uint64           `json:"cup_height"`
	RetainHeight      uint64           `json:"retain_height"`
	BlockBase         uint64           `json:"block_base"`
	DiskBytes         map[string]int64 `json:"disk_bytes"`
	// RegistryVersion and MembershipPending: the committed registry
	// version and whether a membership change is being carried out.
	RegistryVersion   uint64 `json:"registry_version"`
	MembershipPending bool   `json:"membership_change_pending"`
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
		Long: `Ask a node how it sees the subnet and print one JSON object:

  subnet_id           the subnet's principal (self-authenticating, from the root key)
  height              the last block height the node committed
  certified_height    the last height whose state the subnet has threshold-signed
  root_key            the subnet's root public key, DER hex (what "sign --root-key" checks against)
  members             one entry per node: index, node_id (principal of its node key),
                      address (P2P host:port), grpc (host:port), up (this node, or a peer it is connected to)
  key_ids             the threshold keys the subnet holds (ecdsa:..., schnorr:...)
  presignature_stock  per key id, presignatures ready for signing requests
  key_gen             how the threshold keys were created: "dkg", or "bootstrap-dealer" (tests only)
  convicted           node index -> number of times the subnet convicted that node of lying
  cup_height          the latest catch-up package the node holds complete (0: none yet)
  retain_height       the height below which the node's CometBFT prunes its blocks (0: none pruned)
  block_base          the lowest block the node still stores
  disk_bytes          bytes on disk: "state" (application state), "blocks" (CometBFT), "snapshots"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			target, err := resolveTarget(endpoint, "")
			if err != nil {
				return fmt.Errorf("status: %w", err)
			}
			c, err := target.dial(nil, &tlsf)
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
				CUPHeight:         st.GetCupHeight(),
				RetainHeight:      st.GetRetainHeight(),
				BlockBase:         st.GetBlockBase(),
				DiskBytes:         st.GetDiskBytes(),
			}
			out.RegistryVersion, out.MembershipPending = st.GetRegistryVersion(), st.GetMembershipChangePending()
			if out.Convicted == nil {
				out.Convicted = map[int32]uint64{}
			}
			for _, m := range st.GetMembers() {
				out.Members = append(out.Members, statusMember{Index: m.GetIndex(), NodeID: m.GetNodeId(), Address: m.GetAddress(), GRPC: m.GetGrpc(), Up: m.GetUp()})
			}
			return writeJSONLine(cmd.OutOrStdout(), out)
		},
	}
	cmd.Flags().StringVar(&endpoint, "endpoint", "", endpointHelp)
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Second, "request timeout")
	tlsf.register(cmd.Flags())
	return cmd
}
