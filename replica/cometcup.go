package replica

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
)

// cometStorage configures CometBFT's stores and state sync for catch-up
// packages: blocks below the RetainHeight that Commit returns are pruned
// with their states, FinalizeBlock responses are not kept (nothing reads
// them), pruned stores are compacted, and a node whose state store is
// empty and that has a StateSyncConfig joins from the latest CUP.
func cometStorage(c *cmtcfg.Config, cfg *Config, a *app) {
	c.Storage.DiscardABCIResponses = true
	c.Storage.Compact = true
	c.Storage.CompactionInterval = 500
	c.Storage.Pruning.Interval = 2 * time.Second
	ss := cfg.StateSync
	if ss == nil {
		return
	}
	cs, _ := a.committed()
	if cs.Height != 0 {
		return
	}
	c.StateSync.Enable = true
	c.StateSync.RPCServers = ss.RPCServers
	c.StateSync.TrustHeight = ss.TrustHeight
	c.StateSync.TrustHash = ss.TrustHash
	c.StateSync.TrustPeriod = 168 * time.Hour
	if ss.TrustPeriodSeconds > 0 {
		c.StateSync.TrustPeriod = time.Duration(ss.TrustPeriodSeconds) * time.Second
	}
	c.StateSync.DiscoveryTime = 5 * time.Second
	c.StateSync.ChunkRequestTimeout = 5 * time.Second
	a.startSync()
}

// walKeep is how many rotated files of CometBFT's consensus WAL (10 MB
// each) a node keeps beside the head. CometBFT replays the WAL only from
// the end of the last committed height, which a few files hold; left
// alone the WAL grows to 1 GB per node before CometBFT trims it.
const walKeep = 4

// walTrimEvery is how often (in heights) the WAL is trimmed.
const walTrimEvery = 50

// trimWAL deletes all but the newest keep rotated files (wal.NNN) of the
// consensus WAL in dir.
func trimWAL(dir string, keep int) (removed int) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	var idx []int
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, "wal.") {
			continue
		}
		n, err := strconv.Atoi(strings.TrimPrefix(name, "wal."))
		if err != nil {
			continue
		}
		idx = append(idx, n)
	}
	slices.Sort(idx)
	for len(idx) > keep {
		if os.Remove(filepath.Join(dir, fmt.Sprintf("wal.%03d", idx[0]))) == nil {
			removed++
		}
		idx = idx[1:]
	}
	return removed
}

// walDir is the directory of the node's consensus WAL.
func (c *Config) walDir() string { return filepath.Join(c.cometRoot(), "data", "cs.wal") }

// SubnetOptions are agreed settings of a new subnet that
// WriteSubnetConfigWith records in its genesis.
type SubnetOptions struct {
	// CUPInterval is the number of heights between catch-up packages
	// (0: subnet.DefaultCUPInterval).
	CUPInterval uint64
	// Joiners is how many of the nodes are not in the genesis: their
	// homes (the last ones) are joining nodes (Config.Index
	// JoiningIndex) that follow the chain until a registry change adds
	// them.
	Joiners int
}

// WriteSubnetConfigWith is WriteSubnetConfig with the settings of o.
func WriteSubnetConfigWith(dir string, nodes int, hosts []string, o SubnetOptions) error {
	if o.Joiners < 0 || o.Joiners >= nodes {
		return fmt.Errorf("replica: %d joining nodes of %d", o.Joiners, nodes)
	}
	if err := writeSubnetConfig(dir, nodes, hosts, subnetOptions{cupInterval: o.CUPInterval}); err != nil {
		return err
	}
	return excludeJoiners(dir, nodes, o.Joiners)
}
