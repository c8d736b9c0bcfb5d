/** Error codes of the alerts stage. */
export const alertErrorCodes = [
  /** A record of consumption-averages is not an hourly average ({ meter, windowStart, windowEnd, count, avg }). */
  'SEDA_ALERT_INPUT_INVALID',
] as const;

/** A code from {@link alertErrorCodes}. */
export type AlertErrorCode = (typeof alertErrorCodes)[number];
