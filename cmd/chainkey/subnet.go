package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/chainkey/chainkey/replica"
	"github.com/chainkey/chainkey/replica/subnet"
)

// nodeInfoJSON is a node's registry record as `chainkey subnet node-info`
// prints it and `chainkey subnet add-node --node-info` reads it.
type nodeInfoJSON struct {
	NodeID       string `json:"node_id"`
	ConsensusKey string `json:"consensus_key"` // hex Ed25519
	NodeKey      string `json:"node_key"`      // hex node signing public key
	EncKey       string `json:"enc_key"`       // hex encryption public key
	P2P          string `json:"p2p"`
	GRPC         string `json:"grpc,omitempty"`
	ChainID      string `json:"chain_id,omitempty"`
}

func infoFromRecord(r subnet.NodeRecord, chainID string) nodeInfoJSON {
	return nodeInfoJSON{NodeID: r.NodeID, ConsensusKey: hex.EncodeToString(r.ConsensusKey), NodeKey: hex.EncodeToString(r.NodeKey),
		EncKey: hex.EncodeToString(r.EncKey), P2P: r.P2P, GRPC: r.GRPC, ChainID: chainID}
}

func (n nodeInfoJSON) record() (subnet.NodeRecord, error) {
	r := subnet.NodeRecord{NodeID: n.NodeID, P2P: n.P2P, GRPC: n.GRPC}
	var err error
	for _, f := range []struct {
		name string
		dst  *[]byte
		src  string
	}{{"consensus_key", &r.ConsensusKey, n.ConsensusKey}, {"node_key", &r.NodeKey, n.NodeKey}, {"enc_key", &r.EncKey, n.EncKey}} {
		if *f.dst, err = hex.DecodeString(f.src); err != nil {
			return r, fmt.Errorf("%s: %w", f.name, err)
		}
	}
	return r, subnet.CheckNodeRecord(&r, nil)
}

// registryChangeJSON is a signed registry change as the subnet commands
// print it.
type registryChangeJSON struct {
	ChainID   string `json:"chain_id"`
	Version   uint64 `json:"version"`
	Add       string `json:"add,omitempty"`    // node id
	Remove    string `json:"remove,omitempty"` // node id
	Change    string `json:"change"`           // hex CBOR RegistryChange
	Signature string `json:"signature"`        // hex Ed25519 by the operator key
	// Submitted: the change was submitted to --endpoint, whose node
	// admitted it to its mempool.
	Submitted bool `json:"submitted,omitempty"`
}

func newSubnetCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "subnet",
		Short: "Membership of a subnet: node records and registry changes",
		Long: `A subnet's membership changes by registry changes signed with the operator
key that "chainkey init" wrote (operator_key.pem): "add-node" adds a node
(its record from "node-info"), "remove-node" removes one. Each change names
the registry version it makes (the current version plus one), so a change
cannot be replayed. The commands print the signed change as JSON and, with
--endpoint, submit it to that node; every node checks it with the same
rules (subnet.CheckRegistryTx). Once a block carries it, the master keys
are reshared to the next committee and the committee switches; "chainkey
status" shows the registry version. A joining node runs with
"chainkey node --join" (homes from "chainkey init --joiners").`,
	}
	cmd.AddCommand(newNodeInfoCmd(), newAddNodeCmd(), newRemoveNodeCmd())
	return cmd
}

func newNodeInfoCmd() *cobra.Command {
	var home, p2pAddr, grpcAddr string
	cmd := &cobra.Command{
		Use:   "node-info",
		Short: "Print a node's registry record (public keys and addresses) as JSON",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if home == "" {
				return errors.New("subnet node-info: --home is required")
			}
			r, err := replica.NodeInfo(home, p2pAddr, grpcAddr)
			if err != nil {
				return fmt.Errorf("subnet node-info: %w", err)
			}
			c, err := replica.LoadConfig(home)
			if err != nil {
				return fmt.Errorf("subnet node-info: %w", err)
			}
			return writeJSONLine(cmd.OutOrStdout(), infoFromRecord(r, c.ChainID))
		},
	}
	f := cmd.Flags()
	f.StringVar(&home, "home", "", "the node's home directory")
	f.StringVar(&p2pAddr, "p2p", "", "the node's advertised p2p host:port (default: its configuration's)")
	f.StringVar(&grpcAddr, "grpc", "", "the node's advertised gRPC host:port (default: its configuration's)")
	return cmd
}

type changeFlags struct {
	operatorKey string
	version     uint64
	chainID     string
	endpoint    string
	tls         tlsFlags
}

func (c *changeFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&c.operatorKey, "operator-key", "", "the subnet's operator key (PEM, from chainkey init)")
	f.Uint64Var(&c.version, "version", 0, "the registry version the change makes (current version + 1)")
	f.StringVar(&c.chainID, "chain-id", "", "the subnet's chain id")
	f.StringVar(&c.endpoint, "endpoint", "", "submit the signed change to the node at this gRPC host:port (default: only print it)")
	c.tls.register(f)
}

func (c *changeFlags) sign(ctx context.Context, what string, ch *subnet.RegistryChange) (*registryChangeJSON, error) {
	switch {
	case c.operatorKey == "":
		return nil, fmt.Errorf("subnet %s: --operator-key is required", what)
	case c.version == 0:
		return nil, fmt.Errorf("subnet %s: --version is required (the current registry version + 1)", what)
	case ch.ChainID == "":
		return nil, fmt.Errorf("subnet %s: --chain-id is required", what)
	}
	key, err := replica.LoadOperatorKey(c.operatorKey)
	if err != nil {
		return nil, fmt.Errorf("subnet %s: %w", what, err)
	}
	defer clear(key)
	ch.Version = c.version
	tx, err := subnet.SignRegistryChange(key, ch)
	if err != nil {
		return nil, fmt.Errorf("subnet %s: %w", what, err)
	}
	out := &registryChangeJSON{ChainID: ch.ChainID, Version: ch.Version, Remove: ch.Remove,
		Change: hex.EncodeToString(tx.Change), Signature: hex.EncodeToString(tx.Signature)}
	if ch.Add != nil {
		out.Add = ch.Add.NodeID
	}
	if c.endpoint == "" {
		return out, nil
	}
	t, err := resolveTarget(c.endpoint, "")
	if err != nil {
		return nil, fmt.Errorf("subnet %s: %w", what, err)
	}
	cl, err := t.dial(nil, &c.tls)
	if err != nil {
		return nil, fmt.Errorf("subnet %s: %w", what, err)
	}
	defer cl.Close()
	if _, err := cl.SubmitRegistryChange(ctx, tx.Change, tx.Signature); err != nil {
		return nil, rpcErrorLine("subnet "+what+": submit", err)
	}
	out.Submitted = true
	return out, nil
}

func newAddNodeCmd() *cobra.Command {
	var cf changeFlags
	var nodeHome, nodeInfo, p2pAddr, grpcAddr string
	cmd := &cobra.Command{
		Use:   "add-node",
		Short: "Sign (and with --endpoint submit) a registry change that adds a node",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var info nodeInfoJSON
			switch {
			case (nodeHome == "") == (nodeInfo == ""):
				return errors.New("subnet add-node: give exactly one of --node-home and --node-info")
			case nodeHome != "":
				r, err := replica.NodeInfo(nodeHome, p2pAddr, grpcAddr)
				if err != nil {
					return fmt.Errorf("subnet add-node: %w", err)
				}
				c, err := replica.LoadConfig(nodeHome)
				if err != nil {
					return fmt.Errorf("subnet add-node: %w", err)
				}
				info = infoFromRecord(r, c.ChainID)
			default:
				b, err := os.ReadFile(nodeInfo)
				if err != nil {
					return fmt.Errorf("subnet add-node: %w", err)
				}
				dec := json.NewDecoder(bytes.NewReader(b))
				dec.DisallowUnknownFields()
				if err := dec.Decode(&info); err != nil {
					return fmt.Errorf("subnet add-node: --node-info %s: %w", nodeInfo, err)
				}
			}
			rec, err := info.record()
			if err != nil {
				return fmt.Errorf("subnet add-node: node record: %w", err)
			}
			chainID := cf.chainID
			if chainID == "" {
				chainID = info.ChainID
			}
			out, err := cf.sign(cmd.Context(), "add-node", &subnet.RegistryChange{ChainID: chainID, Add: &rec})
			if err != nil {
				return err
			}
			return writeJSONLine(cmd.OutOrStdout(), out)
		},
	}
	cf.register(cmd)
	f := cmd.Flags()
	f.StringVar(&nodeHome, "node-home", "", "the joining node's home directory")
	f.StringVar(&nodeInfo, "node-info", "", "the joining node's record (JSON from chainkey subnet node-info)")
	f.StringVar(&p2pAddr, "p2p", "", "with --node-home: the node's advertised p2p host:port")
	f.StringVar(&grpcAddr, "grpc", "", "with --node-home: the node's advertised gRPC host:port")
	return cmd
}

func newRemoveNodeCmd() *cobra.Command {
	var cf changeFlags
	cmd := &cobra.Command{
		Use:   "remove-node NODE_ID",
		Short: "Sign (and with --endpoint submit) a registry change that removes a node",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			if b, err := hex.DecodeString(id); err != nil || len(b) != 20 || hex.EncodeToString(b) != id {
				return fmt.Errorf("subnet remove-node: node id %q: want 40 lower-case hex digits", id)
			}
			out, err := cf.sign(cmd.Context(), "remove-node", &subnet.RegistryChange{ChainID: cf.chainID, Remove: id})
			if err != nil {
				return err
			}
			return writeJSONLine(cmd.OutOrStdout(), out)
		},
	}
	cf.register(cmd)
	return cmd
}
