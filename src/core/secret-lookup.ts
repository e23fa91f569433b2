/** Where a secret named in a playbook is read from (kept apart from src/runtime.ts, which loads every action). */

/** Secrets come from the environment: `NAME`, or `CUTOVER_SECRET_NAME` to keep them apart. */
export function lookupSecret(env: NodeJS.ProcessEnv, name: string): string | undefined {
  // Own entries only: `secrets.constructor` must not find Object.prototype's.
  const own = (k: string) => (Object.hasOwn(env, k) ? env[k] : undefined);
  return own(`CUTOVER_SECRET_${name}`) ?? own(name);
}
