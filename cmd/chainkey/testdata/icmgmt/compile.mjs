// Compiles Motoko actors with the official Motoko compiler (npm motoko,
// pinned in package.json), default build (wasm64, enhanced orthogonal
// persistence). Input on stdin: {"actors": [{"name": "...", "source": "..."}]};
// output on stdout: {"<name>": "<base64 wasm>", ...}.
import mo from 'motoko';

try {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const out = {};
  for (const { name, source } of JSON.parse(input).actors) {
    mo.write(name + '.mo', source);
    out[name] = Buffer.from(mo.wasm(name + '.mo', 'ic').wasm).toString('base64');
  }
  process.stdout.write(JSON.stringify(out));
} catch (e) {
  process.stderr.write(String(e && e.stack ? e.stack : e) + '\n');
  process.exit(1);
}
