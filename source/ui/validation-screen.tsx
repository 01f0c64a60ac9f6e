/**
 * The validation screen: the five checks, each pending, running (spinner and progress), then passed, failed (with
 * the details that explain it) or skipped (with why), and the verdict. It only renders events: `run` starts the
 * core's validation (the dashboard passes e.g. `(control) => validateOutputs({...options, ...control})`).
 */
import {Box, Text} from 'ink';
import Spinner from 'ink-spinner';
import {useEffect, useReducer, useRef} from 'react';
import {isAbortError, isUserError} from '../core/errors.js';
import {
  type CheckId,
  type CheckResult,
  VALIDATION_CHECKS,
  type ValidationEvent,
  type ValidationReport,
} from '../core/validate/types.js';
import {useTerminalSize} from './terminal-size.js';

export interface CheckRow {
  id: CheckId;
  index: number;
  title: string;
  state: 'pending' | 'running' | CheckResult['status'];
  progress?: string;
  result?: CheckResult;
}

export interface ValidationViewState {
  checks: CheckRow[];
  report?: ValidationReport;
  error?: {message: string; hint?: string};
}

export type ValidationViewAction = ValidationEvent | {type: 'error'; message: string; hint?: string};

export function initialValidationState(): ValidationViewState {
  return {checks: VALIDATION_CHECKS.map((check) => ({...check, state: 'pending'}))};
}

export function reduceValidation(
  state: ValidationViewState,
  action: ValidationViewAction,
): ValidationViewState {
  const update = (id: CheckId, change: Partial<CheckRow>): ValidationViewState => ({
    ...state,
    checks: state.checks.map((row) => (row.id === id ? {...row, ...change} : row)),
  });
  switch (action.type) {
    case 'check-started':
      return update(action.check.id, {state: 'running'});
    case 'check-progress':
      return update(action.check.id, {progress: action.message});
    case 'check-passed':
    case 'check-failed':
    case 'check-skipped':
      return update(action.check.id, {
        state: action.result.status,
        result: action.result,
        progress: undefined,
      });
    case 'verdict':
      return {...state, report: action.report};
    case 'error':
      return {...state, error: {message: action.message, hint: action.hint}};
  }
}

export interface ValidationScreenProps {
  /**
   * Starts a validation run. Called once, when the screen mounts (remount it, e.g. with a new `key`, to run
   * again); the screen aborts the run when it unmounts.
   */
  run: (control: {
    signal: AbortSignal;
    onEvent: (event: ValidationEvent) => void;
  }) => Promise<ValidationReport>;
  onDone?: (report: ValidationReport) => void;
}

const DETAIL_STYLE = {
  ok: {mark: '✓', color: 'green'},
  fail: {mark: '✗', color: 'red'},
  note: {mark: '·', color: 'gray'},
  skip: {mark: '-', color: 'yellow'},
} as const;

/** A check's findings to show: failures and skips show what explains them, a pass only its notes. */
function shownDetails(row: CheckRow): CheckResult['details'] {
  const result = row.result;
  if (!result || row.state === 'pending' || row.state === 'running') return [];
  return result.details.filter((detail) => row.state !== 'passed' || detail.kind === 'note');
}

/**
 * Findings per check that fit the terminal: the rows left after the title, a line per check, the verdict and the
 * frame's key help, shared among the checks that have findings (at least one line each).
 */
function detailLimit(checks: readonly CheckRow[], rows: number): number {
  const withDetails = checks.filter((row) => shownDetails(row).length > 0).length;
  if (withDetails === 0) return 0;
  return Math.max(1, Math.floor((rows - checks.length - 8) / withDetails));
}

function CheckLine({row, total, limit}: {row: CheckRow; total: number; limit: number}) {
  const label = `${row.index}/${total} ${row.title}`;
  if (row.state === 'pending') return <Text dimColor>· {label}</Text>;
  if (row.state === 'running') {
    return (
      <Text wrap="truncate-end">
        <Text color="cyan">
          <Spinner type="dots" />
        </Text>{' '}
        {label}
        {row.progress ? <Text dimColor> {row.progress}</Text> : null}
      </Text>
    );
  }
  const result = row.result as CheckResult;
  const mark = {passed: ['✓', 'green'], failed: ['✗', 'red'], skipped: ['-', 'yellow']}[row.state];
  const details = shownDetails(row);
  // Past the limit the last line says how many are left out (`validate --json` lists every finding).
  const shown = details.length > limit ? details.slice(0, Math.max(0, limit - 1)) : details;
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text color={mark[1]}>{mark[0]}</Text> {label}{' '}
        <Text dimColor={row.state !== 'failed'}>
          {row.state === 'skipped' ? `skipped: ${result.summary}` : result.summary}
        </Text>
      </Text>
      {shown.map((detail, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a check's findings never reorder
        <Text key={index} wrap="truncate-end">
          {'    '}
          <Text color={DETAIL_STYLE[detail.kind].color}>{DETAIL_STYLE[detail.kind].mark}</Text>{' '}
          {detail.message}
        </Text>
      ))}
      {shown.length < details.length ? (
        <Text dimColor wrap="truncate-end">
          {'    '}… {details.length - shown.length} more (validate --json lists them all)
        </Text>
      ) : null}
    </Box>
  );
}

export function ValidationScreen({run, onDone}: ValidationScreenProps) {
  const [state, dispatch] = useReducer(reduceValidation, undefined, initialValidationState);
  // Latest props in refs: a parent that re-renders with new inline callbacks must not restart the run.
  const runRef = useRef(run);
  const onDoneRef = useRef(onDone);
  onDoneRef.current = onDone;
  useEffect(() => {
    const controller = new AbortController();
    const {signal} = controller;
    const onEvent = (event: ValidationEvent) => {
      if (!signal.aborted) dispatch(event);
    };
    runRef.current({signal, onEvent}).then(
      (report) => {
        if (!report.interrupted && !signal.aborted) onDoneRef.current?.(report);
      },
      (error: unknown) => {
        if (signal.aborted || isAbortError(error)) return;
        const message = error instanceof Error ? error.message : String(error);
        dispatch({type: 'error', message, hint: isUserError(error) ? error.hint : undefined});
      },
    );
    return () => controller.abort();
  }, []);

  const total = state.checks.length;
  const limit = detailLimit(state.checks, useTerminalSize().rows);
  return (
    <Box flexDirection="column">
      <Text bold>Validate</Text>
      {state.checks.map((row) => (
        <CheckLine key={row.id} row={row} total={total} limit={limit} />
      ))}
      {state.report && (
        <Box marginTop={1}>
          <Text bold color={state.report.passed ? 'green' : 'red'}>
            {state.report.passed
              ? `${state.report.passedCount}/${state.report.total} checks pass`
              : `${state.report.passedCount}/${state.report.total} checks pass: the outputs need attention`}
          </Text>
        </Box>
      )}
      {state.error && (
        <Box marginTop={1} flexDirection="column">
          <Text color="red">error: {state.error.message}</Text>
          {state.error.hint && <Text> fix: {state.error.hint}</Text>}
        </Box>
      )}
    </Box>
  );
}
