/** The Azure provider kinds: App Service slots, App Configuration flags, Table Storage state, Storage queues. */
export { azureAppServiceProvider, APPSERVICE_CAPABILITY } from "./appservice-provider.js";
export { azureAppConfigProvider } from "./appconfig-provider.js";
export { azureTableProvider } from "./table-provider.js";
export { azureQueueProvider } from "./queue-provider.js";
export { setCredentialFactory, getCredential, type CredentialFactory } from "./credential.js";
