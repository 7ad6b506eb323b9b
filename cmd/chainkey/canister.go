package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/chainkey/chainkey/agent"
	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/principal"
)

// canisterFlags are the flags every canister command takes.
type canisterFlags struct {
	endpoint string
	identity string
	asJSON   bool
	timeout  time.Duration
}

func (f *canisterFlags) register(cmd *cobra.Command) {
	p := cmd.PersistentFlags()
	p.StringVar(&f.endpoint, "endpoint", "", `IC HTTP interface URL (default: the running "chainkey up" subnet's first node)`)
	p.StringVar(&f.identity, "identity", "", "identity PEM file (dfx or icp-cli form); default: the CLI's own identity, as for sign")
	p.BoolVar(&f.asJSON, "json", false, "print the result as one JSON object")
	p.DurationVar(&f.timeout, "timeout", 2*time.Minute, "give up after this long")
}

// agent connects to the endpoint with the identity. Against the running
// local subnet the root key comes from its subnet.json; against another
// endpoint it is fetched from /api/v2/status, which is only safe for a
// local or test subnet.
func (f *canisterFlags) agent(ctx context.Context) (*agent.Agent, error) {
	cfg := agent.Config{Endpoint: f.endpoint}
	if cfg.Endpoint == "" {
		home, err := defaultUpHome()
		if err != nil {
			return nil, err
		}
		out, ok := runningLocalSubnet(home)
		if !ok || len(out.HTTP) == 0 {
			return nil, fmt.Errorf("no running local subnet with an HTTP interface: start one with %s up, or give --endpoint", cliName())
		}
		cfg.Endpoint = out.HTTP[0]
		if k, err := hex.DecodeString(out.RootKey); err == nil && len(k) > 0 {
			cfg.RootKey = k
		}
	}
	id, err := loadCallerIdentity(f.identity)
	if err != nil {
		return nil, err
	}
	cfg.Identity = id
	return agent.New(ctx, cfg)
}

func newCanisterCmd() *cobra.Command {
	f := &canisterFlags{}
	cmd := &cobra.Command{
		Use:   "canister",
		Short: "Create, install, call and manage canisters through the IC HTTP interface",
		Long: `Deploy and call canisters on a subnet through its IC HTTP interface, as dfx and
icp-cli do: every answer is checked (certificates against the subnet's root
key, query responses against the node keys the subnet certifies).

  canister create                      create a canister (provisional cycles)
  canister install ID --wasm FILE      install a module (--mode install|reinstall|upgrade)
  canister call ID METHOD [ARGS]       call a method (Candid text arguments)
  canister metadata ID NAME            print a metadata section (e.g. candid:service)
  canister status|info|logs|stop|start|delete|top-up ID
  canister update-settings ID [--set-controller P] [--freezing-threshold S] ...

Modules larger than an ingress message allows are installed through the
canister's chunk store (upload_chunk, install_chunked_code), as dfx does.`,
	}
	f.register(cmd)
	cmd.AddCommand(newCanisterCreateCmd(f), newCanisterInstallCmd(f), newCanisterCallCmd(f), newCanisterStatusCmd(f),
		newCanisterLogsCmd(f), newCanisterSimpleCmd(f, "stop", "stop_canister", "Stop a canister"),
		newCanisterSimpleCmd(f, "start", "start_canister", "Start a stopped canister"),
		newCanisterSimpleCmd(f, "delete", "delete_canister", "Delete a stopped canister"), newCanisterTopUpCmd(f),
		newCanisterInfoCmd(f), newCanisterUpdateSettingsCmd(f))
	cmd.AddCommand(newCanisterMetadataCmd(f))
	return cmd
}

// run runs a canister command with its agent and deadline.
func (f *canisterFlags) run(cmd *cobra.Command, do func(ctx context.Context, a *agent.Agent) error) error {
	ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
	defer cancel()
	a, err := f.agent(ctx)
	if err != nil {
		return fmt.Errorf("canister: %w", err)
	}
	if err := do(ctx, a); err != nil {
		return fmt.Errorf("canister: %w", err)
	}
	return nil
}

type canisterIDArg struct {
	CanisterID principal.Principal `candid:"canister_id"`
}

func parseCanister(s string) (principal.Principal, error) {
	p, err := principal.Parse(s)
	if err != nil {
		return p, fmt.Errorf("canister id %q: %w", s, err)
	}
	return p, nil
}

// manage calls a management canister method with arg and decodes the reply
// into out (if not nil).
func manage(ctx context.Context, a *agent.Agent, method string, arg any, out any) error {
	b, err := candid.Encode(arg)
	if err != nil {
		return err
	}
	r, err := a.Call(ctx, principal.Management(), method, b)
	if err != nil {
		return err
	}
	if out != nil {
		return candid.Decode(r, out)
	}
	return nil
}

func newCanisterCreateCmd(f *canisterFlags) *cobra.Command {
	var cycles uint64
	var specified string
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create an empty canister controlled by the identity",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.run(cmd, func(ctx context.Context, a *agent.Agent) error {
				arg := struct {
					Amount    *big.Int             `candid:"amount,opt"`
					Specified *principal.Principal `candid:"specified_id"`
				}{}
				if cycles > 0 {
					arg.Amount = new(big.Int).SetUint64(cycles)
				}
				if specified != "" {
					p, err := parseCanister(specified)
					if err != nil {
						return err
					}
					arg.Specified = &p
				}
				var res canisterIDArg
				if err := manage(ctx, a, "provisional_create_canister_with_cycles", arg, &res); err != nil {
					return err
				}
				return printCanister(cmd.OutOrStdout(), f.asJSON, map[string]any{"canister_id": res.CanisterID.String()}, res.CanisterID.String())
			})
		},
	}
	cmd.Flags().Uint64Var(&cycles, "cycles", 0, "provisional cycles of the new canister (default: the subnet's default)")
	cmd.Flags().StringVar(&specified, "specified-id", "", "create the canister at this id (free, in the subnet's range)")
	return cmd
}

func printCanister(w io.Writer, asJSON bool, v any, text string) error {
	if asJSON {
		return writeJSONLine(w, v)
	}
	_, err := fmt.Fprintln(w, text)
	return err
}

// Candid of install_code's mode.
type (
	memoryPersistence struct {
		candid.IsVariant
		Keep    *candid.Null `candid:"keep"`
		Replace *candid.Null `candid:"replace"`
	}
	upgradeOptions struct {
		WasmMemoryPersistence *memoryPersistence `candid:"wasm_memory_persistence"`
	}
	installMode struct {
		candid.IsVariant
		Install   *candid.Null     `candid:"install"`
		Reinstall *candid.Null     `candid:"reinstall"`
		Upgrade   **upgradeOptions `candid:"upgrade"`
	}
	installArgs struct {
		Mode       installMode         `candid:"mode"`
		CanisterID principal.Principal `candid:"canister_id"`
		Wasm       []byte              `candid:"wasm_module"`
		Arg        []byte              `candid:"arg"`
	}
)

func newCanisterInstallCmd(f *canisterFlags) *cobra.Command {
	var wasmFile, mode, argument, persistence string
	cmd := &cobra.Command{
		Use:   "install CANISTER --wasm FILE",
		Short: "Install, reinstall or upgrade a canister's module",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			can, err := parseCanister(args[0])
			if err != nil {
				return err
			}
			if wasmFile == "" {
				return errors.New("install: --wasm is required")
			}
			wasm, err := os.ReadFile(wasmFile)
			if err != nil {
				return err
			}
			arg := []byte("DIDL\x00\x00")
			if argument != "" {
				ts, vs, err := candid.ParseArgsAny(argument)
				if err != nil {
					return fmt.Errorf("--argument: %w", err)
				}
				if arg, err = candid.Marshal(ts, vs); err != nil {
					return fmt.Errorf("--argument: %w", err)
				}
			}
			in := installArgs{CanisterID: can, Wasm: wasm, Arg: arg}
			switch mode {
			case "install":
				in.Mode.Install = &candid.Null{}
			case "reinstall":
				in.Mode.Reinstall = &candid.Null{}
			case "upgrade":
				var opts *upgradeOptions
				switch persistence {
				case "keep":
					opts = &upgradeOptions{WasmMemoryPersistence: &memoryPersistence{Keep: &candid.Null{}}}
				case "replace":
					opts = &upgradeOptions{WasmMemoryPersistence: &memoryPersistence{Replace: &candid.Null{}}}
				case "":
				default:
					return fmt.Errorf("--wasm-memory-persistence %q: want keep or replace", persistence)
				}
				in.Mode.Upgrade = &opts
			default:
				return fmt.Errorf("--mode %q: want install, reinstall or upgrade", mode)
			}
			return f.run(cmd, func(ctx context.Context, a *agent.Agent) error {
				chunks, err := installModule(ctx, a, in)
				if err != nil {
					return err
				}
				text := fmt.Sprintf("%s: %s done", can, mode)
				if len(in.Wasm) > chunkedInstallOver {
					text = fmt.Sprintf("%s: %s done (%d-byte module through the chunk store, %d chunks uploaded)", can, mode, len(in.Wasm), chunks)
				}
				return printCanister(cmd.OutOrStdout(), f.asJSON, map[string]any{"canister_id": can.String(), "mode": mode,
					"chunked": len(in.Wasm) > chunkedInstallOver}, text)
			})
		},
	}
	cmd.Flags().StringVar(&wasmFile, "wasm", "", "the Wasm module")
	cmd.Flags().StringVar(&mode, "mode", "install", "install, reinstall or upgrade")
	cmd.Flags().StringVar(&argument, "argument", "", "init or upgrade argument in Candid text, e.g. '(42 : nat)'")
	cmd.Flags().StringVar(&persistence, "wasm-memory-persistence", "", "upgrade: keep (Motoko enhanced orthogonal persistence) or replace the main memory")
	return cmd
}

func newCanisterCallCmd(f *canisterFlags) *cobra.Command {
	var query bool
	var didFile string
	cmd := &cobra.Command{
		Use:   "call CANISTER METHOD [ARGS]",
		Short: "Call a canister method; the reply is printed as Candid text",
		Args:  cobra.RangeArgs(2, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			can, err := parseCanister(args[0])
			if err != nil {
				return err
			}
			method, src := args[1], "()"
			if len(args) == 3 {
				src = args[2]
			}
			var m *candid.Type
			if didFile != "" {
				d, err := os.ReadFile(didFile)
				if err != nil {
					return err
				}
				if m, err = serviceMethod(string(d), method); err != nil {
					return fmt.Errorf("%s: %w", didFile, err)
				}
			}
			return f.run(cmd, func(ctx context.Context, a *agent.Agent) error {
				if m == nil {
					// The canister's own interface, from its certified
					// candid:service metadata, when it has one.
					did, ok, err := a.Metadata(ctx, can, "candid:service")
					var he *agent.HTTPError
					if errors.As(err, &he) && he.Status == http.StatusForbidden {
						// A private section and the caller no controller.
						ok, err = false, nil
					}
					if err != nil {
						return err
					}
					if ok {
						if m, err = serviceMethod(string(did), method); err != nil {
							return fmt.Errorf("the canister's candid:service: %w", err)
						}
					}
				}
				var argTypes, resTypes []*candid.Type
				if m != nil {
					argTypes, resTypes = m.Args, m.Results
					if !cmd.Flags().Changed("query") && slices.Contains(m.Modes, candid.ModeQuery) {
						query = true
					}
				}
				arg, err := encodeArgs(src, argTypes)
				if err != nil {
					return err
				}
				var reply []byte
				if query {
					reply, err = a.Query(ctx, can, method, arg)
				} else {
					reply, err = a.Call(ctx, can, method, arg)
				}
				if err != nil {
					return err
				}
				text, err := formatReply(reply, resTypes)
				if err != nil {
					return err
				}
				return printCanister(cmd.OutOrStdout(), f.asJSON, map[string]any{"reply": text, "reply_hex": hex.EncodeToString(reply)}, text)
			})
		},
	}
	cmd.Flags().BoolVar(&query, "query", false, "make a query call (default: an update call, or as --candid says)")
	cmd.Flags().StringVar(&didFile, "candid", "", "the canister's service description (.did) for argument and result types (default: the canister's candid:service metadata)")
	return cmd
}

// formatReply prints a reply as Candid text, against the result types if
// known; a reply that is not Candid is printed as hex.
func formatReply(reply []byte, types []*candid.Type) (string, error) {
	if types != nil {
		vs, err := candid.Unmarshal(reply, types)
		if err != nil {
			return "", fmt.Errorf("reply: %w", err)
		}
		return candid.FormatArgs(types, vs), nil
	}
	ts, vs, err := candid.UnmarshalAny(reply)
	if err != nil {
		return "0x" + hex.EncodeToString(reply), nil
	}
	return candid.FormatArgs(ts, vs), nil
}

func newCanisterStatusCmd(f *canisterFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "status CANISTER",
		Short: "Show a canister's status (controllers only)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			can, err := parseCanister(args[0])
			if err != nil {
				return err
			}
			return f.run(cmd, func(ctx context.Context, a *agent.Agent) error {
				b, err := candid.Encode(canisterIDArg{CanisterID: can})
				if err != nil {
					return err
				}
				reply, err := a.Call(ctx, principal.Management(), "canister_status", b)
				if err != nil {
					return err
				}
				var st struct {
					Status struct {
						candid.IsVariant
						Running  *candid.Null `candid:"running"`
						Stopping *candid.Null `candid:"stopping"`
						Stopped  *candid.Null `candid:"stopped"`
					} `candid:"status"`
					ModuleHash *[]byte `candid:"module_hash"`
					Settings   struct {
						Controllers         []principal.Principal `candid:"controllers"`
						ComputeAllocation   *big.Int              `candid:"compute_allocation"`
						MemoryAllocation    *big.Int              `candid:"memory_allocation"`
						FreezingThreshold   *big.Int              `candid:"freezing_threshold"`
						ReservedCyclesLimit *big.Int              `candid:"reserved_cycles_limit"`
						WasmMemoryLimit     *big.Int              `candid:"wasm_memory_limit"`
						LogVisibility       logVisibilityArg      `candid:"log_visibility"`
					} `candid:"settings"`
					MemorySize *big.Int `candid:"memory_size"`
					Cycles     *big.Int `candid:"cycles"`
				}
				if err := candid.Decode(reply, &st); err != nil {
					return fmt.Errorf("canister_status reply: %w", err)
				}
				status := "running"
				switch {
				case st.Status.Stopping != nil:
					status = "stopping"
				case st.Status.Stopped != nil:
					status = "stopped"
				}
				module := ""
				if st.ModuleHash != nil {
					module = hex.EncodeToString(*st.ModuleHash)
				}
				ctrls := make([]string, len(st.Settings.Controllers))
				for i, p := range st.Settings.Controllers {
					ctrls[i] = p.String()
				}
				if f.asJSON {
					logs := "controllers"
					switch v := st.Settings.LogVisibility; {
					case v.Public != nil:
						logs = "public"
					case v.AllowedViewers != nil:
						logs = "allowed_viewers"
					}
					str := func(n *big.Int) string {
						if n == nil {
							return ""
						}
						return n.String()
					}
					return writeJSONLine(cmd.OutOrStdout(), map[string]any{"canister_id": can.String(), "status": status,
						"module_hash": module, "controllers": ctrls, "memory_size": st.MemorySize.String(), "cycles": st.Cycles.String(),
						"compute_allocation": str(st.Settings.ComputeAllocation), "memory_allocation": str(st.Settings.MemoryAllocation),
						"freezing_threshold": str(st.Settings.FreezingThreshold), "reserved_cycles_limit": str(st.Settings.ReservedCyclesLimit),
						"wasm_memory_limit": str(st.Settings.WasmMemoryLimit), "log_visibility": logs})
				}
				text, _ := formatReply(reply, nil)
				w := cmd.OutOrStdout()
				fmt.Fprintf(w, "canister    %s\nstatus      %s\nmodule hash %s\ncontrollers %s\nmemory size %s\ncycles      %s\n",
					can, status, orDefault(module, "none"), strings.Join(ctrls, ", "), st.MemorySize, st.Cycles)
				_, err = fmt.Fprintln(w, text)
				return err
			})
		},
	}
}

func newCanisterLogsCmd(f *canisterFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "logs CANISTER",
		Short: "Show a canister's logs (fetch_canister_logs)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			can, err := parseCanister(args[0])
			if err != nil {
				return err
			}
			return f.run(cmd, func(ctx context.Context, a *agent.Agent) error {
				b, err := candid.Encode(canisterIDArg{CanisterID: can})
				if err != nil {
					return err
				}
				reply, err := a.Query(ctx, principal.Management(), "fetch_canister_logs", b)
				if err != nil {
					return err
				}
				var res struct {
					Records []struct {
						Idx     uint64 `candid:"idx"`
						Time    uint64 `candid:"timestamp_nanos"`
						Content []byte `candid:"content"`
					} `candid:"canister_log_records"`
				}
				if err := candid.Decode(reply, &res); err != nil {
					return fmt.Errorf("fetch_canister_logs reply: %w", err)
				}
				w := cmd.OutOrStdout()
				for _, r := range res.Records {
					if f.asJSON {
						if err := writeJSONLine(w, map[string]any{"idx": r.Idx, "timestamp_nanos": r.Time, "content": string(r.Content)}); err != nil {
							return err
						}
						continue
					}
					fmt.Fprintf(w, "[%d. %s]: %s\n", r.Idx, time.Unix(0, int64(r.Time)).UTC().Format(time.RFC3339Nano), r.Content)
				}
				return nil
			})
		},
	}
}

// newCanisterSimpleCmd is a command that calls a management method whose
// argument is {canister_id} and whose reply is empty.
func newCanisterSimpleCmd(f *canisterFlags, name, method, short string) *cobra.Command {
	return &cobra.Command{
		Use:   name + " CANISTER",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			can, err := parseCanister(args[0])
			if err != nil {
				return err
			}
			return f.run(cmd, func(ctx context.Context, a *agent.Agent) error {
				if err := manage(ctx, a, method, canisterIDArg{CanisterID: can}, nil); err != nil {
					return err
				}
				return printCanister(cmd.OutOrStdout(), f.asJSON, map[string]any{"canister_id": can.String(), "done": method},
					fmt.Sprintf("%s: %s done", can, method))
			})
		},
	}
}

func newCanisterTopUpCmd(f *canisterFlags) *cobra.Command {
	var cycles uint64
	cmd := &cobra.Command{
		Use:   "top-up CANISTER",
		Short: "Add provisional cycles to a canister",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			can, err := parseCanister(args[0])
			if err != nil {
				return err
			}
			return f.run(cmd, func(ctx context.Context, a *agent.Agent) error {
				arg := struct {
					CanisterID principal.Principal `candid:"canister_id"`
					Amount     *big.Int            `candid:"amount"`
				}{can, new(big.Int).SetUint64(cycles)}
				if err := manage(ctx, a, "provisional_top_up_canister", arg, nil); err != nil {
					return err
				}
				return printCanister(cmd.OutOrStdout(), f.asJSON, map[string]any{"canister_id": can.String(), "cycles": cycles},
					fmt.Sprintf("%s: topped up with %d cycles", can, cycles))
			})
		},
	}
	cmd.Flags().Uint64Var(&cycles, "cycles", 1_000_000_000_000, "cycles to add")
	return cmd
}
