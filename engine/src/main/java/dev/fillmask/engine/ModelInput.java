package dev.fillmask.engine;

/**
 * What one request hands the model: the token window (at most the model's maximum length) and where its masks are.
 *
 * @param ids token ids of the window
 * @param typeIds token type ids of the window
 * @param maskPositions positions of the masks inside the window, in text order
 */
record ModelInput(long[] ids, long[] typeIds, int[] maskPositions) {}
