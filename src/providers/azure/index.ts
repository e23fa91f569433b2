/**
 * The Azure provider kinds: App Service slots, App Configuration flags, Table
 * Storage state, Storage queues. Nothing reachable from here at load time
 * imports an @azure/* module: each provider's create() loads its SDK on
 * demand, so commands that use no Azure provider start without it
 * (test/azure/lazy-load.test.ts keeps it that way).
 */
export { azureAppServiceProvider } from "./appservice-provider.js";
export { azureAppConfigProvider } from "./appconfig-provider.js";
export { azureTableProvider } from "./table-provider.js";
export { azureQueueProvider } from "./queue-provider.js";
export { azureServiceBusProvider } from "./servicebus-provider.js";
export { azureFrontDoorProvider } from "./frontdoor-provider.js";
export { azureMonitorLogsProvider } from "./monitor-provider.js";
export { azureContainerAppsProvider } from "./containerapps-provider.js";
