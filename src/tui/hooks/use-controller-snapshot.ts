/** Subscribes a component to the controller's snapshot (an external store). */
import { useSyncExternalStore } from 'react';
import type { AppController, Snapshot } from '../app-controller.js';

export function useControllerSnapshot(controller: AppController): Snapshot {
  return useSyncExternalStore(controller.subscribe, controller.getSnapshot);
}
