package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/rpc"
)

// benchResult is the JSON printed by `chainkey bench sign`.
type benchResult struct {
	Requests int `json:"requests"`
	Errors   int `json:"errors"`
	// ErrorKinds counts the errors by kind (the gRPC status code, or
	// "transport" for errors without one) and gives one message of each.
	ErrorKinds map[string]benchErrorKind `json:"error_kinds,omitempty"`
	P50MS      float64                   `json:"p50_ms"`
	P99MS      float64                   `json:"p99_ms"`
	PerSecond  float64                   `json:"per_second"`
}

func newBenchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure a subnet",
	}
	cmd.AddCommand(newBenchSignCmd(), newBenchVetKDCmd(), newBenchCallsCmd())
	return cmd
}

func newBenchSignCmd() *cobra.Command {
	var (
		endpoints, keyID, identity string
		duration, timeout          time.Duration
		concurrency                int
		tlsf                       tlsFlags
	)
	cmd := &cobra.Command{
		Use:   "sign",
		Short: "Measure signing latency and throughput",
		Long: `Send signing requests for random messages from --concurrency parallel
callers for --duration and print
{"requests":N,"errors":N,"error_kinds":{...},"p50_ms":X,"p99_ms":X,"per_second":X}:
requests is the number completed (errors included), error_kinds counts the
errors by gRPC status code with one message of each kind, latencies are over successful
requests, per_second is successful signatures per second. --endpoint may
list several nodes separated by commas; callers are spread over them
(default: every node of the running local subnet).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			k, err := ingress.ParseKeyID(keyID)
			if err != nil {
				return fmt.Errorf("bench: --key-id: %w", err)
			}
			if concurrency < 1 {
				return fmt.Errorf("bench: --concurrency %d, want at least 1", concurrency)
			}
			if duration <= 0 {
				return fmt.Errorf("bench: --duration must be positive")
			}
			id, err := loadCallerIdentity(identity)
			if err != nil {
				return fmt.Errorf("bench: %w", err)
			}
			tlsCfg, err := tlsf.config()
			if err != nil {
				return fmt.Errorf("bench: %w", err)
			}
			target, err := resolveTarget(endpoints, "")
			if err != nil {
				return fmt.Errorf("bench: %w", err)
			}
			var clients []*rpc.Client
			for _, ep := range target.Endpoints {
				c, err := rpc.DialTLS(ep, id, tlsCfg)
				if err != nil {
					return fmt.Errorf("bench: %w", err)
				}
				defer c.Close()
				clients = append(clients, c)
			}
			res, firstErr := runSignBench(cmd.Context(), clients, k, duration, timeout, concurrency)
			if err := writeJSONLine(cmd.OutOrStdout(), res); err != nil {
				return err
			}
			if res.Requests > 0 && res.Errors == res.Requests {
				// Every request failed: say why on stderr and exit 1.
				fmt.Fprintln(cmd.ErrOrStderr(), "chainkey:", rpcErrorLine("bench: every request failed", firstErr))
				return errSilent{code: 1}
			}
			return nil
		},
	}
	f := cmd.Flags()
	tlsf.register(f)
	f.StringVar(&endpoints, "endpoint", "", endpointHelp+"; comma-separated for several (default: every node of the local subnet)")
	f.StringVar(&keyID, "key-id", "ecdsa:secp256k1:dfx_test_key", "key id")
	f.StringVar(&identity, "identity", "", "caller identity PEM; default: the CLI's own identity")
	f.DurationVar(&duration, "duration", 30*time.Second, "how long to send requests")
	f.DurationVar(&timeout, "timeout", 60*time.Second, "per-request timeout")
	f.IntVar(&concurrency, "concurrency", 8, "parallel requests")
	return cmd
}

// benchErrorKind counts one kind of error in a bench run.
type benchErrorKind struct {
	Count   int    `json:"count"`
	Example string `json:"example"`
}

// errorKind names the kind of a request error.
func errorKind(err error) (kind, msg string) {
	if st, ok := status.FromError(err); ok {
		return st.Code().String(), st.Message()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return codes.DeadlineExceeded.String(), err.Error()
	}
	return "transport", err.Error()
}

// runSignBench issues requests until duration has passed and waits for
// those in flight. It also returns the first request error, if any.
func runSignBench(ctx context.Context, clients []*rpc.Client, k ingress.KeyID, duration, timeout time.Duration, concurrency int) (*benchResult, error) {
	return runBench(ctx, clients, func(ctx context.Context, c *rpc.Client) error {
		msg := make([]byte, 32)
		rand.Read(msg)
		_, err := c.Sign(ctx, rpc.SignArgs{KeyID: k.String(), DerivationPath: [][]byte{[]byte("bench")}, MessageHash: msg})
		return err
	}, duration, timeout, concurrency)
}

// runBench runs request do from concurrency callers until duration has
// passed and waits for those in flight. It also returns the first request
// error, if any.
func runBench(ctx context.Context, clients []*rpc.Client, do func(ctx context.Context, c *rpc.Client) error,
	duration, timeout time.Duration, concurrency int) (*benchResult, error) {
	st := runLoad(ctx, func(ctx context.Context, w int) error { return do(ctx, clients[w%len(clients)]) },
		errorKind, duration, timeout, concurrency)
	r := &benchResult{
		Requests:   len(st.latencies) + st.errs,
		Errors:     st.errs,
		ErrorKinds: st.kinds,
		P50MS:      percentileMS(st.latencies, 0.50),
		P99MS:      percentileMS(st.latencies, 0.99),
		PerSecond:  math.Round(float64(len(st.latencies))/st.elapsed.Seconds()*100) / 100,
	}
	return r, st.firstErr
}

// loadStats is what runLoad measured.
type loadStats struct {
	latencies []time.Duration // of the successful requests, sorted
	errs      int
	firstErr  error
	kinds     map[string]benchErrorKind
	elapsed   time.Duration
}

// runLoad runs do from concurrency callers (numbered 0..concurrency-1)
// until duration has passed, each request bounded by timeout, and waits
// for those in flight. kindOf names the kind of a failed request.
func runLoad(ctx context.Context, do func(ctx context.Context, w int) error, kindOf func(error) (kind, msg string),
	duration, timeout time.Duration, concurrency int) *loadStats {
	var (
		mu sync.Mutex
		wg sync.WaitGroup
		st = &loadStats{kinds: map[string]benchErrorKind{}}
	)
	start := time.Now()
	stop := start.Add(duration)
	for w := range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) && ctx.Err() == nil {
				rctx, cancel := context.WithTimeout(ctx, timeout)
				t0 := time.Now()
				err := do(rctx, w)
				d := time.Since(t0)
				cancel()
				mu.Lock()
				if err != nil {
					st.errs++
					if st.firstErr == nil {
						st.firstErr = err
					}
					kind, msg := kindOf(err)
					e := st.kinds[kind]
					if e.Count == 0 {
						e.Example = msg
					}
					e.Count++
					st.kinds[kind] = e
				} else {
					st.latencies = append(st.latencies, d)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	st.elapsed = time.Since(start)
	slices.Sort(st.latencies)
	return st
}

// percentileMS returns the nearest-rank percentile of sorted latencies in
// milliseconds.
func percentileMS(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	i = max(0, min(i, len(sorted)-1))
	return math.Round(float64(sorted[i].Microseconds())/10) / 100
}
