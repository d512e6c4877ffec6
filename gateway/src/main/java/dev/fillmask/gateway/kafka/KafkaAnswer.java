package dev.fillmask.gateway.kafka;

/**
 * One answer as the job wrote it: the value (the response schema's JSON, passed on byte for byte) and the model that
 * made it (the job's {@code fill-mask.model} and {@code fill-mask.model.version} headers; null when absent).
 */
public record KafkaAnswer(byte[] value, String model, String modelVersion) {

    /** Whether the job answered with {@code {"error": ...}} rather than candidates. */
    public boolean isError() {
        for (byte b : value) {
            if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
                return b == '{';
            }
        }
        return false;
    }
}
