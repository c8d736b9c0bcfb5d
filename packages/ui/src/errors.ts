/** Error codes of @seda/ui. */
export const uiErrorCodes = ['SEDA_UI_TOKEN', 'SEDA_UI_KAFKA', 'SEDA_UI_SCRAPE', 'SEDA_UI_LISTEN', 'SEDA_UI_STAGE'] as const;

/** A code from {@link uiErrorCodes}. */
export type UiErrorCode = (typeof uiErrorCodes)[number];
