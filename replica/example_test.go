package replica_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/chainkey/chainkey/replica"
)

// WriteSubnetConfig lays out one home directory per node; each is what
// `chainkey node --home` runs.
func ExampleWriteSubnetConfig() {
	dir, err := os.MkdirTemp("", "subnet")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	hosts := []string{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"}
	if err := replica.WriteSubnetConfig(dir, 4, hosts); err != nil {
		log.Fatal(err)
	}
	cfg, err := replica.LoadConfig(filepath.Join(dir, "node2"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cfg.Index, cfg.P2PListen, len(cfg.Peers), cfg.GRPCListen)
	// Output: 2 0.0.0.0:26656 3 0.0.0.0:50051
}

// StartLocalSubnet runs a whole subnet in this process.
func ExampleStartLocalSubnet() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := replica.StartLocalSubnet(ctx, "/tmp/chainkey-local", 4, func(e replica.ProgressEvent) {
		fmt.Println(e.Phase, e.Done, e.Total, e.Message)
	})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Stop()
	n := s.Nodes()[0]
	fmt.Printf("subnet %s root key %x\n", n.SubnetID(), n.RootKeyDER())
}
