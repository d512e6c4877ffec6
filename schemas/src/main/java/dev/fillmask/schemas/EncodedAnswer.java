package dev.fillmask.schemas;

/**
 * An answer as it goes on the wire: its UTF-8 JSON, and the error message when it is an error answer (then the
 * request also earns a dead letter). Made by {@link FillMaskCodec#writeBoundedAnswer(FillMaskAnswer)}.
 *
 * @param json  the answer's JSON, UTF-8
 * @param error the error message, or {@code null} for candidates
 */
public record EncodedAnswer(byte[] json, String error) {

    public boolean isError() {
        return error != null;
    }
}
