/** The dashboard on its menu with only the services a test gives (plus the few every render needs). */
import {render} from 'ink-testing-library';
import {RUN_DEFAULTS} from '../../source/core/run/run-setup.js';
import {DashboardApp} from '../../source/ui/dashboard-app.js';
import type {DashboardServices} from '../../source/ui/dashboard-services.js';

export function renderMenuDashboard(services: Partial<DashboardServices>) {
  const all = {
    devices: [{device: 'cpu', available: true}],
    listModels: async () => [],
    listPresets: () => [],
    ...services,
  } as unknown as DashboardServices;
  return render(
    <DashboardApp
      services={all}
      initialSetup={RUN_DEFAULTS}
      initialScreen="menu"
      onExit={() => {}}
      onForceExit={() => {}}
    />,
  );
}
