// What playbooks/azure-appservice.yaml releases to, and the rights of the
// identity cutover runs as. Deploy into an existing resource group:
//
//   az deployment group create -g rg-shop -f infra/azure/main.bicep \
//     -p appName=shop-api appConfigName=appcs-shop storageAccountName=stshopcutover \
//        cutoverPrincipalId=<object id of the CI identity>
//
// Parameters are documented in README.md next to this file.

targetScope = 'resourceGroup'

@description('Region of every resource (default: the resource group\'s).')
param location string = resourceGroup().location

@description('Name of the web app (globally unique: it becomes <name>.azurewebsites.net).')
@minLength(2)
@maxLength(60)
param appName string

@description('App Service plan SKU. Deployment slots need Standard (S1) or higher.')
@allowed([
  'S1'
  'S2'
  'S3'
  'P0v3'
  'P1v3'
  'P2v3'
  'P3v3'
])
param planSku string = 'P0v3'

@description('Runtime of both slots (e.g. NODE|20-lts), set on the FIRST deployment only. Leave it empty when re-deploying: the running release owns linuxFxVersion (an image release sets DOCKER|<image>), and a value here would replace it.')
param initialRuntime string = ''

@description('Path App Service pings to warm a slot up during a swap, and cutover\'s warm-up checks.')
param healthPath string = '/health'

@description('Name of the App Configuration store (globally unique, 5-50 characters).')
@minLength(5)
@maxLength(50)
param appConfigName string

@description('Name of the storage account holding cutover\'s journal table and the work queue (3-24 lower-case letters and digits).')
@minLength(3)
@maxLength(24)
param storageAccountName string

@description('Table of run journals and leases (must match `table:` of the azure-table provider).')
param journalTableName string = 'cutover'

@description('Queue the old version drains before a swap (must match `queue:` of the azure-queue provider).')
param queueName string = 'orders'

@description('Object (principal) id of the identity cutover runs as: a CI managed identity, a workload-identity app registration, or a user.')
param cutoverPrincipalId string

@description('Kind of that principal.')
@allowed([
  'ServicePrincipal'
  'User'
  'Group'
])
param cutoverPrincipalType string = 'ServicePrincipal'

// Built-in role definition ids.
var roles = {
  websiteContributor: 'de139f84-1756-47ae-9be6-808fbbe84772'
  appConfigDataOwner: '5ae67dd6-50cb-40e7-96ff-dc2bfa4b606b'
  appConfigDataReader: '516239f1-63e1-4d78-a4de-a74fb236a071'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  storageQueueDataReader: '19e7f393-937e-4f77-808e-94535e297925'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
}

// Re-running this template must not undo a release. ARM applies every property a
// template sets, and App Service replaces app settings as a whole set: a
// `siteConfig.appSettings` here would drop what releases set
// (WEBSITE_RUN_FROM_PACKAGE, APP_VERSION) on every re-deploy, and a
// `linuxFxVersion` would replace a released image. So:
// - the site and the slot set no app settings and, after the first deployment,
//   no linuxFxVersion (only `initialRuntime`, when given);
// - the settings infrastructure owns are written by separate `config/appsettings`
//   resources as union(the slot's current settings, infra settings): release-owned
//   settings are carried over, infra-owned ones win.
// Sources: "Incremental mode" in learn.microsoft.com/azure/azure-resource-manager/templates/deployment-modes
// ("all properties are reapplied"); Azure/azure-quickstart-templates#8495 and Azure/azure-cli#11718 (app settings
// replaced on re-deploy); the list()/union() merge as in Azure/bicep-registry-modules#949 (PR #3311).

// Infra-owned settings of every slot. DEPLOY_SLOT is sticky (see slotConfigNames),
// so it always tells which slot an instance runs in; the others move with a swap.
var infraSettings = {
  AppConfig__Endpoint: appConfig.properties.endpoint
  AppConfig__Label: 'production'
  Queue__Endpoint: storage.properties.primaryEndpoints.queue
  Queue__Name: queueName
  WEBSITE_SWAP_WARMUP_PING_PATH: healthPath
  WEBSITE_SWAP_WARMUP_PING_STATUSES: '200'
}

// siteConfig without app settings; linuxFxVersion only when initialRuntime is given.
var siteConfigBase = {
  healthCheckPath: healthPath
  alwaysOn: true
  minTlsVersion: '1.2'
  ftpsState: 'Disabled'
}
var slotSiteConfig = union(siteConfigBase, empty(initialRuntime) ? {} : { linuxFxVersion: initialRuntime })

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: '${appName}-plan'
  location: location
  kind: 'linux'
  sku: {
    name: planSku
  }
  properties: {
    reserved: true // Linux
  }
}

resource site 'Microsoft.Web/sites@2023-12-01' = {
  name: appName
  location: location
  kind: 'app,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: slotSiteConfig
  }
}

resource staging 'Microsoft.Web/sites/slots@2023-12-01' = {
  parent: site
  name: 'staging'
  location: location
  kind: 'app,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: slotSiteConfig
  }
}

// The merge: the slot's current settings (list() reads them at deployment
// time, values included), then the infra-owned ones over them.
resource siteAppSettings 'Microsoft.Web/sites/config@2023-12-01' = {
  parent: site
  name: 'appsettings'
  properties: union(list('${site.id}/config/appsettings', '2023-12-01').properties, infraSettings, {
    DEPLOY_SLOT: 'production'
  })
}

resource stagingAppSettings 'Microsoft.Web/sites/slots/config@2023-12-01' = {
  parent: staging
  name: 'appsettings'
  properties: union(list('${staging.id}/config/appsettings', '2023-12-01').properties, infraSettings, {
    DEPLOY_SLOT: 'staging'
  })
}

// Slot (sticky) settings: they stay with their slot when the slots swap.
// azure.slot-diff's `requireSticky` checks these before every swap.
resource slotConfigNames 'Microsoft.Web/sites/config@2023-12-01' = {
  parent: site
  name: 'slotConfigNames'
  properties: {
    appSettingNames: [
      'DEPLOY_SLOT'
    ]
  }
}

resource appConfig 'Microsoft.AppConfiguration/configurationStores@2023-03-01' = {
  name: appConfigName
  location: location
  sku: {
    name: 'standard'
  }
  properties: {
    // Entra ID only: cutover and the apps use their identities, not access keys.
    disableLocalAuth: true
  }
}

// No key-values here: with local auth disabled, ARM could only write them by
// passing the deployer's own data-plane rights through. cutover's flag.set
// creates the MaintenanceMode flag on first use (and its undo removes it).

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageAccountName
  location: location
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false // Entra ID only
    supportsHttpsTrafficOnly: true
  }
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource journalTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = {
  parent: tableService
  name: journalTableName
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource workQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: queueName
}

// ---- What cutover's identity may do ----

// Slots: read state and settings, deploy, swap, start/stop. Scoped to the app
// (its slots are child resources), not the resource group.
resource cutoverOnSite 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(site.id, cutoverPrincipalId, roles.websiteContributor)
  scope: site
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.websiteContributor)
    principalId: cutoverPrincipalId
    principalType: cutoverPrincipalType
  }
}

// The maintenance flag: read, conditional write, delete (undo of a new flag).
resource cutoverOnAppConfig 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appConfig.id, cutoverPrincipalId, roles.appConfigDataOwner)
  scope: appConfig
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.appConfigDataOwner)
    principalId: cutoverPrincipalId
    principalType: cutoverPrincipalType
  }
}

// Journal and lease entities. The account-level role lets the provider create
// the table on first use; the table above already exists.
resource cutoverOnTables 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, cutoverPrincipalId, roles.storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: cutoverPrincipalId
    principalType: cutoverPrincipalType
  }
}

// Queue depth for azure.queue-drain (read-only).
resource cutoverOnQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(workQueue.id, cutoverPrincipalId, roles.storageQueueDataReader)
  scope: workQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataReader)
    principalId: cutoverPrincipalId
    principalType: cutoverPrincipalType
  }
}

// ---- What the app's own identities may do (both slots: each has its own) ----

resource prodReadsFlags 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appConfig.id, site.id, roles.appConfigDataReader)
  scope: appConfig
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.appConfigDataReader)
    principalId: site.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource stagingReadsFlags 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appConfig.id, staging.id, roles.appConfigDataReader)
  scope: appConfig
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.appConfigDataReader)
    principalId: staging.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource prodProcessesQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(workQueue.id, site.id, roles.storageQueueDataContributor)
  scope: workQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: site.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource stagingProcessesQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(workQueue.id, staging.id, roles.storageQueueDataContributor)
  scope: workQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: staging.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

output webAppName string = site.name
output productionHostName string = site.properties.defaultHostName
output stagingHostName string = staging.properties.defaultHostName
output appConfigEndpoint string = appConfig.properties.endpoint
output tableEndpoint string = storage.properties.primaryEndpoints.table
output queueEndpoint string = storage.properties.primaryEndpoints.queue
