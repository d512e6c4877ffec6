package dev.fillmask.udf;

import java.io.Serializable;

/**
 * What one subtask did with a {@link ModelChange}: the operator emits one per subtask and change to the side output
 * {@link FillMaskStream#MODEL_STATUS} (the Kafka job writes them to its status topic).
 *
 * @param subtask the subtask's index
 * @param subtasks the operator's parallelism: a change is done when this many statuses with its id are in
 * @param id the change's id (the control record's key), may be null
 * @param model the model as the change named it (null for an invalid change)
 * @param outcome what happened
 * @param error why it failed or was rejected; null when swapped
 * @param folder the model's folder, once resolved; else null
 * @param version the loaded model's version, once loaded; else null
 * @param loadMillis how long resolving and loading took; -1 when nothing was loaded
 * @param serving the model the subtask serves after this change
 */
public record ModelStatus(int subtask, int subtasks, String id, String model, Outcome outcome, String error,
                          String folder, String version, long loadMillis, ServingModel serving)
        implements Serializable {

    public enum Outcome {
        /** The new model serves from the next batch on; the old one is closed. */
        SWAPPED,
        /** The new model could not be loaded; the old one keeps serving. */
        FAILED,
        /** The control record is no order ({@link ModelChange#invalid}); nothing was loaded. */
        REJECTED;

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
