/**
 * The duplicates screen: the groups a scan found, largest first (↑/↓, Enter opens one), each member marked keep or
 * move (k/m; the keep rule's choice at first), and `a` to move the marked files after a y/n confirmation. It knows
 * nothing of collections: the owner passes `scan` and `apply`.
 */
import {Box, Text, useInput} from 'ink';
import {useEffect, useMemo, useReducer, useRef, useState} from 'react';
import {defaultMoveTo} from '../core/duplicates/move-plan.js';
import type {ScanView} from '../core/duplicates/scan-view.js';
import type {DuplicatesSession} from '../core/duplicates/session.js';
import {formatBytes, shorten} from './format.js';
import {BusyLine, type Failure, FailureLines, failureOf} from './status-lines.js';

export interface DuplicatesScreenProps {
  scan: () => Promise<ScanView>;
  /** Moves every member not in `keep` out of the images folder; resolves to lines that say what happened. */
  apply: (keep: ReadonlySet<number>) => Promise<string[]>;
  /** Where the files would go, for the confirmation (default: beside the images folder). */
  moveTo?: string;
  onBack?: () => void;
  width?: number;
  /** Groups or members listed at once. */
  rows?: number;
}

type State =
  | {type: 'scanning'}
  | ({type: 'failed'} & Failure)
  | {type: 'ready'; view: ScanView}
  | {type: 'applying'; view: ScanView}
  | {type: 'applied'; lines: string[]};

const visible = <T,>(items: readonly T[], cursor: number, rows: number) => {
  const start = Math.max(0, Math.min(cursor - Math.floor(rows / 2), items.length - rows));
  return {start, shown: items.slice(start, start + rows)};
};

export function DuplicatesScreen(props: DuplicatesScreenProps) {
  const width = props.width ?? 80;
  const rows = props.rows ?? 12;
  const [state, setState] = useState<State>({type: 'scanning'});
  const stateRef = useRef<State>(state);
  // Keys are read against refs, not render-time values: two keys typed before a redraw still see each other.
  const ui = useRef({keep: new Set<number>(), cursor: 0, open: undefined as number | undefined, member: 0});
  const [confirming, setConfirming] = useState(false);
  const confirmingRef = useRef(false);
  const [message, setMessage] = useState('');
  const [, redraw] = useReducer((count: number) => count + 1, 0);
  const {keep, cursor, open, member} = ui.current;

  // biome-ignore lint/correctness/useExhaustiveDependencies: one scan, on mount
  useEffect(() => {
    props.scan().then(
      (view) => {
        ui.current.keep = new Set(
          view.groups.flatMap((g) => g.members.filter((m) => m.action === 'keep').map((m) => m.row)),
        );
        stateRef.current = {type: 'ready', view};
        setState(stateRef.current);
      },
      (error: unknown) => setState({type: 'failed', ...failureOf(error)}),
    );
  }, []);
  const movingIn = (view: ScanView, marks: ReadonlySet<number>) =>
    view.groups.flatMap((group) =>
      group.members.some((m) => marks.has(m.row)) ? group.members.filter((m) => !marks.has(m.row)) : [],
    );
  const toMove = state.type === 'ready' || state.type === 'applying' ? movingIn(state.view, keep) : [];

  const confirm = (value: boolean) => {
    confirmingRef.current = value;
    setConfirming(value);
  };

  useInput((input, key) => {
    const current = stateRef.current;
    if (current.type !== 'ready') {
      if (key.escape) props.onBack?.();
      return;
    }
    const {groups} = current.view;
    const at = ui.current;
    if (confirmingRef.current) {
      confirm(false);
      if (input !== 'y') return setMessage('nothing moved');
      stateRef.current = {type: 'applying', view: current.view};
      setState(stateRef.current);
      props.apply(at.keep).then(
        (lines) => setState({type: 'applied', lines}),
        (error: unknown) => setState({type: 'failed', ...failureOf(error)}),
      );
      return;
    }
    setMessage('');
    if (key.escape) {
      if (at.open === undefined) props.onBack?.();
      else at.open = undefined;
    } else if (input === 'a') {
      if (movingIn(current.view, at.keep).length === 0) setMessage('nothing is marked to move');
      else confirm(true);
    } else if (at.open === undefined) {
      if (key.upArrow) at.cursor = Math.max(0, at.cursor - 1);
      if (key.downArrow) at.cursor = Math.min(groups.length - 1, at.cursor + 1);
      if (key.return && groups.length > 0) {
        at.open = at.cursor;
        at.member = 0;
      }
    } else {
      const members = groups[at.open]!.members;
      if (key.upArrow) at.member = Math.max(0, at.member - 1);
      if (key.downArrow) at.member = Math.min(members.length - 1, at.member + 1);
      const row = members[at.member]!.row;
      if (input === 'k') at.keep = new Set(at.keep).add(row);
      if (input === 'm') {
        if (!members.some((m) => at.keep.has(m.row) && m.row !== row))
          setMessage('a group keeps at least one file: mark another one k first');
        else {
          at.keep = new Set(at.keep);
          at.keep.delete(row);
        }
      }
    }
    redraw();
  });

  if (state.type === 'scanning') return <BusyLine>finding duplicates…</BusyLine>;
  if (state.type === 'failed')
    return (
      <FailureLines failure={state}>
        <Text dimColor>Esc: back</Text>
      </FailureLines>
    );
  if (state.type === 'applying') return <Text color="cyan">moving {toMove.length} files…</Text>;
  if (state.type === 'applied')
    return (
      <Box flexDirection="column">
        {state.lines.map((line) => (
          <Text key={line}>{line}</Text>
        ))}
        <Text dimColor>Esc: back</Text>
      </Box>
    );

  const {groups} = state.view;
  const bytes = toMove.reduce((sum, m) => sum + m.bytes, 0);
  return (
    <Box flexDirection="column">
      <Text bold>Duplicates</Text>
      <Text dimColor>
        {groups.length} groups among {state.view.rows} images · {toMove.length} marked to move (
        {formatBytes(bytes)}) · {state.view.method}
      </Text>
      <Box marginTop={1} flexDirection="column">
        {open === undefined ? (
          groups.length === 0 ? (
            <Text dimColor>No duplicates found.</Text>
          ) : (
            visible(groups, cursor, rows).shown.map((group, index) => {
              const at = visible(groups, cursor, rows).start + index;
              const moving = group.members.filter((m) => !keep.has(m.row)).length;
              const kept = group.members.find((m) => keep.has(m.row));
              return (
                <Text key={at} inverse={at === cursor}>
                  {at === cursor ? '›' : ' '} {String(at + 1).padStart(3)} {group.kind.padEnd(5)}{' '}
                  {String(group.members.length).padStart(3)} files · keep{' '}
                  {shorten(kept?.file ?? '(none)', Math.max(10, width - 40))} · move {moving}
                </Text>
              );
            })
          )
        ) : (
          visible(groups[open]!.members, member, rows).shown.map((m, index) => {
            const at = visible(groups[open]!.members, member, rows).start + index;
            const mark = keep.has(m.row) ? 'keep' : 'move';
            const size = m.missing ?? `${m.width}x${m.height}`;
            return (
              <Text key={m.row} inverse={at === member}>
                {at === member ? '›' : ' '} <Text color={mark === 'keep' ? 'green' : 'yellow'}>[{mark}]</Text>{' '}
                {shorten(m.file, Math.max(10, width - 40)).padEnd(
                  Math.max(10, Math.min(m.file.length, width - 40)),
                )}{' '}
                {size.padStart(10)} {formatBytes(m.bytes).padStart(8)}
                {m.phashDistance !== undefined && m.kind !== 'representative'
                  ? ` ${m.phashDistance} bits`
                  : ''}
                {m.clipScore !== undefined && m.kind !== 'representative'
                  ? ` cos ${m.clipScore.toFixed(3)}`
                  : ''}
              </Text>
            );
          })
        )}
      </Box>
      {confirming ? (
        <Text color="yellow">
          Move {toMove.length} files ({formatBytes(bytes)}) to{' '}
          {props.moveTo ?? defaultMoveTo(state.view.imagesDir)}? y/n
        </Text>
      ) : message ? (
        <Text dimColor>{message}</Text>
      ) : null}
      <Box marginTop={1}>
        <Text dimColor>
          {open === undefined
            ? '↑/↓: choose · Enter: open group · a: apply · Esc: back'
            : '↑/↓: choose · k: keep · m: move · a: apply · Esc: groups'}
        </Text>
      </Box>
    </Box>
  );
}

/** The screen over a collection; `open` (the dashboard's service) starts the engine when the screen opens. */
export function DuplicatesFrame({
  embeddingsDir,
  open,
  onBack,
}: {
  embeddingsDir: string;
  open: (embeddingsDir: string) => DuplicatesSession | Promise<DuplicatesSession>;
  onBack: () => void;
}) {
  // biome-ignore lint/correctness/useExhaustiveDependencies: one session per folder
  const session = useMemo(async () => open(embeddingsDir), [embeddingsDir]);
  return (
    <DuplicatesScreen
      scan={async () => (await session).scan()}
      apply={async (keep) => (await session).apply(keep)}
      onBack={onBack}
    />
  );
}
