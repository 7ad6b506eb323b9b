package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/chainkey/chainkey/replica"
)

// initOutput is the JSON printed by `chainkey init`.
type initOutput struct {
	Nodes []initNode `json:"nodes"`
	// OperatorKey is the file of the key that signs registry changes.
	OperatorKey string `json:"operator_key,omitempty"`
}

type initNode struct {
	Home string `json:"home"`
	P2P  string `json:"p2p"`
	GRPC string `json:"grpc"`
}

func newInitCmd() *cobra.Command {
	var (
		nodes       int
		out         string
		hosts       string
		btcf        nodeBitcoinFlags
		cupInterval uint64
		joiners     int
	)
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write per-node configurations for a subnet",
		Long: `Write the configuration, keys and genesis of a subnet of --nodes nodes into
--out/node0 ... --out/node<N-1>. With --hosts (one host or host:p2pport per
node, comma-separated) the nodes are meant for those machines; without it
they listen on loopback ports of this machine. Copy each node's directory to
its machine and start it with "chainkey node --home DIR". Prints the nodes'
homes and endpoints as JSON, and the file of the subnet's operator key
(--out/operator_key.pem, mode 0600), which signs membership changes. The --bitcoin-* flags write a Bitcoin section
into every node's chainkey.json (the adapter address is each machine's own
btc-adapter; "chainkey node --bitcoin-*" overrides it).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return fmt.Errorf("init: --out is required")
			}
			var hostList []string
			if hosts != "" {
				for _, h := range strings.Split(hosts, ",") {
					hostList = append(hostList, strings.TrimSpace(h))
				}
				if !cmd.Flags().Changed("nodes") {
					nodes = len(hostList)
				}
			}
			if _, err := os.Stat(filepath.Join(out, "node0")); err == nil {
				return fmt.Errorf("init: %s already holds a subnet; refusing to overwrite its keys", out)
			}
			btcCfg, err := btcf.config()
			if err != nil {
				return fmt.Errorf("init: %w", err)
			}
			if err := replica.WriteSubnetConfigWith(out, nodes, hostList, replica.SubnetOptions{CUPInterval: cupInterval, Joiners: joiners}); err != nil {
				return fmt.Errorf("init: %w", err)
			}
			res := initOutput{OperatorKey: replica.OperatorKeyPath(out)}
			for i := 0; i < nodes; i++ {
				home := filepath.Join(out, fmt.Sprintf("node%d", i))
				c, err := replica.LoadConfig(home)
				if err != nil {
					return fmt.Errorf("init: %w", err)
				}
				if btcCfg != nil {
					c.Bitcoin = btcCfg
					if err := c.Save(); err != nil {
						return fmt.Errorf("init: %w", err)
					}
				}
				res.Nodes = append(res.Nodes, initNode{Home: home, P2P: c.P2PListen, GRPC: c.GRPCListen})
			}
			return writeJSONLine(cmd.OutOrStdout(), res)
		},
	}
	f := cmd.Flags()
	f.IntVar(&nodes, "nodes", 4, "number of nodes")
	f.IntVar(&joiners, "joiners", 0, "how many of the nodes (the last ones) are not in the genesis: they run with chainkey node --join until chainkey subnet add-node adds them")
	f.StringVar(&out, "out", "", "output directory")
	f.Uint64Var(&cupInterval, "cup-interval", 0, "heights between catch-up packages, agreed in the genesis (0: 500)")
	f.StringVar(&hosts, "hosts", "", "comma-separated host or host:p2pport of each node (default: loopback on this machine)")
	btcf.register(cmd)
	return cmd
}
