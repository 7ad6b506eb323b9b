// Reads the subnet's Bitcoin canister at g4xu7-jiaaa-aaaan-aaaaq-cai
// through a node's IC HTTP interface with the unmodified BitcoinCanister
// client of @dfinity/ckbtc (queries, node signatures checked).
//
// Usage: node bitcoin.mjs HOST ADDRESS
// Prints one JSON object on standard output.
import { HttpAgent } from '@dfinity/agent';
import { Ed25519KeyIdentity } from '@dfinity/identity';
import { Principal } from '@dfinity/principal';
import { BitcoinCanister } from '@dfinity/ckbtc';

const [host, address] = process.argv.slice(2);
const agent = await HttpAgent.create({ host, identity: Ed25519KeyIdentity.generate(), shouldFetchRootKey: true });
const btc = BitcoinCanister.create({ agent, canisterId: Principal.fromText('g4xu7-jiaaa-aaaan-aaaaq-cai') });
const balance = await btc.getBalanceQuery({ network: 'regtest', address });
const confirmed = await btc.getBalanceQuery({ network: 'regtest', address, minConfirmations: 3 });
// getUtxosQuery of this version sends every network but testnet as
// mainnet, which the Bitcoin canister of a regtest subnet rejects, as the
// IC's does: the test checks that rejection.
let utxosError = '';
try {
  await btc.getUtxosQuery({ network: 'regtest', address });
} catch (e) {
  utxosError = String(e && e.message ? e.message : e).split('\n').find((l) => l.includes('Reject text')) ?? String(e);
}
process.stdout.write(JSON.stringify({ balance: String(balance), confirmed: String(confirmed), utxosError }) + '\n');
