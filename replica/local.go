package replica

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// ProgressEvent reports the progress of StartLocalSubnet, for a progress
// display.
type ProgressEvent struct {
	Phase   string // "config", "start", "keys", "ready"
	Done    int
	Total   int
	Message string
}

// LocalSubnet is a whole subnet running in this process, one Node per
// validator, on 127.0.0.1.
type LocalSubnet struct {
	home  string
	nodes []*Node
}

// LocalOptions tune StartLocalSubnet; the zero value is the default.
type LocalOptions struct {
	Logger             *slog.Logger
	TimeoutCommitMS    int
	PresignatureTarget int
	// OnNode is called for every node after it started, e.g. to put a
	// gRPC server on top of it.
	OnNode func(*Node) error
	// Bitcoin, if set, is given to every node (see Config.Bitcoin). It is
	// not written to the nodes' configuration files.
	Bitcoin *BitcoinConfig
}

// StartLocalSubnet starts a subnet of nodes nodes whose homes are
// home/node0 ... If home already holds a subnet it is resumed with the same
// keys and state (nodes must then match its size or be 0). It returns once
// the subnet certifies its state.
func StartLocalSubnet(ctx context.Context, home string, nodes int, progress func(ProgressEvent)) (*LocalSubnet, error) {
	return StartLocalSubnetWith(ctx, home, nodes, progress, LocalOptions{})
}

// StartLocalSubnetWith is StartLocalSubnet with options.
func StartLocalSubnetWith(ctx context.Context, home string, nodes int, progress func(ProgressEvent), opt LocalOptions) (*LocalSubnet, error) {
	return startLocal(ctx, home, nodes, progress, opt, nil)
}

func startLocal(ctx context.Context, home string, nodes int, progress func(ProgressEvent), opt LocalOptions, tweak func(*Config)) (*LocalSubnet, error) {
	if progress == nil {
		progress = func(ProgressEvent) {}
	}
	existing, err := countNodeHomes(home)
	if err != nil {
		return nil, err
	}
	switch {
	case existing > 0 && nodes != 0 && nodes != existing:
		return nil, fmt.Errorf("replica: %s holds a subnet of %d nodes, not %d", home, existing, nodes)
	case existing > 0:
		nodes = existing
		progress(ProgressEvent{Phase: "config", Done: 1, Total: 1, Message: fmt.Sprintf("resuming subnet of %d nodes in %s", nodes, home)})
	default:
		if nodes == 0 {
			nodes = 4
		}
		progress(ProgressEvent{Phase: "config", Done: 0, Total: 1, Message: fmt.Sprintf("creating subnet of %d nodes in %s", nodes, home)})
		so := subnetOptions{timeoutCommitMS: opt.TimeoutCommitMS, presignatureTarget: opt.PresignatureTarget}
		if tweak != nil {
			var c Config
			tweak(&c)
			so.bls = c.bls
		}
		if err := writeSubnetConfig(home, nodes, nil, so); err != nil {
			return nil, err
		}
		progress(ProgressEvent{Phase: "config", Done: 1, Total: 1, Message: "configuration written"})
	}
	s := &LocalSubnet{home: home}
	for i := 0; i < nodes; i++ {
		cfg, err := LoadConfig(filepath.Join(home, fmt.Sprintf("node%d", i)))
		if err != nil {
			s.Stop()
			return nil, err
		}
		cfg.Logger = opt.Logger
		// A local subnet's canisters may reach servers on this machine
		// over plain http (a local geth, a test server), as dfx's
		// local replica lets them.
		cfg.OutcallsAllowHTTPLoopback = true
		if opt.Bitcoin != nil {
			bc := *opt.Bitcoin
			cfg.Bitcoin = &bc
		}
		if tweak != nil {
			tweak(cfg)
		}
		n, err := New(*cfg)
		if err != nil {
			s.Stop()
			return nil, err
		}
		if err := n.Start(); err != nil {
			s.Stop()
			return nil, err
		}
		s.nodes = append(s.nodes, n)
		if opt.OnNode != nil {
			if err := opt.OnNode(n); err != nil {
				s.Stop()
				return nil, err
			}
		}
		progress(ProgressEvent{Phase: "start", Done: i + 1, Total: nodes, Message: fmt.Sprintf("node %d started", i)})
	}
	// Wait for a height certified by this run: the threshold keys work. A
	// new subnet waits for its key generation, a resumed one for its
	// nodes to reconnect and certify the next height.
	last := s.nodes[0].CertifiedHeight()
	for {
		h := s.nodes[0].CertifiedHeight()
		msg := fmt.Sprintf("creating the subnet's keys (height %d)", s.nodes[0].Height())
		if last > 0 {
			msg = fmt.Sprintf("waiting for the nodes to certify a new height (last certified %d, at height %d)", last, s.nodes[0].Height())
		}
		done := 0
		if h > last {
			done, msg = 1, fmt.Sprintf("height %d certified", h)
		}
		progress(ProgressEvent{Phase: "keys", Done: done, Total: 1, Message: msg})
		if done == 1 {
			break
		}
		select {
		case <-ctx.Done():
			s.Stop()
			return nil, fmt.Errorf("replica: local subnet did not certify: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	progress(ProgressEvent{Phase: "ready", Done: 1, Total: 1, Message: "subnet certifies its state"})
	return s, nil
}

func countNodeHomes(home string) (int, error) {
	n := 0
	for {
		_, err := os.Stat(filepath.Join(home, fmt.Sprintf("node%d", n), configFile))
		if errors.Is(err, os.ErrNotExist) {
			return n, nil
		}
		if err != nil {
			return 0, fmt.Errorf("replica: %w", err)
		}
		n++
	}
}

// Nodes returns the subnet's nodes.
func (s *LocalSubnet) Nodes() []*Node { return s.nodes }

// GRPCAddrs returns the gRPC listen address configured for each node.
func (s *LocalSubnet) GRPCAddrs() []string {
	out := make([]string, len(s.nodes))
	for i, n := range s.nodes {
		out[i] = n.cfg.GRPCListen
	}
	return out
}

// Home returns the subnet's directory.
func (s *LocalSubnet) Home() string { return s.home }

// Stop stops every node.
func (s *LocalSubnet) Stop() error {
	var errs []error
	for _, n := range s.nodes {
		if err := n.Stop(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
