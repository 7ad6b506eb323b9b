// Package execution runs Internet Computer canisters: WebAssembly modules
// that import the IC System API (module "ic0") and export the IC's entry
// points (canister_init, "canister_update <name>", "canister_query <name>",
// canister_pre_upgrade, canister_post_upgrade, ...).
//
// The package is pure: a Canister holds the state of one canister (module,
// Wasm memory and globals, stable memory, certified data, cycles) and
// executes messages on it deterministically. The same state and the same
// message give the same reply, the same state bytes and the same fuel on
// every machine: fuel metering bounds every message, NaNs are
// canonicalized, threads and host clocks are disabled, and the only time a
// canister sees is the time its caller passes in.
//
// Prepare rewrites every module so that its stores mark the 4 KiB pages
// they write: rolling back a message, committing it and persisting a
// height (Canister.Checkpoint, State.Apply) cost in proportion to the
// pages changed, not to the size of memory. CompositeQuery runs composite
// queries with their calls to other canisters' queries; Fees is the IC's
// cycles fee table, which Config.Fees applies (the zero Fees charges
// nothing).
//
// A module that changes its table at run time has the table saved,
// rolled back and persisted like its memory (State.Table, tables.go).
//
// The WebAssembly engine sits behind the Engine interface; NewWasmtime
// returns the one the package ships (wasmtime through cgo). Package
// modcache keeps its compiled modules on disk.
package execution
