/**
 * Every action kind cutover knows. One import per action file; the schema,
 * validation, `plan`, docs and JSON Schema are all derived from this list.
 */
import type { ActionDefinition } from "../core/action.js";

// Generic actions (foundation).
import { exec } from "./exec.js";
import { httpCheck } from "./http-check.js";
import { waitUntil } from "./wait-until.js";
import { waitDuration } from "./wait-duration.js";
import { flagSet } from "./flag-set.js";
import { gateApproval } from "./gate-approval.js";

// Local environment and nginx (issue 3).
import { localDeploy } from "./local-deploy.js";
import { localDrain } from "./local-drain.js";
import { localSwap } from "./local-swap.js";
import { localStop } from "./local-stop.js";
import { localStatus } from "./local-status.js";
import { nginxSwap } from "./nginx-swap.js";

// Migrations (issue 4).
import { migrateRun } from "./migrate-run.js";
import { migrateCheck } from "./migrate-check.js";
import { migrateValidate } from "./migrate-validate.js";
import { migrateBackfill } from "./migrate-backfill.js";
import { dbBackup } from "./db-backup.js";
import { dbClone } from "./db-clone.js";
import { queueDrain } from "./queue-drain.js";

// Azure (issue 5).
import { azureDeploy } from "./azure-deploy.js";
import { azureWarmup } from "./azure-warmup.js";
import { azureSlotDiff } from "./azure-slot-diff.js";
import { azureSwapPreview } from "./azure-swap-preview.js";
import { azureSwap } from "./azure-swap.js";
import { azureStartSlot } from "./azure-start-slot.js";
import { azureStopSlot } from "./azure-stop-slot.js";
import { azureRestartSlot } from "./azure-restart-slot.js";
import { azureQueueDrain } from "./azure-queue-drain.js";
import { azureBake } from "./azure-bake.js";
import { azureFrontDoorSwitch } from "./azure-frontdoor-switch.js";

// Progressive traffic and Azure health gates (issue 12).
import { trafficShift } from "./traffic-shift.js";
import { azureMonitorGate } from "./azure-monitor-gate.js";
import { azureContainerAppDeploy } from "./containerapp-deploy.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each action has its own input type
export const actions: ActionDefinition<any>[] = [
  exec,
  httpCheck,
  waitUntil,
  waitDuration,
  flagSet,
  gateApproval,
  localDeploy,
  localDrain,
  localSwap,
  localStop,
  localStatus,
  nginxSwap,
  migrateRun,
  migrateCheck,
  migrateValidate,
  migrateBackfill,
  dbBackup,
  dbClone,
  queueDrain,
  azureDeploy,
  azureWarmup,
  azureSlotDiff,
  azureSwapPreview,
  azureSwap,
  azureStartSlot,
  azureStopSlot,
  azureRestartSlot,
  azureQueueDrain,
  azureBake,
  azureFrontDoorSwitch,
  trafficShift,
  azureMonitorGate,
  azureContainerAppDeploy,
];

export function findAction(kind: string): ActionDefinition<unknown> | undefined {
  return actions.find((a) => a.kind === kind) as ActionDefinition<unknown> | undefined;
}
