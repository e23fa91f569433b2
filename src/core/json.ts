/** A JSON value: what the journal stores, what actions output, record and checkpoint. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
