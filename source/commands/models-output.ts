import type {InstalledModel, ModelsInventory, VerificationState} from '../core/model/inventory.js';
import type {PullEvent, PullResult} from '../core/model/pull-types.js';
import {MODEL_REGISTRY} from '../core/model/registry.js';
import type {VerifyEvent} from '../core/model/verify.js';
import type {Io} from './command.js';
import {formatBytes, printLine} from './output.js';

const VERIFICATION_TEXT: Record<VerificationState, string> = {
  'hub-checksums': 'verified against the Hub checksums',
  'local-checksums': 'checksums recorded (some files had none from the Hub)',
  failed: 'DAMAGED at last verify (run models pull to repair)',
  unverified: 'unverified (no manifest: placed by hand)',
};

/** Registry and installed models, as `models list --json` prints them. */
export function inventoryJson(inventory: ModelsInventory) {
  return {
    modelsDir: inventory.modelsDir,
    registry: MODEL_REGISTRY.map((model) => ({
      name: model.name,
      repo: model.repo,
      embeddingDim: model.embeddingDim,
      approxBytes: Object.fromEntries(
        Object.entries(model.approxBytes).map(([dtype, sizes]) => [
          dtype,
          {...sizes, total: sizes.vision + sizes.text},
        ]),
      ),
      installedDtypes: inventory.installed.find((installed) => installed.name === model.name)?.dtypes ?? [],
    })),
    installed: inventory.installed,
    interrupted: inventory.interrupted,
  };
}

export function printInventory(io: Io, inventory: ModelsInventory): void {
  printLine(io, `models directory: ${inventory.modelsDir}`);
  printLine(io);
  printLine(io, 'Known models (download sizes are approximate: vision + text graph per dtype)');
  for (const model of MODEL_REGISTRY) {
    const sizes = Object.entries(model.approxBytes)
      .map(([dtype, size]) => `${dtype} ~${formatBytes(size.vision + size.text)}`)
      .join('  ');
    const installed = inventory.installed.find((entry) => entry.name === model.name);
    const state = installed ? `installed: ${installed.dtypes.join(', ') || 'incomplete'}` : 'not installed';
    printLine(
      io,
      `  ${model.name.padEnd(9)} ${model.repo.padEnd(30)} ${model.embeddingDim}-d  ${sizes}  ${state}`,
    );
  }
  printLine(io);
  if (inventory.installed.length === 0)
    printLine(io, "Installed: none (run 'visual-cortex models pull ViT-B-32')");
  else {
    printLine(io, 'Installed');
    for (const model of inventory.installed) printLine(io, `  ${describeInstalled(model)}`);
  }
  if (inventory.interrupted.length > 0) {
    printLine(io);
    printLine(
      io,
      `Interrupted pulls (run 'models pull NAME' again to resume): ${inventory.interrupted.join(', ')}`,
    );
  }
}

function describeInstalled(model: InstalledModel): string {
  const dtypes = [...model.dtypes, ...model.visionOnlyDtypes.map((dtype) => `${dtype} (vision only)`)];
  const source = model.repo ? ` ${model.repo}@${model.commit?.slice(0, 7) ?? model.revision}` : '';
  return `${model.name.padEnd(9)} ${(dtypes.join(', ') || 'no graphs').padEnd(12)} ${formatBytes(model.bytes).padStart(8)}  ${VERIFICATION_TEXT[model.verification]}${source}`;
}

/** Pull progress on stderr: a rewritten line per file on a terminal, one line per finished file otherwise. */
export function pullProgressPrinter(io: Io): (event: PullEvent) => void {
  const tty = Boolean(io.stderr.isTTY);
  const clear = tty ? '\r\x1b[2K' : '';
  return (event) => {
    switch (event.type) {
      case 'pull-start': {
        const approx = event.approxBytes ? `, about ${formatBytes(event.approxBytes)}` : '';
        io.stderr.write(
          `pulling ${event.repo}@${event.revision} (${event.dtypes.join(', ')}${approx}) into ${event.dir}\n`,
        );
        break;
      }
      case 'file-progress':
        if (tty) {
          const total = event.totalBytes ? ` / ${formatBytes(event.totalBytes)}` : '';
          const eta = event.etaSeconds !== null ? `  ETA ${Math.ceil(event.etaSeconds)} s` : '';
          io.stderr.write(
            `${clear}  ${event.path}  ${formatBytes(event.bytes)}${total}  ${formatBytes(event.bytesPerSecond)}/s${eta}`,
          );
        }
        break;
      case 'file-retry':
        io.stderr.write(
          `${clear}  ${event.path}: ${event.reason}; retrying in ${event.delayMs} ms (attempt ${event.attempt})\n`,
        );
        break;
      case 'file-done': {
        const how = event.reused ? 'already here' : checkedText(event.file.checkedAgainst);
        io.stderr.write(`${clear}  ok ${event.path}  ${formatBytes(event.file.size)}  ${how}\n`);
        break;
      }
      case 'file-absent':
        io.stderr.write(`${clear}  -- ${event.path} (optional, not in the repo)\n`);
        break;
      default:
        break;
    }
  };
}

function checkedText(source: 'hub-sha256' | 'hub-git-sha1' | 'none'): string {
  if (source === 'hub-sha256') return 'sha256 matches the Hub';
  if (source === 'hub-git-sha1') return 'git checksum matches the Hub';
  return 'no checksum from the Hub (sha256 recorded)';
}

export function printPullResult(io: Io, result: PullResult): void {
  const {manifest} = result;
  if (manifest === null) return;
  const bytes = manifest.files.reduce((sum, file) => sum + file.size, 0);
  const commit = manifest.commit ? ` (commit ${manifest.commit.slice(0, 7)})` : '';
  printLine(
    io,
    result.alreadyInstalled
      ? `${result.name} is already installed in ${result.dir}: ${manifest.dtypes.join(', ')}`
      : `installed ${result.name} from ${manifest.repo}@${manifest.revision}${commit} in ${result.dir}: ` +
          `${manifest.dtypes.join(', ')}, ${manifest.files.length} files, ${formatBytes(bytes)}`,
  );
}

/** Verify: what it checks on stderr, each file's result on stdout as it is known. */
export function verifyProgressPrinter(io: Io): (event: VerifyEvent) => void {
  return (event) => {
    if (event.type === 'verify-start') {
      io.stderr.write(`verifying ${event.files} files (${formatBytes(event.totalBytes)}) in ${event.dir}\n`);
      return;
    }
    const {result} = event;
    const detail =
      result.status === 'ok'
        ? ''
        : result.status === 'missing'
          ? ' (file is gone)'
          : ` (expected ${result.expectedSize} bytes sha256 ${result.expectedSha256}, found ${result.actualSize} bytes sha256 ${result.actualSha256}; moved to ${result.quarantinedAs} so it is never used)`;
    printLine(io, `  ${result.status === 'ok' ? 'ok' : result.status.toUpperCase()} ${result.path}${detail}`);
  };
}
