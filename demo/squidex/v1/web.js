// Squidex demo v1: contents in the collection `contents`; needs schema 1.
import { contentApi } from "../app.js";
await contentApi({ version: "v1", schema: 1, table: "contents" });
