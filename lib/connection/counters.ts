/** Counters for work done in JavaScript (user protocols); native counters cover the rest. */
export const jsCounters = {
  totalRequest: 0,
  packageTooLarge: 0,
  protocolErrors: 0,
};
