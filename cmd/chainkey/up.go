package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"
	"google.golang.org/grpc"

	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica"
)

// upOutput is the JSON printed by `chainkey up --json`.
type upOutput struct {
	SubnetID string   `json:"subnet_id"`
	RootKey  string   `json:"root_key"`
	GRPC     []string `json:"grpc"`
	Metrics  []string `json:"metrics,omitempty"`
	Home     string   `json:"home"`
	// PID is the process running the subnet (send it SIGINT or SIGTERM to
	// stop the subnet).
	PID int `json:"pid"`
	// HTTP are the nodes' IC HTTP interface URLs, for IC agents.
	HTTP []string `json:"http,omitempty"`
	// Canisters are the ids of the canisters the node implements, by
	// name (ckbtc_ledger, ckbtc_minter, bitcoin), when Bitcoin is on.
	Canisters map[string]string `json:"canisters,omitempty"`
	// OperatorKey is the file of the key that signs the subnet's
	// registry changes (absent for a subnet written before it existed).
	OperatorKey string `json:"operator_key,omitempty"`
}

// defaultUpHome is the local subnet's directory under the user's data
// directory: $XDG_DATA_HOME/chainkey/local or ~/.local/share/chainkey/local.
func defaultUpHome() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "chainkey", "local"), nil
	}
	h, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no home directory (use --home): %w", err)
	}
	return filepath.Join(h, ".local", "share", "chainkey", "local"), nil
}

func newUpCmd() *cobra.Command {
	var (
		nodes    int
		home     string
		asJSON   bool
		logLevel string
		timeout  time.Duration
		btcf     nodeBitcoinFlags
	)
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Start a whole subnet on this machine",
		Long: `Start a subnet of --nodes nodes in this process on loopback, create its
threshold keys, then print the subnet id, the root public key (DER, hex) and
every node's endpoints; with --json one JSON object
{"subnet_id","root_key","grpc":[host:port...],"metrics":[host:port...],
"http":[URL...],"home","pid"}; "http" are the nodes' IC HTTP interface URLs
(for @dfinity/agent, icp-cli and "chainkey canister").
It runs until interrupted (Ctrl-C, or SIGINT/SIGTERM to the pid it prints)
and then stops cleanly. Running it again on the same --home resumes the same
subnet and keys. While it runs, "pubkey", "sign", "status" and "bench" find
it without --endpoint.

Under "go run", signals sent to the go process itself do not reach the
subnet: go ignores SIGINT while its child runs. Stop it with Ctrl-C, or
signal the pid printed here; if the go process is killed, the subnet stops
too.

With --bitcoin-adapter (a running btc-adapter's unix://PATH or HOST:PORT) and
--bitcoin-network, every node hosts the Bitcoin canister: block proposers put
the adapter's new blocks into their blocks, every node checks and applies
them, and each node's gRPC endpoint serves the Bitcoin service used by
"chainkey btc". Give the same flags every time the subnet is resumed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			u := upRun{nodes: nodes, home: home, asJSON: asJSON, logLevel: logLevel, timeout: timeout, btcf: &btcf}
			if !cmd.Flags().Changed("nodes") {
				u.nodes = -1
			}
			if err := u.run(cmd); err != nil {
				return fmt.Errorf("up: %w", err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&nodes, "nodes", 4, "number of nodes (must match an existing subnet in --home)")
	f.StringVar(&home, "home", "", "subnet directory (default $XDG_DATA_HOME/chainkey/local or ~/.local/share/chainkey/local)")
	f.BoolVar(&asJSON, "json", false, "print the endpoints as one JSON object")
	f.StringVar(&logLevel, "log-level", "", "print node logs to stderr at this level (debug, info, warn, error)")
	f.DurationVar(&timeout, "timeout", 5*time.Minute, "give up if the subnet is not ready within this time")
	btcf.register(cmd)
	return cmd
}

// upRun is one run of "chainkey up", step by step.
type upRun struct {
	nodes    int // -1: resume what the home holds, or 4
	home     string
	asJSON   bool
	logLevel string
	timeout  time.Duration
	btcf     *nodeBitcoinFlags

	log     *slog.Logger
	servers upServers
}

func (u *upRun) run(cmd *cobra.Command) error {
	lock, err := u.prepareHome()
	if err != nil {
		return err
	}
	defer lock.release()
	stopWithParent()
	var logOut io.Writer = io.Discard
	if u.logLevel != "" {
		logOut = cmd.ErrOrStderr()
	}
	if u.log, err = newNodeLogger(logOut, orDefault(u.logLevel, "info")); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	defer u.servers.stop()

	sub, err := u.start(ctx, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	out := u.output(sub)
	out.Canisters = upCanisters(sub.Nodes()[0])
	if err := writeLocalSubnet(u.home, out); err != nil {
		u.log.Warn("client commands will need --endpoint", "err", err)
	}
	defer removeLocalSubnet(u.home)
	if err := u.print(cmd.OutOrStdout(), out, len(sub.Nodes())); err != nil {
		u.servers.stop()
		sub.Stop()
		return err
	}

	<-ctx.Done()
	u.log.Info("stopping local subnet")
	u.servers.stop()
	if err := sub.Stop(); err != nil {
		return fmt.Errorf("stop: %w", err)
	}
	if !u.asJSON {
		fmt.Fprintf(cmd.OutOrStdout(), "stopped; run %s up again to resume\n", cliName())
	}
	return nil
}

// prepareHome finds and creates the home, takes it for this process and
// decides the number of nodes.
func (u *upRun) prepareHome() (*homeLock, error) {
	if u.home == "" {
		var err error
		if u.home, err = defaultUpHome(); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(u.home, 0o700); err != nil {
		return nil, err
	}
	lock, err := lockHome(u.home)
	if err != nil {
		return nil, err
	}
	if u.nodes < 0 {
		u.nodes = 0 // resume whatever is there, or the default of 4
		if _, err := os.Stat(filepath.Join(u.home, "node0")); errors.Is(err, os.ErrNotExist) {
			u.nodes = 4
		}
	}
	return lock, nil
}

// start starts the nodes with their gRPC servers and waits, showing
// progress, until the subnet certifies its state and its keys answer.
func (u *upRun) start(ctx context.Context, progressOut io.Writer) (*replica.LocalSubnet, error) {
	btcCfg, err := u.btcf.config()
	if err != nil {
		return nil, err
	}
	prog := newUpProgress(progressOut)
	startCtx, cancelStart := context.WithTimeout(ctx, u.timeout)
	defer cancelStart()
	sub, err := replica.StartLocalSubnetWith(startCtx, u.home, u.nodes, prog.event,
		replica.LocalOptions{Logger: u.log, OnNode: u.servers.onNode(u.log), Bitcoin: btcCfg})
	var keyWarning error
	if err == nil {
		if kerr := waitKeysUsable(startCtx, sub.Nodes()[0], prog.event); kerr != nil {
			if ctx.Err() != nil {
				err = kerr
			} else {
				keyWarning = kerr
			}
		}
	}
	prog.finish()
	if keyWarning != nil {
		u.log.Warn("threshold keys not ready; signing requests are refused until they are", "err", keyWarning)
		fmt.Fprintf(progressOut, "warning: %v; signing requests are refused until they are ready\n", keyWarning)
	}
	if err != nil {
		if sub != nil {
			u.servers.stop()
			sub.Stop()
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("interrupted while starting: %w", err)
		}
		return nil, err
	}
	return sub, nil
}

// output describes the running subnet.
func (u *upRun) output(sub *replica.LocalSubnet) upOutput {
	n0 := sub.Nodes()[0]
	grpcAddrs, metrics := u.servers.endpoints()
	var opKey string
	if _, err := os.Stat(replica.OperatorKeyPath(u.home)); err == nil {
		opKey = replica.OperatorKeyPath(u.home)
	}
	return upOutput{
		OperatorKey: opKey,
		SubnetID:    n0.SubnetID().String(),
		RootKey:     hex.EncodeToString(n0.RootKeyDER()),
		GRPC:        grpcAddrs,
		Metrics:     metrics,
		HTTP:        u.servers.httpURLs(),
		Home:        u.home,
		PID:         os.Getpid(),
	}
}

// print shows the running subnet: one JSON object, or lines for a person.
func (u *upRun) print(w io.Writer, out upOutput, nodes int) error {
	if u.asJSON {
		return writeJSONLine(w, out)
	}
	fmt.Fprintf(w, "subnet   %s (%d nodes, home %s)\n", out.SubnetID, nodes, out.Home)
	fmt.Fprintf(w, "root key %s\n", out.RootKey)
	for i, a := range out.GRPC {
		fmt.Fprintf(w, "node %d   grpc %s", i, a)
		if i < len(out.Metrics) {
			fmt.Fprintf(w, "  metrics http://%s/metrics", out.Metrics[i])
		}
		if i < len(out.HTTP) {
			fmt.Fprintf(w, "  http %s", out.HTTP[i])
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "try: %s sign --key-id ecdsa:secp256k1:dfx_test_key --hash %s\n", cliName(), hex.EncodeToString(make([]byte, 32)))
	_, err := fmt.Fprintf(w, "press Ctrl-C to stop (or kill -INT %d)\n", out.PID)
	return err
}

// upServers are the gRPC servers of a local subnet's nodes.
type upServers struct {
	mu      sync.Mutex
	servers []*grpc.Server
	addrs   []string
	metrics []string
	http    upHTTP
}

// onNode returns the hook that serves each node's API as it starts.
func (s *upServers) onNode(log *slog.Logger) func(*replica.Node) error {
	return func(n *replica.Node) error {
		cfg := n.Config()
		srv, addr, err := serveNodeGRPC(n, cfg.GRPCListen, log)
		if err != nil {
			// The configured loopback port was taken meanwhile (for
			// example as the source port of an outgoing connection):
			// serve on any free port; the printed endpoints are
			// authoritative.
			log.Warn("configured gRPC port busy, using another", "node", cfg.Index, "err", err)
			if srv, addr, err = serveNodeGRPC(n, "127.0.0.1:0", log); err != nil {
				return err
			}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.servers = append(s.servers, srv)
		s.addrs = append(s.addrs, addr)
		if cfg.MetricsListen != "" {
			s.metrics = append(s.metrics, cfg.MetricsListen)
		}
		return s.serveHTTP(n)
	}
}

func (s *upServers) endpoints() (grpcAddrs, metrics []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.addrs), slices.Clone(s.metrics)
}

// stop stops every server (again is a no-op).
func (s *upServers) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, srv := range s.servers {
		stopGRPC(srv, 5*time.Second)
	}
	s.servers = nil
	s.stopHTTP()
}

// waitKeysUsable waits until every key id of the subnet answers public-key
// requests, reporting progress as phase "idkg".
func waitKeysUsable(ctx context.Context, n *replica.Node, progress func(replica.ProgressEvent)) error {
	st, err := n.Status(ctx)
	if err != nil {
		return err
	}
	for {
		var pending []string
		for _, k := range st.KeyIDs {
			if _, _, err := n.PublicKey(ctx, k, principal.Anonymous(), nil); err != nil {
				pending = append(pending, k)
			}
		}
		ready := len(st.KeyIDs) - len(pending)
		msg := "all threshold keys ready"
		if len(pending) > 0 {
			msg = fmt.Sprintf("creating threshold keys (%d of %d ready)", ready, len(st.KeyIDs))
		}
		progress(replica.ProgressEvent{Phase: "idkg", Done: ready, Total: len(st.KeyIDs), Message: msg})
		if len(pending) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("keys %v not ready: %w", pending, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// upProgress shows replica.ProgressEvents: a progress bar per phase on a
// terminal, plain lines otherwise.
type upProgress struct {
	w     io.Writer
	tty   bool
	phase string
	last  string
	bar   *progressbar.ProgressBar
}

func newUpProgress(w io.Writer) *upProgress {
	p := &upProgress{w: w}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
	}
	return p
}

func (p *upProgress) event(e replica.ProgressEvent) {
	if !p.tty {
		line := fmt.Sprintf("[%s %d/%d] %s", e.Phase, e.Done, e.Total, e.Message)
		if line != p.last {
			fmt.Fprintln(p.w, line)
			p.last = line
		}
		return
	}
	if e.Phase != p.phase || p.bar == nil {
		if p.bar != nil {
			p.bar.Finish()
			fmt.Fprintln(p.w)
		}
		p.phase = e.Phase
		p.bar = progressbar.NewOptions(max(e.Total, 1),
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(fmt.Sprintf("%-6s", e.Phase)),
			progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish())
	}
	if e.Total > 0 {
		p.bar.ChangeMax(e.Total)
	}
	p.bar.Describe(fmt.Sprintf("%-6s %s", e.Phase, e.Message))
	_ = p.bar.Set(e.Done)
}

func (p *upProgress) finish() {
	if p.bar != nil {
		p.bar.Finish()
		fmt.Fprintln(p.w)
		p.bar = nil
	}
}
