package main

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	"github.com/chainkey/chainkey/proto/bitcoinpb"
	"github.com/chainkey/chainkey/replica"
	"github.com/chainkey/chainkey/rpc"
)

func newNodeCmd() *cobra.Command {
	var (
		home            string
		logLevel        string
		btcFlagsNode    nodeBitcoinFlags
		syncFlags       nodeSyncFlags
		tlsCert, tlsKey string
		httpListen      string
		join            bool
	)
	cmd := &cobra.Command{
		Use:   "node",
		Short: "Run one node of a subnet from its configuration directory",
		Long: `Run one node from a directory written by "chainkey init": consensus, key
generation, signing, and the gRPC API on the configured address. Stops
cleanly on SIGINT or SIGTERM; restarted on the same directory it resumes
with its keys and state. With --tls-cert and --tls-key the gRPC API is
served over TLS 1.3 only (clients: --tls or --tls-ca).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if home == "" {
				return fmt.Errorf("node: --home is required")
			}
			if os.Getenv(stopWithParentEnv) != "" {
				stopWithParent()
			}
			log, err := newNodeLogger(cmd.ErrOrStderr(), logLevel)
			if err != nil {
				return fmt.Errorf("node: %w", err)
			}
			var grpcOpts []grpc.ServerOption
			if tlsCert != "" || tlsKey != "" {
				opt, err := rpc.ServerTLS(tlsCert, tlsKey)
				if err != nil {
					return fmt.Errorf("node: %w", err)
				}
				grpcOpts = append(grpcOpts, opt)
			}
			cfg, err := replica.LoadConfig(home)
			if err != nil {
				return fmt.Errorf("node: %w", err)
			}
			lock, err := lockHome(home)
			if err != nil {
				return fmt.Errorf("node: %w", err)
			}
			defer lock.release()
			cfg.Logger = log
			if join {
				// Not a genesis member: follow the chain (from a
				// catch-up package with --state-sync) until a registry
				// change adds the node.
				cfg.Index = replica.JoiningIndex
			}
			if err := btcFlagsNode.apply(cfg); err != nil {
				return fmt.Errorf("node: %w", err)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if err := syncFlags.apply(ctx, cfg); err != nil {
				return fmt.Errorf("node: %w", err)
			}
			n, err := replica.New(*cfg)
			if err != nil {
				return fmt.Errorf("node: %w", err)
			}
			if err := n.Start(); err != nil {
				return fmt.Errorf("node: start: %w", err)
			}
			srv, addr, err := serveNodeGRPC(n, cfg.GRPCListen, log, grpcOpts...)
			if err != nil {
				n.Stop()
				return fmt.Errorf("node: %w", err)
			}
			if httpListen != "" {
				hs, url, err := serveNodeHTTP(n, httpListen, tlsCert, tlsKey)
				if err != nil {
					stopGRPC(srv, 5*time.Second)
					n.Stop()
					return fmt.Errorf("node: %w", err)
				}
				defer hs.Close()
				log.Info("IC HTTP interface", "url", url)
			}
			log.Info("node running", "index", cfg.Index, "grpc", addr)
			<-ctx.Done()
			log.Info("node stopping")
			stopGRPC(srv, 5*time.Second)
			if err := n.Stop(); err != nil {
				return fmt.Errorf("node: stop: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&home, "home", "", "node directory (from chainkey init)")
	cmd.Flags().StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn or error")
	cmd.Flags().StringVar(&tlsCert, "tls-cert", "", "serve gRPC over TLS with this certificate chain (PEM)")
	cmd.Flags().StringVar(&tlsKey, "tls-key", "", "the private key of --tls-cert (PEM)")
	cmd.Flags().BoolVar(&join, "join", false, "run a node that is not a genesis member (a home from chainkey init --joiners, or with its own keys and the subnet's genesis); it becomes a signer once chainkey subnet add-node is agreed")
	cmd.Flags().StringVar(&httpListen, "http", "", "serve the IC HTTP interface on this host:port (over TLS with --tls-cert)")
	btcFlagsNode.register(cmd)
	syncFlags.register(cmd)
	return cmd
}

// newNodeLogger returns a structured text logger at level.
func newNodeLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: %w", level, err)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// serveNodeGRPC serves the ChainKey API of n on addr and returns the server
// and the address it listens on.
func serveNodeGRPC(n *replica.Node, addr string, log *slog.Logger, opts ...grpc.ServerOption) (*grpc.Server, string, error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("grpc listen %s: %w", addr, err)
	}
	srv := rpc.NewGRPCServer(n, rpc.ServerOptions{Logger: log}, opts...)
	if bs := n.BitcoinService(); bs != nil {
		bitcoinpb.RegisterBitcoinServer(srv, bs)
	}
	go srv.Serve(lis)
	return srv, lis.Addr().String(), nil
}

// stopGRPC stops srv gracefully, or forcibly after d.
func stopGRPC(srv *grpc.Server, d time.Duration) {
	done := make(chan struct{})
	go func() { srv.GracefulStop(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		srv.Stop()
	}
}
