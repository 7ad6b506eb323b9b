// Drives a chainkey node's IC HTTP interface with the unmodified
// @icp-sdk/core (agent, candid, identity, principal): update calls (certified replies, verified by the agent),
// queries (node signatures verified, the agent's default), a canister
// reject, read_state through CanisterStatus, an anonymous caller, and the
// agent's own request signing with an Ed25519 identity.
//
// Usage: node drive.mjs HOST CANISTER_ID [query-only|counter]
// Prints one JSON object on standard output.
import { HttpAgent, Actor, CanisterStatus, AnonymousIdentity } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import {
  Ed25519KeyIdentity,
  ECDSAKeyIdentity,
  DelegationChain,
  DelegationIdentity,
} from '@icp-sdk/core/identity';
import { Principal } from '@icp-sdk/core/principal';

const [host, canisterText, mode] = process.argv.slice(2);
const canisterId = Principal.fromText(canisterText);

const idlFactory = ({ IDL }) =>
  IDL.Service({
    inc: IDL.Func([], [IDL.Nat], []),
    read: IDL.Func([], [IDL.Nat], ['query']),
    greet: IDL.Func([IDL.Text], [IDL.Text], ['query']),
    whoami: IDL.Func([], [IDL.Principal], ['query']),
    fail: IDL.Func([], [], []),
  });

function describe(e) {
  return {
    name: e?.constructor?.name ?? String(e),
    code: e?.cause?.code?.constructor?.name ?? null,
    message: String(e?.message ?? e).split('\n').slice(0, 5).join('\n'),
  };
}

const out = {};
const identity = Ed25519KeyIdentity.generate();
if (mode === 'counter') {
  // Only the counter methods (a canister without greet and whoami).
  const agent = await HttpAgent.create({ host, identity, shouldFetchRootKey: true });
  const actor = Actor.createActor(idlFactory, { agent, canisterId });
  out.inc1 = (await actor.inc()).toString();
  out.inc2 = (await actor.inc()).toString();
  out.read = (await actor.read()).toString();
  process.stdout.write(JSON.stringify(out) + '\n');
  process.exit(0);
}
if (mode === 'query-only') {
  // One query; with a node whose signing key is not the one its subnet
  // certifies, the agent must refuse the answer.
  const agent = await HttpAgent.create({ host, identity, shouldFetchRootKey: true });
  try {
    out.greet = await Actor.createActor(idlFactory, { agent, canisterId }).greet('x');
  } catch (e) {
    out.error = describe(e);
  }
  process.stdout.write(JSON.stringify(out) + '\n');
  process.exit(0);
}
out.me = identity.getPrincipal().toText();
const agent = await HttpAgent.create({ host, identity, shouldFetchRootKey: true });
const actor = Actor.createActor(idlFactory, { agent, canisterId });

out.inc1 = (await actor.inc()).toString();
out.inc2 = (await actor.inc()).toString();
out.read = (await actor.read()).toString();
out.greet = await actor.greet('chainkey');
out.whoami = (await actor.whoami()).toText();
try {
  await actor.fail();
  out.fail = null;
} catch (e) {
  out.fail = describe(e);
}

// A query the canister rejects (inc is an update method): the rejected
// response is node-signed too, and the agent checks that signature.
try {
  const r = await agent.query(canisterId, { methodName: 'inc', arg: IDL.encode([], []) });
  out.queryReject = { status: r.status, code: r.reject_code, errorCode: r.error_code ?? null, message: r.reject_message };
} catch (e) {
  out.queryReject = describe(e);
}

const status = await CanisterStatus.request({
  canisterId,
  agent,
  paths: ['time', 'module_hash', 'controllers', 'subnet'],
});
out.status = {
  time: status.get('time') instanceof Date,
  moduleHash: status.get('module_hash'),
  controllers: (status.get('controllers') ?? []).map((p) => p.toText()),
  subnetNodes: status.get('subnet')?.nodeKeys?.size ?? -1,
};

// An anonymous caller.
const anon = await HttpAgent.create({ host, identity: new AnonymousIdentity(), shouldFetchRootKey: true });
const anonActor = Actor.createActor(idlFactory, { agent: anon, canisterId });
out.anonInc = (await anonActor.inc()).toString();
out.anonWhoami = (await anonActor.whoami()).toText();

// A P-256 (WebCrypto ECDSA) identity that delegates to an Ed25519 session
// key for this canister only: calls arrive as the P-256 principal.
const root = await ECDSAKeyIdentity.generate();
const session = Ed25519KeyIdentity.generate();
const chain = await DelegationChain.create(root, session.getPublicKey(), new Date(Date.now() + 3600_000), {
  targets: [canisterId],
});
const delegated = DelegationIdentity.fromDelegation(session, chain);
out.delegator = root.getPrincipal().toText();
const dAgent = await HttpAgent.create({ host, identity: delegated, shouldFetchRootKey: true });
const dActor = Actor.createActor(idlFactory, { agent: dAgent, canisterId });
out.delegatedInc = (await dActor.inc()).toString();
out.delegatedWhoami = (await dActor.whoami()).toText();

process.stdout.write(JSON.stringify(out) + '\n');
