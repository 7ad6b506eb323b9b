// Package bitcoin is the root of chainkey's Bitcoin integration; the code
// lives in its subpackages:
//
//   - chain: network parameters (mainnet, testnet4, regtest) and header
//     validation shared by the adapter and the canister state.
//   - adapter: the Bitcoin adapter (P2P client, header sync and storage,
//     block cache, transaction broadcast) and its btc_service.v1 gRPC server;
//     cmd/btc-adapter runs it.
//   - canister: the Bitcoin canister's deterministic state and API
//     (get_utxos, get_balance, get_current_fee_percentiles,
//     get_block_headers, send_transaction's check).
//   - service: what a node hosts: a locked Canister, the chainkey.bitcoin.v1
//     Bitcoin gRPC service, a Forwarder to the adapter and the Driver that
//     pulls successors from the adapter.
//   - regtest, btcdtest: helpers for tests and benchmarks (in-memory regtest
//     blocks; real btcd nodes built from the module proxy).
//
// A node wires them like this: dial the adapter (grpc.NewClient with
// "unix:///path/to/btc-adapter.sock" or a TCP address) and wrap the client
// in service.AdapterForwarder; create the state with canister.New (or
// canister.Unmarshal from the last checkpoint) and service.NewCanister; on
// the block proposer, service.FetchSuccessors(ctx, client,
// canister.Request()) gives the payload (blocks and next headers); every
// node checks it with Canister.Check and, once the block is final, applies
// it with Canister.Apply; Canister.StateHash goes into the certified state;
// service.NewServer(canister) is registered on the node's gRPC server.
package bitcoin
