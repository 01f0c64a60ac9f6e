import {DEFAULT_QUEUE} from '../core/cluster/queue.js';
import {REDIS_URL_ENV, type RedisAddress, redisUrlFrom} from '../core/cluster/redis-url.js';
import {DEFAULT_SHARD_SIZE} from '../core/cluster/shard-specs.js';
import {readClusterStatus, retryFailedShards} from '../core/cluster/status.js';
import {submitShards} from '../core/cluster/submit.js';
import {UserError} from '../core/errors.js';
import {parseDtype} from '../core/model/model-folder.js';
import {RUN_DEFAULTS} from '../core/run/run-setup.js';
import {printStatus, printSubmit, redisPrinter} from './cluster-output.js';
import {defineCommand} from './command.js';
import {parseIds} from './download.js';
import {EXIT} from './exit-codes.js';
import {downloadFlags} from './options/download-options.js';
import {modelFlags} from './options/embed-options.js';
import {embeddingsFlag, imagesFlag} from './options/folders.js';
import {printJson, printLine} from './output.js';

export const clusterCommand = defineCommand({
  name: 'cluster',
  summary: 'submit a source to Redis as shard jobs for workers on many machines; status; retry-failed',
  usage: `
  Usage
    $ visual-cortex cluster submit --redis URL --embeddings DIR [source options] [--shard-size N]
    $ visual-cortex cluster status --redis URL [--json]   (live screen on a terminal; q quits)
    $ visual-cortex cluster retry-failed --redis URL

  submit cuts the source into shards of --shard-size images with stable ids and queues one job per shard; the
  same source submitted again adds nothing. Workers ('visual-cortex worker --redis URL') take the jobs on any
  machine that reaches Redis and the two folders. One machine never needs Redis: run and embed work without it.

  Source options (as for run)
    --provider NAME       picsum (default; seeded), custom, urls, local (unsplash: download it, then submit the folder)
    --count N             images; needed for picsum without --ids and for custom templates
    --width W --height H  image size for picsum and custom (default ${RUN_DEFAULTS.width}x${RUN_DEFAULTS.height})
    --url TEMPLATE        custom: URL with {width} {height} {index} {seed}
    --urls FILE           urls: a text file of URLs, one per line
    --from DIR            local: a folder every worker can read (it becomes the images folder; nothing is copied)
    --ids LIST            picsum ids, e.g. 10,20-25
    --seed S              seed for picsum and {seed} (default a fixed one, so shards are stable)
    --workers N           parallel downloads inside one shard (default ${RUN_DEFAULTS.workers})

  Options
    --redis URL           redis://HOST:PORT (or $${REDIS_URL_ENV})
    --queue NAME          one queue per collection (default ${DEFAULT_QUEUE})
    --embeddings DIR      the collection the workers fill (default ${RUN_DEFAULTS.embeddingsDir})
    --images DIR          where workers download to (default ${RUN_DEFAULTS.imagesDir})
    --shard-size N        images per shard (default ${DEFAULT_SHARD_SIZE})
    --model NAME --dtype D  the collection's model (default ${RUN_DEFAULTS.model} ${RUN_DEFAULTS.dtype})
    --json                print the result as JSON

  Examples
    $ visual-cortex cluster submit --redis redis://10.0.0.5:6379 --provider urls --urls list.txt --embeddings /mnt/shared/emb --images /mnt/shared/img
    $ visual-cortex cluster status --redis redis://10.0.0.5:6379
`,
  flags: {
    redis: {type: 'string'},
    queue: {type: 'string', default: DEFAULT_QUEUE},
    embeddingsDir: embeddingsFlag(),
    imagesDir: imagesFlag(),
    shardSize: {type: 'number', default: DEFAULT_SHARD_SIZE},
    provider: downloadFlags.provider,
    // No default: picsum with --ids and the urls and local providers take their count from the source.
    count: {type: 'number'},
    width: downloadFlags.width,
    height: downloadFlags.height,
    workers: downloadFlags.workers,
    url: downloadFlags.url,
    urls: downloadFlags.urls,
    sourceDir: downloadFlags.sourceDir,
    ids: downloadFlags.ids,
    seed: downloadFlags.seed,
    model: modelFlags.model,
    dtype: modelFlags.dtype,
  },
  async run({input, flags, io, env}) {
    const [action, ...extra] = input;
    if (extra.length > 0)
      throw new UserError(`unexpected arguments: ${extra.join(' ')}`, "see 'visual-cortex cluster --help'");
    if (action !== 'submit' && action !== 'status' && action !== 'retry-failed') {
      throw new UserError(
        action === undefined ? 'cluster needs an action' : `unknown cluster action '${action}'`,
        'use: visual-cortex cluster submit | status | retry-failed',
      );
    }
    const address = redisUrlFrom(flags.redis, env);
    const onEvent = redisPrinter((line) => io.stderr.write(`${line}\n`));
    switch (action) {
      case 'submit': {
        if (!Number.isInteger(flags.workers) || flags.workers < 1 || flags.workers > 64)
          throw new UserError(
            `--workers must be a whole number from 1 to 64 (got ${flags.workers})`,
            'pass e.g. --workers 8',
          );
        const report = await submitShards({
          address,
          queue: flags.queue,
          embeddingsDir: flags.embeddingsDir,
          imagesDir: flags.imagesDir,
          model: flags.model,
          dtype: parseDtype(flags.dtype),
          downloadWorkers: flags.workers,
          shardSize: flags.shardSize,
          source: {
            provider: flags.provider,
            count: flags.count,
            width: flags.width,
            height: flags.height,
            url: flags.url,
            urls: flags.urls,
            sourceDir: flags.sourceDir,
            picsumIds: flags.ids === undefined ? undefined : parseIds(flags.ids),
            seed: flags.seed,
            picsumBaseUrl: env.VISUAL_CORTEX_PICSUM_URL || undefined,
          },
          onEvent,
        });
        if (flags.json) printJson(io, report);
        else printSubmit(io, report, redisHint(address));
        return EXIT.done;
      }
      case 'status': {
        if (!flags.json && io.stdout.isTTY && io.stdin.isTTY) {
          // The first read fails like the plain one (exit 2 with the fix); later ones keep the screen up.
          const first = await readClusterStatus({address, queue: flags.queue, onEvent});
          let reads = 0;
          const {showLiveClusterStatus} = await import('./cluster-status-live.js');
          return showLiveClusterStatus(io, async () =>
            reads++ === 0 ? first : readClusterStatus({address, queue: flags.queue}),
          );
        }
        const status = await readClusterStatus({address, queue: flags.queue, onEvent});
        if (flags.json) printJson(io, status);
        else printStatus(io, status);
        return EXIT.done;
      }
      case 'retry-failed': {
        const count = await retryFailedShards({address, queue: flags.queue, onEvent});
        if (flags.json) printJson(io, {queue: flags.queue, retried: count});
        else printLine(io, count === 0 ? 'no failed shards' : `${count} failed shard(s) back in the queue`);
        return EXIT.done;
      }
      default:
        throw new Error(`unreachable cluster action ${action}`);
    }
  },
});

/** The --redis value to show in hints: the URL itself unless it carries a password. */
function redisHint(address: RedisAddress): string {
  return /\/\/[^/@]*:[^/@]*@/.test(address.url) ? `"$${REDIS_URL_ENV}"` : address.url;
}
