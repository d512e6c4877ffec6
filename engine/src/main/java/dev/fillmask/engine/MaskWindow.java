package dev.fillmask.engine;

import java.util.Arrays;

/**
 * Where the model looks when an input is longer than its maximum length: the template's special tokens at both
 * ends, and between them the stretch of text that holds every mask, centred on the masks. (The Python pipeline fails
 * on such inputs; the contract lets this job answer them.)
 */
final class MaskWindow {
    private MaskWindow() {}

    /** The window, or null when the masks are too far apart to share one window of {@code maxLength} tokens. */
    static ModelInput fit(TokenizedText text, int[] masks, int maxLength) {
        int n = text.length();
        if (n <= maxLength) {
            return new ModelInput(text.ids(), text.typeIds(), masks);
        }
        int lead = 0;
        while (lead < masks[0] && text.specialTokens()[lead] == 1) {
            lead++;
        }
        int trail = 0;
        while (n - 1 - trail > masks[masks.length - 1] && text.specialTokens()[n - 1 - trail] == 1) {
            trail++;
        }
        int budget = maxLength - lead - trail;
        int span = masks[masks.length - 1] - masks[0] + 1;
        if (span > budget) {
            return null;
        }
        int centred = masks[0] - (budget - span) / 2;
        int start = Math.max(lead, Math.min(centred, n - trail - budget));
        int shift = lead - start;

        long[] ids = new long[maxLength];
        long[] types = new long[maxLength];
        copyWindow(text.ids(), ids, lead, start, budget, n, trail);
        copyWindow(text.typeIds(), types, lead, start, budget, n, trail);
        int[] shifted = Arrays.stream(masks).map(m -> m + shift).toArray();
        return new ModelInput(ids, types, shifted);
    }

    private static void copyWindow(long[] from, long[] to, int lead, int start, int budget, int n, int trail) {
        System.arraycopy(from, 0, to, 0, lead);
        System.arraycopy(from, start, to, lead, budget);
        System.arraycopy(from, n - trail, to, lead + budget, trail);
    }
}
