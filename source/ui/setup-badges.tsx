/** Small read-only parts of the set-up screen: the model's installed state and the unavailable devices. */
import {Box, Text} from 'ink';
import type {DeviceAvailability} from '../core/runtime/onnx.js';
import {type FormValues, type ModelChoice, modelState} from './setup-form.js';

export interface PullView {
  model: string;
  dtype: string;
  /** 0..1, or null while the size is unknown. */
  fraction: number | null;
  state: 'pulling' | 'done' | 'failed';
  message?: string;
}

export function ModelBadge({
  values,
  models,
  pull,
}: {
  values: FormValues;
  models: readonly ModelChoice[];
  pull?: PullView | null;
}) {
  if (pull && pull.model === values.model && pull.dtype === values.dtype && pull.state !== 'done') {
    const percent = pull.fraction === null ? '' : ` ${Math.round(pull.fraction * 100)}%`;
    return (
      <Text color={pull.state === 'failed' ? 'red' : 'yellow'}>
        {' '}
        {pull.state === 'failed' ? `pull failed: ${pull.message ?? ''}` : `pulling${percent}`}
      </Text>
    );
  }
  const state = modelState(values, models);
  if (state === 'installed') return <Text color="green"> ✓ installed</Text>;
  if (state === 'missing') return <Text color="yellow"> missing (choose Pull model)</Text>;
  if (state === 'path') return <Text dimColor> folder</Text>;
  return <Text dimColor> (not in the registry)</Text>;
}

export function DeviceNotes({devices}: {devices: readonly DeviceAvailability[]}) {
  return (
    <Box flexDirection="column" marginLeft={4}>
      {devices
        .filter((entry) => !entry.available)
        .map((entry) => (
          <Text key={entry.device} dimColor wrap="truncate-end">
            {entry.device}: unavailable, {entry.reason ?? 'not supported here'}
          </Text>
        ))}
    </Box>
  );
}
