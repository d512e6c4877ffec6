package dev.fillmask.udf.sql;

/**
 * How the SQL functions close: what they opened first (the batcher, then the model), the function itself last, and
 * every step even when an earlier one throws, so that a failing close never leaves an ONNX session open.
 */
final class CloseInOrder {
    private CloseInOrder() {
    }

    /** Closes each step in order (a null one is skipped); throws the first failure, with the later ones suppressed. */
    static void closeAll(AutoCloseable... steps) throws Exception {
        Exception first = null;
        for (AutoCloseable step : steps) {
            if (step == null) {
                continue;
            }
            try {
                step.close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
