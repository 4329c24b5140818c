/** The process environment as the gateway reads it: variable name to value, unset ones undefined. */
export type Environment = Readonly<Record<string, string | undefined>>;
