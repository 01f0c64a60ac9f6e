// Preloaded into a process under test (node --import): at exit, writes the process's peak RSS (KiB, worker
// threads included) to $BENCH_RSS_FILE. Plain JavaScript, so it adds no transpiler to the measured process.
import {writeFileSync} from 'node:fs';

const target = process.env.BENCH_RSS_FILE;
if (target) {
  process.on('exit', () => {
    writeFileSync(target, String(process.resourceUsage().maxRSS));
  });
}
