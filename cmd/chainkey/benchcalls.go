package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/chainkey/chainkey/agent"
	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/principal"
)

// callsBenchResult is the JSON printed by `chainkey bench calls`.
type callsBenchResult struct {
	Calls      int                       `json:"calls"`
	Errors     int                       `json:"errors"`
	ErrorKinds map[string]benchErrorKind `json:"error_kinds,omitempty"`
	P50MS      float64                   `json:"p50_ms"`
	P90MS      float64                   `json:"p90_ms"`
	P99MS      float64                   `json:"p99_ms"`
	PerSecond  float64                   `json:"per_second"`
	Seconds    float64                   `json:"seconds"`
	// ClientCPUMSPerCall is this process's CPU time (user and system) per
	// successful call: the callers' signing and certificate checks.
	ClientCPUMSPerCall float64 `json:"client_cpu_ms_per_call"`
}

func newBenchCallsCmd() *cobra.Command {
	var (
		endpoints, canister, method, argText, identity string
		duration, timeout, warmup                      time.Duration
		concurrency                                    int
		query                                          bool
	)
	cmd := &cobra.Command{
		Use:   "calls",
		Short: "Measure update (or query) calls through the IC HTTP interface",
		Long: `Call --method of --canister with --arg (Candid text) from --concurrency
parallel callers for --duration through the IC HTTP interface, each caller
waiting for the verified certified reply (synchronous v3 call), and print
{"calls":N,"errors":N,"error_kinds":{...},"p50_ms":X,"p90_ms":X,"p99_ms":X,"per_second":X,"seconds":X}.
--warmup runs the same load first without counting it. --endpoint may list
several URLs separated by commas; callers are spread over them (default:
every node of the running local subnet, whose root key is then used). With
--query the calls are queries (node signatures checked).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			can, err := principal.Parse(canister)
			if err != nil {
				return fmt.Errorf("bench: --canister: %w", err)
			}
			if concurrency < 1 {
				return fmt.Errorf("bench: --concurrency %d, want at least 1", concurrency)
			}
			if duration <= 0 {
				return errors.New("bench: --duration must be positive")
			}
			ts, vs, err := candid.ParseArgsAny(argText)
			if err != nil {
				return fmt.Errorf("bench: --arg: %w", err)
			}
			arg, err := candid.Marshal(ts, vs)
			if err != nil {
				return fmt.Errorf("bench: --arg: %w", err)
			}
			agents, err := benchAgents(cmd.Context(), endpoints, identity, concurrency)
			if err != nil {
				return fmt.Errorf("bench: %w", err)
			}
			do := func(ctx context.Context, w int) error {
				a := agents[w%len(agents)]
				if query {
					_, err := a.Query(ctx, can, method, arg)
					return err
				}
				_, err := a.Call(ctx, can, method, arg)
				return err
			}
			if warmup > 0 {
				runCallsBench(cmd.Context(), do, warmup, timeout, concurrency)
			}
			res, firstErr := runCallsBench(cmd.Context(), do, duration, timeout, concurrency)
			if err := writeJSONLine(cmd.OutOrStdout(), res); err != nil {
				return err
			}
			if res.Calls > 0 && res.Errors == res.Calls {
				fmt.Fprintln(cmd.ErrOrStderr(), "chainkey: bench: every call failed:", firstErr)
				return errSilent{code: 1}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&endpoints, "endpoint", "", `IC HTTP interface URLs, comma-separated (default: every node of the running "chainkey up" subnet)`)
	f.StringVar(&canister, "canister", "", "canister id (required)")
	f.StringVar(&method, "method", "inc", "method to call")
	f.StringVar(&argText, "arg", "()", "Candid text arguments")
	f.StringVar(&identity, "identity", "", "caller identity PEM; default: the CLI's own identity")
	f.DurationVar(&duration, "duration", 30*time.Second, "how long to send calls")
	f.DurationVar(&warmup, "warmup", 0, "load to apply first, not counted")
	f.DurationVar(&timeout, "timeout", 60*time.Second, "per-call timeout")
	f.IntVar(&concurrency, "concurrency", 64, "parallel callers")
	f.BoolVar(&query, "query", false, "make query calls instead of update calls")
	cmd.MarkFlagRequired("canister")
	return cmd
}

// benchAgents returns one agent per endpoint, sharing an HTTP transport
// that keeps a connection per caller open (the default client keeps two per
// host, so hundreds of callers would open a TCP connection per call).
func benchAgents(ctx context.Context, endpoints, identity string, concurrency int) ([]*agent.Agent, error) {
	var urls []string
	var rootKey []byte
	if endpoints != "" {
		for _, u := range strings.Split(endpoints, ",") {
			if u = strings.TrimSpace(u); u != "" {
				urls = append(urls, u)
			}
		}
	} else {
		home, err := defaultUpHome()
		if err != nil {
			return nil, err
		}
		out, ok := runningLocalSubnet(home)
		if !ok || len(out.HTTP) == 0 {
			return nil, fmt.Errorf("no running local subnet with an HTTP interface: start one with %s up, or give --endpoint", cliName())
		}
		urls = out.HTTP
		if k, err := hex.DecodeString(out.RootKey); err == nil && len(k) > 0 {
			rootKey = k
		}
	}
	if len(urls) == 0 {
		return nil, errors.New("no endpoint")
	}
	id, err := loadCallerIdentity(identity)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = concurrency + 16
	tr.MaxIdleConnsPerHost = concurrency + 16
	client := &http.Client{Transport: tr}
	var out []*agent.Agent
	for _, u := range urls {
		a, err := agent.New(ctx, agent.Config{Endpoint: u, Identity: id, RootKey: rootKey, HTTPClient: client})
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// runCallsBench runs do from concurrency callers (numbered 0..concurrency-1)
// until duration has passed and waits for those in flight. It also returns
// the first error, if any.
func runCallsBench(ctx context.Context, do func(ctx context.Context, w int) error, duration, timeout time.Duration, concurrency int) (*callsBenchResult, error) {
	cpu0 := processCPU()
	st := runLoad(ctx, do, callErrorKind, duration, timeout, concurrency)
	cpu := processCPU() - cpu0
	perCall := 0.0
	if len(st.latencies) > 0 {
		perCall = math.Round(float64(cpu.Microseconds())/float64(len(st.latencies))) / 1000
	}
	return &callsBenchResult{
		ClientCPUMSPerCall: perCall,
		Calls:              len(st.latencies) + st.errs,
		Errors:             st.errs,
		ErrorKinds:         st.kinds,
		P50MS:              percentileMS(st.latencies, 0.50),
		P90MS:              percentileMS(st.latencies, 0.90),
		P99MS:              percentileMS(st.latencies, 0.99),
		PerSecond:          math.Round(float64(len(st.latencies))/st.elapsed.Seconds()*10) / 10,
		Seconds:            math.Round(st.elapsed.Seconds()*100) / 100,
	}, st.firstErr
}

// callErrorKind names the kind of a call error: a reject code, an HTTP
// status, a timeout or a transport error.
func callErrorKind(err error) (kind, msg string) {
	var rej *agent.RejectError
	var herr *agent.HTTPError
	switch {
	case errors.As(err, &rej):
		return fmt.Sprintf("reject %d", rej.Code), err.Error()
	case errors.As(err, &herr):
		return fmt.Sprintf("http %d", herr.Status), err.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout", err.Error()
	}
	return "transport", err.Error()
}
