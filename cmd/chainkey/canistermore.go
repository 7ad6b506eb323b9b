package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/chainkey/chainkey/agent"
	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/principal"
)

// Chunked installs: a module whose install_code message would pass the
// IC's ingress message limit (2 MiB) is uploaded in chunks of at most
// 1 MiB to the canister's chunk store and installed with
// install_chunked_code, as dfx and icp-cli do.
const (
	chunkSize = 1 << 20
	// chunkedInstallOver is the module size above which install goes
	// through the chunk store: the ingress limit less room for the
	// argument and the envelope.
	chunkedInstallOver = 2<<20 - 128<<10
)

type chunkHashArg struct {
	Hash []byte `candid:"hash"`
}

type installChunkedArg struct {
	Mode           installMode          `candid:"mode"`
	Target         principal.Principal  `candid:"target_canister"`
	Store          *principal.Principal `candid:"store_canister"`
	ChunkHashes    []chunkHashArg       `candid:"chunk_hashes_list"`
	WasmModuleHash []byte               `candid:"wasm_module_hash"`
	Arg            []byte               `candid:"arg"`
}

// installChunked uploads the module's chunks the canister's chunk store
// lacks, installs from them and clears the store. It returns the number
// of chunks uploaded.
func installChunked(ctx context.Context, a *agent.Agent, in installArgs) (int, error) {
	var stored []chunkHashArg
	if err := manage(ctx, a, "stored_chunks", canisterIDArg{CanisterID: in.CanisterID}, &stored); err != nil {
		return 0, fmt.Errorf("stored_chunks: %w", err)
	}
	have := map[string]bool{}
	for _, h := range stored {
		have[string(h.Hash)] = true
	}
	arg := installChunkedArg{Mode: in.Mode, Target: in.CanisterID, Arg: in.Arg}
	uploaded := 0
	for off := 0; off < len(in.Wasm); off += chunkSize {
		chunk := in.Wasm[off:min(len(in.Wasm), off+chunkSize)]
		h := sha256.Sum256(chunk)
		if !have[string(h[:])] {
			var got chunkHashArg
			up := struct {
				CanisterID principal.Principal `candid:"canister_id"`
				Chunk      []byte              `candid:"chunk"`
			}{in.CanisterID, chunk}
			if err := manage(ctx, a, "upload_chunk", up, &got); err != nil {
				return uploaded, fmt.Errorf("upload_chunk %d: %w", off/chunkSize, err)
			}
			if !bytes.Equal(got.Hash, h[:]) {
				return uploaded, fmt.Errorf("upload_chunk %d: the subnet stored hash %x, not %x", off/chunkSize, got.Hash, h)
			}
			have[string(h[:])] = true
			uploaded++
		}
		arg.ChunkHashes = append(arg.ChunkHashes, chunkHashArg{Hash: h[:]})
	}
	sum := sha256.Sum256(in.Wasm)
	arg.WasmModuleHash = sum[:]
	if err := manage(ctx, a, "install_chunked_code", arg, nil); err != nil {
		return uploaded, fmt.Errorf("install_chunked_code: %w", err)
	}
	if err := manage(ctx, a, "clear_chunk_store", canisterIDArg{CanisterID: in.CanisterID}, nil); err != nil {
		return uploaded, fmt.Errorf("clear_chunk_store: %w", err)
	}
	return uploaded, nil
}

// installModule installs in with install_code, or through the chunk
// store when the module is too large for one message.
func installModule(ctx context.Context, a *agent.Agent, in installArgs) (chunks int, err error) {
	if len(in.Wasm) > chunkedInstallOver {
		return installChunked(ctx, a, in)
	}
	return 0, manage(ctx, a, "install_code", in, nil)
}

// Candid of the settings update_settings and create take (ic.did).
type (
	logVisibilityArg struct {
		candid.IsVariant
		Controllers    *candid.Null           `candid:"controllers"`
		Public         *candid.Null           `candid:"public"`
		AllowedViewers *[]principal.Principal `candid:"allowed_viewers"`
	}
	settingsArg struct {
		Controllers         *[]principal.Principal `candid:"controllers"`
		ComputeAllocation   *big.Int               `candid:"compute_allocation,opt"`
		MemoryAllocation    *big.Int               `candid:"memory_allocation,opt"`
		FreezingThreshold   *big.Int               `candid:"freezing_threshold,opt"`
		ReservedCyclesLimit *big.Int               `candid:"reserved_cycles_limit,opt"`
		LogVisibility       *logVisibilityArg      `candid:"log_visibility"`
		WasmMemoryLimit     *big.Int               `candid:"wasm_memory_limit,opt"`
		WasmMemoryThreshold *big.Int               `candid:"wasm_memory_threshold,opt"`
	}
)

// settingsFlags are the canister settings as command flags.
type settingsFlags struct {
	controllers, addControllers     []string
	compute, memory, freezing       int64
	reserved, wasmLimit, wasmThresh int64
	logVisibility                   string
}

func (s *settingsFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringSliceVar(&s.controllers, "set-controller", nil, "replace the controllers (repeat or comma-separate)")
	fl.StringSliceVar(&s.addControllers, "add-controller", nil, "add controllers to the current ones")
	fl.Int64Var(&s.compute, "compute-allocation", -1, "compute allocation, 0 to 100 (percent)")
	fl.Int64Var(&s.memory, "memory-allocation", -1, "memory allocation in bytes (0: best effort)")
	fl.Int64Var(&s.freezing, "freezing-threshold", -1, "freezing threshold in seconds")
	fl.Int64Var(&s.reserved, "reserved-cycles-limit", -1, "reserved cycles limit")
	fl.Int64Var(&s.wasmLimit, "wasm-memory-limit", -1, "Wasm memory limit in bytes")
	fl.Int64Var(&s.wasmThresh, "wasm-memory-threshold", -1, "Wasm memory threshold in bytes")
	fl.StringVar(&s.logVisibility, "log-visibility", "", "controllers, public, or allowed:PRINCIPAL,PRINCIPAL...")
}

// settings returns the settings the flags give; current are the
// canister's controllers (for --add-controller).
func (s *settingsFlags) settings(current func() ([]principal.Principal, error)) (*settingsArg, error) {
	out := &settingsArg{}
	num := func(v int64) *big.Int {
		if v < 0 {
			return nil
		}
		return big.NewInt(v)
	}
	out.ComputeAllocation, out.MemoryAllocation, out.FreezingThreshold = num(s.compute), num(s.memory), num(s.freezing)
	out.ReservedCyclesLimit, out.WasmMemoryLimit, out.WasmMemoryThreshold = num(s.reserved), num(s.wasmLimit), num(s.wasmThresh)
	parse := func(ss []string) ([]principal.Principal, error) {
		var ps []principal.Principal
		for _, v := range ss {
			p, err := principal.Parse(strings.TrimSpace(v))
			if err != nil {
				return nil, fmt.Errorf("principal %q: %w", v, err)
			}
			ps = append(ps, p)
		}
		return ps, nil
	}
	if len(s.controllers) > 0 || len(s.addControllers) > 0 {
		ctrls, err := parse(s.controllers)
		if err != nil {
			return nil, err
		}
		if len(s.addControllers) > 0 {
			if len(s.controllers) == 0 {
				if ctrls, err = current(); err != nil {
					return nil, err
				}
			}
			more, err := parse(s.addControllers)
			if err != nil {
				return nil, err
			}
			ctrls = append(ctrls, more...)
		}
		out.Controllers = &ctrls
	}
	switch v := s.logVisibility; {
	case v == "":
	case v == "controllers":
		out.LogVisibility = &logVisibilityArg{Controllers: &candid.Null{}}
	case v == "public":
		out.LogVisibility = &logVisibilityArg{Public: &candid.Null{}}
	case strings.HasPrefix(v, "allowed:"):
		ps, err := parse(strings.Split(strings.TrimPrefix(v, "allowed:"), ","))
		if err != nil {
			return nil, err
		}
		out.LogVisibility = &logVisibilityArg{AllowedViewers: &ps}
	default:
		return nil, fmt.Errorf("--log-visibility %q: want controllers, public or allowed:P1,P2", v)
	}
	return out, nil
}

func newCanisterUpdateSettingsCmd(f *canisterFlags) *cobra.Command {
	var s settingsFlags
	cmd := &cobra.Command{
		Use:   "update-settings CANISTER",
		Short: "Change a canister's settings (controllers, allocations, freezing threshold, log visibility, ...)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			can, err := parseCanister(args[0])
			if err != nil {
				return err
			}
			return f.run(cmd, func(ctx context.Context, a *agent.Agent) error {
				settings, err := s.settings(func() ([]principal.Principal, error) {
					info, err := canisterInfo(ctx, a, can, 0)
					if err != nil {
						return nil, err
					}
					return info.Controllers, nil
				})
				if err != nil {
					return err
				}
				arg := struct {
					CanisterID principal.Principal `candid:"canister_id"`
					Settings   settingsArg         `candid:"settings"`
				}{can, *settings}
				if err := manage(ctx, a, "update_settings", arg, nil); err != nil {
					return err
				}
				return printCanister(cmd.OutOrStdout(), f.asJSON, map[string]any{"canister_id": can.String(), "done": "update_settings"},
					fmt.Sprintf("%s: settings updated", can))
			})
		},
	}
	s.register(cmd)
	return cmd
}

// Candid of canister_info's reply (the cases this CLI prints).
type infoChange struct {
	Time    uint64 `candid:"timestamp_nanos"`
	Version uint64 `candid:"canister_version"`
	Origin  struct {
		candid.IsVariant
		FromUser *struct {
			UserID principal.Principal `candid:"user_id"`
		} `candid:"from_user"`
		FromCanister *struct {
			CanisterID principal.Principal `candid:"canister_id"`
			Version    *uint64             `candid:"canister_version"`
		} `candid:"from_canister"`
	} `candid:"origin"`
	Details struct {
		candid.IsVariant
		Creation *struct {
			Controllers []principal.Principal `candid:"controllers"`
		} `candid:"creation"`
		CodeUninstall  *candid.Null `candid:"code_uninstall"`
		CodeDeployment *struct {
			Mode struct {
				candid.IsVariant
				Install   *candid.Null `candid:"install"`
				Reinstall *candid.Null `candid:"reinstall"`
				Upgrade   *candid.Null `candid:"upgrade"`
			} `candid:"mode"`
			ModuleHash []byte `candid:"module_hash"`
		} `candid:"code_deployment"`
		ControllersChange *struct {
			Controllers []principal.Principal `candid:"controllers"`
		} `candid:"controllers_change"`
		LoadSnapshot *candid.Reserved `candid:"load_snapshot"`
		Rename       *candid.Reserved `candid:"rename_canister"`
	} `candid:"details"`
}

type infoResult struct {
	Total       uint64                `candid:"total_num_changes"`
	Recent      []infoChange          `candid:"recent_changes"`
	ModuleHash  *[]byte               `candid:"module_hash"`
	Controllers []principal.Principal `candid:"controllers"`
}

func canisterInfo(ctx context.Context, a *agent.Agent, can principal.Principal, n uint64) (*infoResult, error) {
	arg := struct {
		CanisterID principal.Principal `candid:"canister_id"`
		Changes    *uint64             `candid:"num_requested_changes"`
	}{can, &n}
	var res infoResult
	if err := manage(ctx, a, "canister_info", arg, &res); err != nil {
		return nil, fmt.Errorf("canister_info: %w", err)
	}
	return &res, nil
}

// describe is a change in one line and as JSON.
func (c *infoChange) describe() (string, map[string]any) {
	j := map[string]any{"timestamp_nanos": c.Time, "canister_version": c.Version}
	origin := ""
	switch {
	case c.Origin.FromUser != nil:
		origin = "user " + c.Origin.FromUser.UserID.String()
	case c.Origin.FromCanister != nil:
		origin = "canister " + c.Origin.FromCanister.CanisterID.String()
	}
	j["origin"] = origin
	ps := func(l []principal.Principal) string {
		s := make([]string, len(l))
		for i, p := range l {
			s[i] = p.String()
		}
		return strings.Join(s, ", ")
	}
	what := "other change"
	d := &c.Details
	switch {
	case d.Creation != nil:
		what = "created, controllers " + ps(d.Creation.Controllers)
	case d.CodeUninstall != nil:
		what = "code uninstalled"
	case d.CodeDeployment != nil:
		mode := "install"
		switch {
		case d.CodeDeployment.Mode.Reinstall != nil:
			mode = "reinstall"
		case d.CodeDeployment.Mode.Upgrade != nil:
			mode = "upgrade"
		}
		what = mode + " of module " + hex.EncodeToString(d.CodeDeployment.ModuleHash)
	case d.ControllersChange != nil:
		what = "controllers set to " + ps(d.ControllersChange.Controllers)
	}
	j["change"] = what
	return fmt.Sprintf("%s  v%-4d %s (by %s)", time.Unix(0, int64(c.Time)).UTC().Format(time.RFC3339), c.Version, what, origin), j
}

func newCanisterInfoCmd(f *canisterFlags) *cobra.Command {
	var changes uint64
	cmd := &cobra.Command{
		Use:   "info CANISTER",
		Short: "Show a canister's controllers, module hash and history (canister_info)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			can, err := parseCanister(args[0])
			if err != nil {
				return err
			}
			return f.run(cmd, func(ctx context.Context, a *agent.Agent) error {
				info, err := canisterInfo(ctx, a, can, changes)
				if err != nil {
					return err
				}
				module := ""
				if info.ModuleHash != nil {
					module = hex.EncodeToString(*info.ModuleHash)
				}
				ctrls := make([]string, len(info.Controllers))
				for i, p := range info.Controllers {
					ctrls[i] = p.String()
				}
				var lines []string
				var js []map[string]any
				for i := range info.Recent {
					l, j := info.Recent[i].describe()
					lines, js = append(lines, l), append(js, j)
				}
				if f.asJSON {
					return writeJSONLine(cmd.OutOrStdout(), map[string]any{"canister_id": can.String(), "module_hash": module,
						"controllers": ctrls, "total_num_changes": info.Total, "recent_changes": js})
				}
				w := cmd.OutOrStdout()
				fmt.Fprintf(w, "canister    %s\nmodule hash %s\ncontrollers %s\nchanges     %d in all\n", can, orDefault(module, "none"),
					strings.Join(ctrls, ", "), info.Total)
				for _, l := range lines {
					fmt.Fprintln(w, "  "+l)
				}
				return nil
			})
		},
	}
	cmd.Flags().Uint64Var(&changes, "changes", 20, "how many of the most recent changes to show (at most 20)")
	return cmd
}
