/** Durations: one parser for every field. */
import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "../../src/playbook/duration.js";

describe("parseDuration", () => {
  it.each([
    [0, 0],
    [250, 250],
    ["10", 10],
    ["500ms", 500],
    ["30s", 30_000],
    ["1.5s", 1_500],
    ["5m", 300_000],
    ["2h", 7_200_000],
    ["1m30s", 90_000],
    ["1h2m3s4ms", 3_723_004],
    ["  5s ", 5_000],
  ])("%j → %i ms", (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(["", "5 minutes", "5x", "1s2", "s", "-1s", "1m 30s", "1d"])("refuses %j, saying what is accepted", (text) => {
    expect(() => parseDuration(text)).toThrow(RangeError);
    expect(() => parseDuration(text)).toThrow(/write e\.g\. 500ms, 30s, 5m, 1h or 1m30s/);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])("refuses the number %d", (n) => {
    expect(() => parseDuration(n)).toThrow(/non-negative number of milliseconds/);
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0ms"],
    [999, "999ms"],
    [1_000, "1.0s"],
    [9_950, "9.9s"],
    [42_000, "42s"],
    [60_000, "1m"],
    [90_000, "1m30s"],
    [3_600_000, "1h"],
    [5_400_000, "1h30m"],
  ])("%i → %s", (ms, text) => expect(formatDuration(ms)).toBe(text));
});
