// Squidex demo v2: contents rebuilt into the new collection `contents_2` (as Squidex does for a change that
// is not backward compatible, so the old version keeps its own); needs schema 2.
import { contentApi } from "../app.js";
await contentApi({ version: "v2", schema: 2, table: "contents_2" });
