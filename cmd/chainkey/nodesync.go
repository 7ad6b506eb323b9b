package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/chainkey/chainkey/replica"
)

// nodeSyncFlags are the flags of "chainkey node" for catch-up packages:
// serving CometBFT's RPC to nodes that state-sync, and state-syncing a
// node whose state directory is empty.
type nodeSyncFlags struct {
	rpcListen    string
	stateSync    string
	rootKey      string
	retainMargin uint64
}

func (f *nodeSyncFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.rpcListen, "rpc-listen", "", "serve CometBFT's RPC on host:port (nodes that state-sync ask it for light-client headers)")
	fl.StringVar(&f.stateSync, "state-sync", "", "with an empty state directory, join from the latest catch-up package: two or more peers' --rpc-listen addresses, comma-separated (the trusted header is the first one's latest)")
	fl.StringVar(&f.rootKey, "root-key", "", "the subnet's root public key (DER hex, from chainkey status) the catch-up package must be certified under")
	fl.Uint64Var(&f.retainMargin, "retain-margin", 0, "heights of blocks kept below the latest catch-up package (0: one CUP interval)")
}

// apply sets the configuration the flags ask for. The node state-syncs
// only if its state store is empty (or holds a state sync that was
// interrupted, which it clears) or older than the first block its peers
// still keep (its chain data is then deleted, secrets kept); otherwise it
// replays what it missed.
func (f *nodeSyncFlags) apply(ctx context.Context, cfg *replica.Config) error {
	if f.rpcListen != "" {
		cfg.RPCListen = f.rpcListen
	}
	if f.retainMargin != 0 {
		cfg.RetainMargin = f.retainMargin
	}
	if f.stateSync == "" {
		return nil
	}
	servers := strings.Split(f.stateSync, ",")
	if len(servers) < 2 {
		return fmt.Errorf("--state-sync: want at least two RPC servers")
	}
	h, hash, err := latestHeader(ctx, servers[0])
	if err != nil {
		if ents, _ := os.ReadDir(filepath.Join(cfg.Home, "state")); len(ents) > 0 {
			return nil // the node has a state: the node uses the sync only if it is empty
		}
		return fmt.Errorf("--state-sync: %w", err)
	}
	// A node offline for longer than the peers keep blocks cannot replay
	// what it missed: it drops its chain data and joins from a CUP.
	stored, err := replica.StoredHeight(cfg.Home)
	if err != nil {
		return fmt.Errorf("--state-sync: %w", err)
	}
	if stored > 0 {
		base, err := earliestBlock(ctx, servers[0])
		if err != nil {
			return fmt.Errorf("--state-sync: %w", err)
		}
		if stored+1 >= base {
			return nil // it can replay: no state sync
		}
		if cfg.Logger != nil {
			cfg.Logger.Warn("the node's state is older than the blocks its peers keep: joining from a catch-up package",
				"stored_height", stored, "peers_earliest_block", base)
		}
		if err := replica.WipeData(cfg.Home); err != nil {
			return err
		}
	}
	cfg.StateSync = &replica.StateSyncConfig{RPCServers: servers, TrustHeight: h, TrustHash: hash, RootKey: f.rootKey}
	return nil
}

// latestHeader asks a CometBFT RPC server for its latest committed block
// height and hash.
func latestHeader(ctx context.Context, addr string) (int64, string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, addr+"/commit", nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var out struct {
		Result struct {
			SignedHeader struct {
				Header struct {
					Height string `json:"height"`
				} `json:"header"`
				Commit struct {
					BlockID struct {
						Hash string `json:"hash"`
					} `json:"block_id"`
				} `json:"commit"`
			} `json:"signed_header"`
		} `json:"result"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return 0, "", fmt.Errorf("commit from %s: %w", addr, err)
	}
	h, err := strconv.ParseInt(out.Result.SignedHeader.Header.Height, 10, 64)
	if err != nil || out.Result.SignedHeader.Commit.BlockID.Hash == "" {
		return 0, "", fmt.Errorf("commit from %s: no header", addr)
	}
	return h, out.Result.SignedHeader.Commit.BlockID.Hash, nil
}

// earliestBlock asks a CometBFT RPC server for the lowest block it stores.
func earliestBlock(ctx context.Context, addr string) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, addr+"/status", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var out struct {
		Result struct {
			SyncInfo struct {
				Earliest string `json:"earliest_block_height"`
			} `json:"sync_info"`
		} `json:"result"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return 0, fmt.Errorf("status from %s: %w", addr, err)
	}
	h, err := strconv.ParseUint(out.Result.SyncInfo.Earliest, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("status from %s: no earliest block height", addr)
	}
	return h, nil
}
