/**
 * Self time of a V8 .cpuprofile, by function and by package:
 * `node dist/bench/profile-summary.js <file.cpuprofile> [top]`.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function area(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node: internals';
  if (url.includes('/dist/src/')) return 'gatehouse src';
  if (url.includes('/dist/bench/')) return 'bench';
  return url;
}

const [file, top = '25'] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file!, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfMs = new Map<number, number>();
profile.samples.forEach((id, i) => {
  selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
});
const parent = new Map<number, number>();
for (const node of profile.nodes)
  for (const child of node.children ?? []) parent.set(child, node.id);
/** The nearest caller with a package (or Gatehouse) frame: who native and node: time works for. */
function owner(id: number): string {
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const { url, functionName } = byId.get(at)!.callFrame;
    const a = area(url, functionName);
    if (!a.startsWith('(') && a !== 'node: internals') return a;
  }
  return area(byId.get(id)!.callFrame.url, byId.get(id)!.callFrame.functionName);
}
const byOwner = new Map<string, number>();
const byFunction = new Map<string, number>();
const byArea = new Map<string, number>();
let total = 0;
for (const [id, ms] of selfMs) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const where = url.replace(/^.*\/(node_modules|dist)\//, '$1/');
  const key = `${functionName || '(anonymous)'} ${where ? `${where}:${lineNumber + 1}` : ''}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
  const a = area(url, functionName);
  byArea.set(a, (byArea.get(a) ?? 0) + ms);
  const o = owner(id);
  byOwner.set(o, (byOwner.get(o) ?? 0) + ms);
  total += ms;
}
const busy = total - (byArea.get('(idle)') ?? 0);
const print = (title: string, rows: Map<string, number>, n: number) => {
  console.log(`\n| ${title} | self ms | % of busy |\n|---|---:|---:|`);
  for (const [key, ms] of [...rows]
    .filter(([key]) => !key.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)) {
    console.log(`| \`${key.trim()}\` | ${ms.toFixed(0)} | ${((100 * ms) / busy).toFixed(1)} |`);
  }
};
console.log(`${file}: ${(total / 1000).toFixed(1)} s sampled, ${(busy / 1000).toFixed(1)} s busy`);
print('package / area', byArea, 15);
print('package / area, native and node: time charged to its nearest package caller', byOwner, 15);
print('function', byFunction, Number(top));
