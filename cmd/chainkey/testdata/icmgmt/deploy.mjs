// Deploys and calls a canister on an IC HTTP interface with the unmodified
// @dfinity/agent and @dfinity/ic-management, and prints one JSON object.
// Usage: node deploy.mjs HOST V1.wasm V2.wasm
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { HttpAgent, Actor, CanisterStatus } from '@dfinity/agent';
import { IDL } from '@dfinity/candid';
import { Ed25519KeyIdentity, DelegationChain, DelegationIdentity } from '@dfinity/identity';
import { ICManagementCanister } from '@dfinity/ic-management';

const [host, v1, v2] = process.argv.slice(2);
const hex = (b) => Buffer.from(b).toString('hex');
const noArg = new Uint8Array(IDL.encode([], []));

const identity = Ed25519KeyIdentity.generate();
const agent = await HttpAgent.create({ host, identity, shouldFetchRootKey: true });
const ic = ICManagementCanister.create({ agent });

const canisterId = await ic.provisionalCreateCanisterWithCycles({ amount: 1_000_000_000_000n });
await ic.installCode({ mode: { install: null }, canisterId, wasmModule: readFileSync(v1), arg: noArg });

const idl = ({ IDL }) => IDL.Service({
  inc: IDL.Func([], [IDL.Nat], []),
  get: IDL.Func([], [IDL.Nat], ['query']),
  whoami: IDL.Func([], [IDL.Principal], ['query']),
  version: IDL.Func([], [IDL.Text], ['query']),
  pubkey: IDL.Func([], [IDL.Vec(IDL.Nat8)], []),
  sign: IDL.Func([IDL.Vec(IDL.Nat8)], [IDL.Vec(IDL.Nat8)], []),
});
const actor = Actor.createActor(idl, { agent, canisterId });
const incs = [];
for (let i = 0; i < 3; i++) incs.push(String(await actor.inc()));
const get = String(await actor.get());
const whoami = (await actor.whoami()).toText();
const st = await ic.canisterStatus(canisterId);
const status = {
  running: 'running' in st.status,
  moduleHash: st.module_hash.length ? hex(st.module_hash[0]) : '',
  controllers: st.settings.controllers.map((p) => p.toText()),
};

// Upgrade to v2 keeping the main memory (enhanced orthogonal persistence).
await ic.installCode({
  mode: { upgrade: [{ skip_pre_upgrade: [], wasm_memory_persistence: [{ keep: null }] }] },
  canisterId, wasmModule: readFileSync(v2), arg: noArg,
});
const afterUpgrade = String(await actor.get());
const version = await actor.version();
const incAfter = String(await actor.inc());

// The canister's Candid interface from its certified candid:service
// metadata, as agent tooling reads it.
const statusCandid = await CanisterStatus.request({ canisterId, agent, paths: ['candid'] });
const candid = statusCandid.get('candid');

// A session key the identity delegates to, for this canister only.
const session = Ed25519KeyIdentity.generate();
const chain = await DelegationChain.create(identity, session.getPublicKey(), new Date(Date.now() + 3600_000), { targets: [canisterId] });
const dagent = await HttpAgent.create({ host, identity: DelegationIdentity.fromDelegation(session, chain), shouldFetchRootKey: true });
const dactor = Actor.createActor(idl, { agent: dagent, canisterId });
const delegatedInc = String(await dactor.inc());
const delegatedWhoami = (await dactor.whoami()).toText();

// Someone else may not install code.
let notController = '';
try {
  const other = await HttpAgent.create({ host, identity: Ed25519KeyIdentity.generate(), shouldFetchRootKey: true });
  await ICManagementCanister.create({ agent: other }).installCode({ mode: { reinstall: null }, canisterId, wasmModule: readFileSync(v1), arg: noArg });
  notController = 'accepted';
} catch (e) {
  notController = String(e && e.message ? e.message : e).split('\n\nCall context')[0];
}

// The canister signs with the subnet's threshold ECDSA key.
const pubkey = hex(await actor.pubkey());
const hash = createHash('sha256').update('chainkey canister signature').digest();
const signature = hex(await actor.sign(hash));

process.stdout.write(JSON.stringify({
  canisterId: canisterId.toText(), me: identity.getPrincipal().toText(), incs, get, whoami, status,
  afterUpgrade, version, incAfter, candid, delegatedInc, delegatedWhoami, notController, pubkey, hash: hex(hash), signature,
}) + '\n');
