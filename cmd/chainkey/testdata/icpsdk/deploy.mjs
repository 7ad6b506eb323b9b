// Deploys and calls a canister on an IC HTTP interface with the unmodified
// @icp-sdk/core and @icp-sdk/canisters, and prints one JSON object.
// Usage: node deploy.mjs HOST V1.wasm V2.wasm
import { readFileSync } from 'node:fs';
import { HttpAgent, Actor } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { IcManagementCanister } from '@icp-sdk/canisters/ic-management';

const [host, v1, v2] = process.argv.slice(2);
const hex = (b) => Buffer.from(b).toString('hex');
const noArg = new Uint8Array(IDL.encode([], []));

const identity = Ed25519KeyIdentity.generate();
const agent = await HttpAgent.create({ host, identity, shouldFetchRootKey: true });
const ic = IcManagementCanister.create({ agent });

const canisterId = await ic.provisionalCreateCanisterWithCycles({});
await ic.installCode({ mode: { install: null }, canisterId, wasmModule: readFileSync(v1), arg: noArg });
const idl = ({ IDL }) => IDL.Service({
  inc: IDL.Func([], [IDL.Nat], []),
  get: IDL.Func([], [IDL.Nat], ['query']),
  boom: IDL.Func([], [], []),
  version: IDL.Func([], [IDL.Text], ['query']),
});
const actor = Actor.createActor(idl, { agent, canisterId });
const incs = [String(await actor.inc()), String(await actor.inc())];
const get = String(await actor.get());
const statuses = [];
for (const certified of [true, false]) {
  const st = await ic.canisterStatus({ canisterId, certified });
  statuses.push({
    running: 'running' in st.status,
    moduleHash: st.module_hash.length ? hex(st.module_hash[0]) : '',
    controllers: st.settings.controllers.map((p) => p.toText()),
  });
}
await ic.installCode({
  mode: { upgrade: [{ skip_pre_upgrade: [], wasm_memory_persistence: [{ keep: null }] }] },
  canisterId, wasmModule: readFileSync(v2), arg: noArg,
});
const afterUpgrade = String(await actor.get());
const version = await actor.version();
let trap = '';
try {
  await actor.boom();
} catch (e) {
  trap = String(e && e.message ? e.message : e).split('\n\nCall context')[0];
}
const logs = (await ic.fetchCanisterLogs(canisterId)).canister_log_records.map((r) => Buffer.from(r.content).toString());

process.stdout.write(JSON.stringify({
  canisterId: canisterId.toText(), me: identity.getPrincipal().toText(), incs, get, statuses, afterUpgrade, version, trap, logs,
}) + '\n');
