// Installs a module too large for one ingress message through the chunk
// store with the unmodified @dfinity/ic-management (uploadChunk,
// storedChunks, installChunkedCode, clearChunkStore), changes settings,
// and prints one JSON object.
// Usage: node chunked.mjs HOST MODULE.wasm
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { HttpAgent, Actor } from '@dfinity/agent';
import { IDL } from '@dfinity/candid';
import { Ed25519KeyIdentity } from '@dfinity/identity';
import { ICManagementCanister } from '@dfinity/ic-management';

const [host, path] = process.argv.slice(2);
const hex = (b) => Buffer.from(b).toString('hex');
const wasm = readFileSync(path);
const identity = Ed25519KeyIdentity.generate();
const agent = await HttpAgent.create({ host, identity, shouldFetchRootKey: true });
const ic = ICManagementCanister.create({ agent });

const canisterId = await ic.provisionalCreateCanisterWithCycles({ amount: 1_000_000_000_000n });
const chunkHashesList = [];
const size = 1 << 20;
for (let off = 0; off < wasm.length; off += size) {
  chunkHashesList.push(await ic.uploadChunk({ canisterId, chunk: new Uint8Array(wasm.subarray(off, off + size)) }));
}
const stored = await ic.storedChunks({ canisterId });
await ic.installChunkedCode({
  mode: { install: null }, arg: new Uint8Array(IDL.encode([], [])), chunkHashesList,
  targetCanisterId: canisterId, wasmModuleHash: new Uint8Array(createHash('sha256').update(wasm).digest()),
});
await ic.clearChunkStore({ canisterId });
const actor = Actor.createActor(({ IDL }) => IDL.Service({ inc: IDL.Func([], [IDL.Nat], []) }), { agent, canisterId });
const inc = String(await actor.inc());
await ic.updateSettings({ canisterId, settings: { freezingThreshold: 1234n, computeAllocation: 3n, wasmMemoryLimit: 1n << 31n } });
const st = await ic.canisterStatus(canisterId);

process.stdout.write(JSON.stringify({
  chunks: chunkHashesList.length, stored: stored.length, inc,
  moduleHash: st.module_hash.length ? hex(st.module_hash[0]) : '',
  freezingThreshold: String(st.settings.freezing_threshold), computeAllocation: String(st.settings.compute_allocation),
  wasmMemoryLimit: String(st.settings.wasm_memory_limit), memorySize: String(st.memory_size),
}) + '\n');
