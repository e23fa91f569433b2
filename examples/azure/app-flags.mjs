// An app that reads cutover's maintenance flag from Azure App Configuration and sees a change while it runs
// (docs/azure.md, "Apps that see the flag"). Node 20+, packages @azure/app-configuration-provider,
// @microsoft/feature-management and @azure/identity.
import http from "node:http";
import { setInterval } from "node:timers";
import { load } from "@azure/app-configuration-provider";
import { DefaultAzureCredential } from "@azure/identity";
import { ConfigurationMapFeatureFlagProvider, FeatureManager } from "@microsoft/feature-management";

// How often the app asks the store whether flags changed (the provider's minimum is 1 s, its default 30 s).
const REFRESH_MS = Number(process.env.FLAG_REFRESH_MS ?? 5_000);
const options = {
  featureFlagOptions: {
    enabled: true,
    // The label cutover's `flags` entry writes (label: production).
    selectors: [{ keyFilter: "*", labelFilter: process.env.FLAG_LABEL ?? "production" }],
    // Without this, refresh() throws "Refresh is not enabled…" and the app keeps the flags it started with.
    refresh: { enabled: true, refreshIntervalInMs: REFRESH_MS },
  },
};
const appConfig = process.env.APP_CONFIG_CONNECTION_STRING
  ? await load(process.env.APP_CONFIG_CONNECTION_STRING, options)
  : await load(process.env.APP_CONFIG_ENDPOINT, new DefaultAzureCredential(), options);
const features = new FeatureManager(new ConfigurationMapFeatureFlagProvider(appConfig));

// refresh() only asks the store once REFRESH_MS has passed since the last check, and returns at once otherwise.
// A timer makes an idle instance pick the change up too; calling it per request as well costs nothing.
const refresh = () => appConfig.refresh().catch((e) => console.warn(`flag refresh failed: ${e.message}`));
setInterval(refresh, 1_000).unref();

const server = http.createServer(async (req, res) => {
  void refresh();
  const maintenance = await features.isEnabled("MaintenanceMode");
  if (req.url === "/health/flags") {
    // What `flag.set` with `confirm: { urls, bodyContains: '"MaintenanceMode":true' }` polls.
    res.writeHead(200, { "content-type": "application/json" });
    return res.end(JSON.stringify({ MaintenanceMode: maintenance }));
  }
  if (req.method === "POST" && maintenance) {
    res.writeHead(503, { "retry-after": "30" });
    return res.end("maintenance: writes are paused");
  }
  res.writeHead(200);
  res.end("ok");
});
server.listen(Number(process.env.PORT ?? 8080), () => console.log(`listening on ${server.address().port}`));
