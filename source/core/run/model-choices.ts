/** Which models the set-up screen offers (the registry's and those installed) and which dtypes are installed. */
import {listInstalledModels} from '../model/inventory.js';
import type {Dtype} from '../model/model-folder.js';
import {MODEL_REGISTRY} from '../model/registry.js';

export interface ModelInstallState {
  name: string;
  /** Installed state per dtype (vision graph present: enough to embed images). */
  installed: Partial<Record<Dtype, boolean>>;
}

export async function listModelInstallStates(modelsDir: string): Promise<ModelInstallState[]> {
  const inventory = await listInstalledModels(modelsDir);
  const byName = new Map<string, ModelInstallState>();
  for (const model of MODEL_REGISTRY) byName.set(model.name, {name: model.name, installed: {}});
  for (const model of inventory.installed) {
    const installed: Partial<Record<Dtype, boolean>> = {};
    for (const dtype of [...model.dtypes, ...model.visionOnlyDtypes]) installed[dtype] = true;
    byName.set(model.name, {name: model.name, installed});
  }
  return [...byName.values()];
}
