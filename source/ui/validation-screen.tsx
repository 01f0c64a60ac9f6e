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

function CheckLine({row, total}: {row: CheckRow; total: number}) {
  const label = `${row.index}/${total} ${row.title}`;
  if (row.state === 'pending') return <Text dimColor>· {label}</Text>;
  if (row.state === 'running') {
    return (
      <Text>
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
  // A pass shows only its notes; a failure or skip shows every finding that explains it.
  const details = result.details.filter((detail) => row.state !== 'passed' || detail.kind === 'note');
  return (
    <Box flexDirection="column">
      <Text>
        <Text color={mark[1]}>{mark[0]}</Text> {label}{' '}
        <Text dimColor={row.state !== 'failed'}>
          {row.state === 'skipped' ? `skipped: ${result.summary}` : result.summary}
        </Text>
      </Text>
      {details.map((detail, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a check's findings never reorder
        <Text key={index}>
          {'    '}
          <Text color={DETAIL_STYLE[detail.kind].color}>{DETAIL_STYLE[detail.kind].mark}</Text>{' '}
          {detail.message}
        </Text>
      ))}
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
  return (
    <Box flexDirection="column">
      <Text bold>Validate</Text>
      {state.checks.map((row) => (
        <CheckLine key={row.id} row={row} total={total} />
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
