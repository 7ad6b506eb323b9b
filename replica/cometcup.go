package replica

import (
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
