/**
 * The dashboard: menu → set-up → run → summary, plus the validation, search, duplicates and cluster screens when
 * they are provided.
 * Everything that does work arrives as a service from the command layer; this component only routes intent.
 */

import {Text, useInput} from 'ink';
import {useEffect, useRef, useState} from 'react';
import {exitCodeFor} from '../core/exit-codes.js';
import type {Preset} from '../core/presets/preset-store.js';
import type {RunReport} from '../core/run/run-pipeline.js';
import type {RunSetup} from '../core/run/run-setup.js';
import {endedShort} from '../core/run/shortfall.js';
import {ClusterStatusScreen} from './cluster-status-screen.js';
import {type DashboardServices, describeError, readPresets} from './dashboard-services.js';
import {DuplicatesFrame} from './duplicates-screen.js';
import {createEventStore} from './event-store.js';
import {type ActiveRun, LiveRun} from './live-run.js';
import {Menu} from './menu.js';
import {reducePull, startPull} from './pull-progress.js';
import {initialRunViewState, reduceRunView} from './run-view-state.js';
import {BackFrame, SearchFrame} from './screen-frames.js';
import type {ModelChoice} from './setup-form.js';
import {type PullView, SetupScreen} from './setup-screen.js';
import {type SummaryAction, SummaryScreen} from './summary-screen.js';
import {ValidationScreen} from './validation-screen.js';

export type DashboardScreen =
  | 'menu'
  | 'setup'
  | 'run'
  | 'summary'
  | 'validate'
  | 'search'
  | 'duplicates'
  | 'cluster';

export interface DashboardAppProps {
  services: DashboardServices;
  initialSetup: RunSetup;
  initialScreen: 'menu' | 'setup' | 'run';
  /** The app is finished; the owner unmounts and uses the exit code. */
  onExit: (code: number) => void;
  /** Second Ctrl+C during a run: the owner restores the terminal and quits at once. */
  onForceExit: () => void;
  /** Render rate of the run screen. */
  renderIntervalMs?: number;
}

export function DashboardApp(props: DashboardAppProps) {
  const {services} = props;
  const [screen, setScreen] = useState<DashboardScreen>(props.initialScreen);
  const [setup, setSetup] = useState<RunSetup>(props.initialSetup);
  const [models, setModels] = useState<ModelChoice[]>([]);
  const [presets, setPresets] = useState<Preset[] | {error: string}>(() => readPresets(services));
  const [pull, setPull] = useState<PullView | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [run, setRun] = useState<ActiveRun | null>(null);
  const [report, setReport] = useState<RunReport | null>(null);
  const interrupts = useRef(0);

  const refreshModels = () => {
    services.listModels().then(setModels, (error: unknown) => setMessage(describeError(error)));
  };
  // biome-ignore lint/correctness/useExhaustiveDependencies: load once at mount
  useEffect(refreshModels, []);

  const start = (next: RunSetup) => {
    setSetup(next);
    setMessage(null);
    const active: ActiveRun = {
      store: createEventStore(reduceRunView, initialRunViewState),
      controller: new AbortController(),
    };
    interrupts.current = 0;
    setRun(active);
    setScreen('run');
    services.startRun(next, active.controller.signal, active.store.dispatch).then(
      (finished) => {
        setReport(finished);
        setScreen('summary');
      },
      (error: unknown) => {
        setMessage(describeError(error));
        setScreen('setup');
      },
    );
  };
  // biome-ignore lint/correctness/useExhaustiveDependencies: start once when launched straight into a run
  useEffect(() => {
    if (props.initialScreen === 'run') start(props.initialSetup);
  }, []);

  const onInterrupt = () => {
    interrupts.current++;
    if (interrupts.current === 1) run?.controller.abort();
    else props.onForceExit();
  };

  useInput(
    (input, key) => {
      if (key.ctrl && input === 'c') props.onExit(0);
    },
    {isActive: screen === 'menu' || screen === 'setup'},
  );

  const back = () => setScreen(report ? 'summary' : 'menu');
  const onSummary = (action: SummaryAction) => {
    if (action === 'quit')
      props.onExit(
        exitCodeFor({interrupted: Boolean(report?.interrupted), complete: !endedShort(report?.download)}),
      );
    else if (action === 'again') start(setup);
    else if (action === 'setup') setScreen('setup');
    else setScreen(action);
  };

  if (screen === 'menu')
    return (
      <Menu
        items={[
          ['setup', 'New run (set-up)'],
          ...(services.validate ? [['validate', 'Validate outputs'] as const] : []),
          ...(services.openSearch ? [['search', 'Search embeddings'] as const] : []),
          ...(services.openDuplicates ? [['duplicates', 'Find duplicates'] as const] : []),
          ...(services.readClusterStatus ? [['cluster', 'Cluster status'] as const] : []),
          ['quit', 'Quit'],
        ]}
        onChoose={(item) => (item === 'quit' ? props.onExit(0) : setScreen(item as DashboardScreen))}
      />
    );
  if (screen === 'setup')
    return (
      <SetupScreen
        initial={setup}
        devices={services.devices}
        models={models}
        presets={presets}
        pull={pull}
        message={message}
        onStart={start}
        onBack={() => setScreen('menu')}
        onPull={(model, dtype) => {
          let tracker = startPull(model, dtype);
          setPull(tracker.view);
          services
            .pullModel(model, dtype, (event) => {
              tracker = reducePull(tracker, event);
              setPull(tracker.view);
            })
            .then(
              () => {
                setPull({model, dtype, fraction: 1, state: 'done'});
                refreshModels();
              },
              (error: unknown) =>
                setPull({model, dtype, fraction: null, state: 'failed', message: describeError(error)}),
            );
        }}
        onSavePreset={(name, values) => {
          try {
            services.savePreset(name, values);
            setMessage(`saved preset '${name}'`);
          } catch (error) {
            setMessage(describeError(error));
          }
          setPresets(readPresets(services));
        }}
        onDeletePreset={(name) => {
          try {
            services.deletePreset(name);
            setMessage(`deleted preset '${name}'`);
          } catch (error) {
            setMessage(describeError(error));
          }
          setPresets(readPresets(services));
        }}
      />
    );
  if (screen === 'run' && run)
    return <LiveRun store={run.store} onInterrupt={onInterrupt} intervalMs={props.renderIntervalMs} />;
  if (screen === 'summary' && report)
    return (
      <SummaryScreen
        report={report}
        actions={[
          ...(services.validate && report.outputFiles.length > 0 ? (['validate'] as const) : []),
          ...(services.openSearch && report.outputFiles.length > 0 ? (['search'] as const) : []),
          'again',
          'setup',
          'quit',
        ]}
        onAction={onSummary}
      />
    );
  const {validate, openSearch} = services;
  if (screen === 'validate' && validate)
    return (
      <BackFrame onBack={back}>
        <ValidationScreen run={(control) => validate(setup.embeddingsDir, control)} />
      </BackFrame>
    );
  if (screen === 'search' && openSearch)
    return <SearchFrame open={() => openSearch(setup.embeddingsDir)} onBack={back} />;
  if (screen === 'duplicates' && services.openDuplicates)
    return (
      <DuplicatesFrame embeddingsDir={setup.embeddingsDir} open={services.openDuplicates} onBack={back} />
    );
  if (screen === 'cluster' && services.readClusterStatus)
    return <ClusterStatusScreen read={services.readClusterStatus} onQuit={back} />;
  return <Text>…</Text>;
}
