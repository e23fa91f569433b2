/** Durations moved to src/core/duration.ts (one grammar for every field); this keeps old imports working. */
export { formatDuration, parseDuration } from "../core/duration.js";
