import {Box, Text, useInput} from 'ink';
import {useRef, useState} from 'react';
import type {Preset} from '../core/presets/preset-store.js';
import {presetNameProblem} from '../core/presets/preset-store.js';
import {type RunSetup, runSetupFromFlags} from '../core/run/run-setup.js';
import type {DeviceAvailability} from '../core/runtime/onnx.js';
import {DeviceNotes, ModelBadge, type PullView} from './setup-badges.js';
import {
  cycleOption,
  FIELD_LABELS,
  type FormValues,
  fieldProblems,
  formToSetup,
  type ModelChoice,
  SELECT_FIELDS,
  type SetupAction,
  setupRows,
  setupToForm,
} from './setup-form.js';
import {useTerminalSize} from './terminal-size.js';
import {TextField} from './text-field.js';

export type {PullView} from './setup-badges.js';

export interface SetupScreenProps {
  initial: RunSetup;
  devices: readonly DeviceAvailability[];
  models: readonly ModelChoice[];
  /** Saved presets, or the message that explains why they cannot be read (a corrupt file). */
  presets: readonly Preset[] | {error: string};
  pull?: PullView | null;
  /** A one-line status from the owner (e.g. "saved preset 'x'"). */
  message?: string | null;
  onStart: (setup: RunSetup) => void;
  onPull: (model: string, dtype: string) => void;
  onSavePreset: (name: string, setup: RunSetup) => void;
  onDeletePreset: (name: string) => void;
  onBack?: () => void;
}

type Mode =
  | {kind: 'form'}
  | {kind: 'save'; name: string}
  | {kind: 'pick'; purpose: 'load' | 'delete'; index: number};

const ACTION_LABELS: Record<SetupAction, string> = {
  start: '▶ Start run',
  pull: '⇣ Pull model',
  save: 'Save as preset…',
  load: 'Load preset…',
  delete: 'Delete preset…',
};

export function SetupScreen(props: SetupScreenProps) {
  const terminal = useTerminalSize();
  const [values, setValues] = useState<FormValues>(() => setupToForm(props.initial));
  const [focus, setFocusState] = useState(0);
  // The handler reads the focus from a ref: several keys can arrive before the next render.
  const focusRef = useRef(0);
  const setFocus = (next: (current: number) => number) => {
    focusRef.current = next(focusRef.current);
    setFocusState(focusRef.current);
  };
  const [mode, setMode] = useState<Mode>({kind: 'form'});
  const modeRef = useRef(mode);
  modeRef.current = mode;
  const [attempted, setAttempted] = useState(false);
  const [localMessage, setLocalMessage] = useState<string | null>(null);
  // The owner's message (e.g. why the last start failed) is about the values as they were: an edit dismisses it.
  const [dismissed, setDismissed] = useState<string | null>(null);
  const edit = (update: (current: FormValues) => FormValues) => {
    setValues(update);
    setLocalMessage(null);
    setDismissed(props.message ?? null);
  };
  const rows = setupRows(values, props.models);
  const focusIndex = Math.min(focus, rows.length - 1);
  const focusedRow = () => rows[Math.min(focusRef.current, rows.length - 1)];
  const row = rows[focusIndex];
  const problems = fieldProblems(values);
  const presetList = Array.isArray(props.presets) ? (props.presets as readonly Preset[]) : [];
  const presetError = Array.isArray(props.presets) ? null : (props.presets as {error: string}).error;

  const runAction = (action: SetupAction) => {
    setLocalMessage(null);
    if (action === 'start') {
      setAttempted(true);
      if (Object.keys(problems).length === 0) props.onStart(formToSetup(values));
      else setLocalMessage('fix the fields marked in red first');
    } else if (action === 'pull') props.onPull(values.model, values.dtype);
    else if (action === 'save') setMode({kind: 'save', name: ''});
    else if (presetError) setLocalMessage(presetError);
    else if (presetList.length === 0) setLocalMessage('no saved presets yet');
    else setMode({kind: 'pick', purpose: action, index: 0});
  };

  useInput((_input, key) => {
    if (mode.kind === 'save') {
      if (key.escape) setMode({kind: 'form'});
      return;
    }
    if (mode.kind === 'pick') {
      if (key.escape) setMode({kind: 'form'});
      else if (key.upArrow) setMode((m) => (m.kind === 'pick' ? {...m, index: Math.max(0, m.index - 1)} : m));
      else if (key.downArrow)
        setMode((m) => (m.kind === 'pick' ? {...m, index: Math.min(presetList.length - 1, m.index + 1)} : m));
      else if (key.return) {
        const preset = presetList[mode.index];
        setMode({kind: 'form'});
        if (!preset) return;
        if (mode.purpose === 'load') {
          setValues(setupToForm(runSetupFromFlags(preset.values)));
          setLocalMessage(`loaded preset '${preset.name}'`);
        } else props.onDeletePreset(preset.name);
      }
      return;
    }
    if (key.escape) return props.onBack?.();
    // Functional updates: several keys can arrive before the next render.
    if (key.upArrow) return setFocus((f) => Math.max(0, Math.min(f, rows.length - 1) - 1));
    if (key.downArrow) return setFocus((f) => Math.min(rows.length - 1, f + 1));
    const current = focusedRow();
    if (!current) return;
    if (current.kind === 'action') {
      if (key.return) runAction(current.action);
      return;
    }
    if (key.return) return setFocus((f) => Math.min(rows.length - 1, f + 1));
    const context = {devices: props.devices, models: props.models};
    if (SELECT_FIELDS.has(current.field) && (key.leftArrow || key.rightArrow))
      edit((v) => cycleOption(v, current.field, key.leftArrow ? -1 : 1, context));
    else if (current.field === 'model' && key.tab) edit((v) => cycleOption(v, 'model', 1, context));
  });

  const ownerMessage = props.message && props.message !== dismissed ? props.message : null;
  const message = localMessage ?? ownerMessage;
  // A short terminal shows the rows around the focus: a frame taller than the terminal scrolls its top away.
  const below =
    (row?.kind === 'field' && row.field === 'device'
      ? props.devices.filter((entry) => !entry.available).length
      : 0) +
    (row?.kind === 'field' && row.field === 'model' && props.models.length > 0 ? 1 : 0) +
    (message ? 1 : 0) +
    (mode.kind === 'save' ? 1 : 0) +
    (mode.kind === 'pick' ? 1 + presetList.length : 0);
  const budget = Math.max(3, terminal.rows - 3 - below);
  const first = Math.max(0, Math.min(focusIndex - Math.floor(budget / 2), rows.length - budget));
  return (
    <Box flexDirection="column">
      <Text bold>Set-up</Text>
      <Text dimColor>↑↓ move · ←→ choose · type to edit · Enter next/confirm · Esc back</Text>
      {rows.slice(first, first + budget).map((entry, shownIndex) => {
        const index = first + shownIndex;
        const focused = index === focusIndex && mode.kind === 'form';
        if (entry.kind === 'action')
          return (
            <Text key={entry.action} color={focused ? 'cyan' : undefined} bold={focused}>
              {focused ? '› ' : '  '}
              {ACTION_LABELS[entry.action]}
              {entry.action === 'pull' ? ` ${values.model} ${values.dtype}` : ''}
            </Text>
          );
        const field = entry.field;
        const problem = problems[field];
        const showProblem = problem !== undefined && (attempted || focused || values[field] !== '');
        return (
          <Box key={field}>
            <Text color={focused ? 'cyan' : undefined}>
              {focused ? '› ' : '  '}
              {FIELD_LABELS[field].padEnd(24)}
            </Text>
            {SELECT_FIELDS.has(field) ? (
              <Text>{focused ? `‹ ${values[field]} ›` : values[field]}</Text>
            ) : (
              <TextField
                value={values[field]}
                focus={focused}
                isFocused={() => {
                  const live = focusedRow();
                  return modeRef.current.kind === 'form' && live?.kind === 'field' && live.field === field;
                }}
                showCursor={focused}
                onChange={(value) => edit((v) => ({...v, [field]: value}))}
              />
            )}
            {field === 'model' && <ModelBadge values={values} models={props.models} pull={props.pull} />}
            {showProblem && <Text color="red"> ✗ {problem}</Text>}
          </Box>
        );
      })}
      {row?.kind === 'field' && row.field === 'device' && <DeviceNotes devices={props.devices} />}
      {row?.kind === 'field' && row.field === 'model' && props.models.length > 0 && (
        <Text dimColor wrap="truncate-end">
          {'  '}Tab cycles known models: {props.models.map((entry) => entry.name).join(', ')} (or type a path)
        </Text>
      )}
      {mode.kind === 'save' && (
        <Box>
          <Text>Preset name: </Text>
          <TextField
            value={mode.name}
            onChange={(name) => setMode({kind: 'save', name})}
            onSubmit={(name) => {
              const problem = presetNameProblem(name);
              if (problem) return setLocalMessage(`invalid name: ${problem}`);
              setMode({kind: 'form'});
              props.onSavePreset(name, formToSetup(values));
            }}
          />
        </Box>
      )}
      {mode.kind === 'pick' && (
        <Box flexDirection="column">
          <Text bold>{mode.purpose === 'load' ? 'Load' : 'Delete'} which preset? (Enter, Esc cancels)</Text>
          {presetList.map((preset, index) => (
            <Text key={preset.name} color={index === mode.index ? 'cyan' : undefined}>
              {index === mode.index ? '› ' : '  '}
              {preset.name}
            </Text>
          ))}
        </Box>
      )}
      {message && (
        <Text color="yellow" wrap="truncate-end">
          {message}
        </Text>
      )}
    </Box>
  );
}
