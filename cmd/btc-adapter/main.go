// Command btc-adapter runs the Bitcoin adapter beside a chainkey node: it
// connects to Bitcoin peers (configured ones, or the network's DNS seeds),
// syncs and validates block headers, persists them under the data
// directory, downloads the blocks the node asks for and broadcasts its
// transactions, and serves the Internet Computer's btc_service.v1
// BtcService over a Unix socket or TCP.
//
//	btc-adapter --network regtest --peer 127.0.0.1:18444 --data-dir ./btc --listen unix:///run/chainkey/btc-adapter.sock
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"google.golang.org/grpc"

	"github.com/chainkey/chainkey/bitcoin/adapter"
	"github.com/chainkey/chainkey/bitcoin/chain"
	pb "github.com/chainkey/chainkey/proto/btcservicepb"
)

type peerList []string

func (p *peerList) String() string     { return strings.Join(*p, ",") }
func (p *peerList) Set(v string) error { *p = append(*p, strings.Split(v, ",")...); return nil }

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "btc-adapter:", err)
		os.Exit(1)
	}
}

func listen(spec string) (net.Listener, error) {
	if path, ok := strings.CutPrefix(spec, "unix://"); ok {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		l, err := net.Listen("unix", path)
		if err != nil {
			return nil, err
		}
		return l, os.Chmod(path, 0o660)
	}
	return net.Listen("tcp", strings.TrimPrefix(spec, "tcp://"))
}

func run(args []string) error {
	fs := flag.NewFlagSet("btc-adapter", flag.ContinueOnError)
	network := fs.String("network", "regtest", "Bitcoin network: mainnet, testnet (testnet4) or regtest")
	var peers peerList
	fs.Var(&peers, "peer", "Bitcoin peer HOST:PORT (repeatable or comma-separated; default: the network's DNS seeds)")
	dataDir := fs.String("data-dir", "", "directory for the header file <data-dir>/<network>/headers.dat (empty: memory only)")
	listenSpec := fs.String("listen", "unix://btc-adapter.sock", "where to serve BtcService: unix://PATH or [tcp://]HOST:PORT")
	cacheMB := fs.Int("cache-mb", adapter.DefaultCacheBytes>>20, "block cache budget in MiB")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	logJSON := fs.Bool("log-json", false, "log as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return err
	}
	opts := &slog.HandlerOptions{Level: level}
	var handler slog.Handler = slog.NewTextHandler(os.Stderr, opts)
	if *logJSON {
		handler = slog.NewJSONHandler(os.Stderr, opts)
	}
	log := slog.New(handler)
	n, err := chain.ParseNetwork(*network)
	if err != nil {
		return err
	}
	a, err := adapter.New(adapter.Config{Network: n, Peers: peers, DataDir: *dataDir, CacheBytes: *cacheMB << 20, Logger: log})
	if err != nil {
		return err
	}
	defer a.Close()
	l, err := listen(*listenSpec)
	if err != nil {
		return fmt.Errorf("listen %s: %w", *listenSpec, err)
	}
	srv := grpc.NewServer()
	pb.RegisterBtcServiceServer(srv, adapter.NewServer(a))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	go func() {
		<-ctx.Done()
		srv.GracefulStop()
	}()
	log.Info("serving BtcService", "listen", l.Addr().String(), "network", n.String(), "peers", peers.String(), "data_dir", *dataDir)
	if err := srv.Serve(l); err != nil {
		stop()
		<-done
		return err
	}
	err = <-done
	log.Info("stopped")
	return err
}
