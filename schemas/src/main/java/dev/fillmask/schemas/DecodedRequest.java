package dev.fillmask.schemas;

import java.util.Objects;

/** The outcome of reading one request: a {@link Valid} request, or why it is {@link Invalid}. */
public sealed interface DecodedRequest permits DecodedRequest.Valid, DecodedRequest.Invalid {

    /** A request that passed every check of the codec (the engine may still answer it with an error). */
    record Valid(FillMaskRequest request) implements DecodedRequest {
        public Valid {
            Objects.requireNonNull(request, "request");
        }
    }

    /**
     * A record that is not a request.
     *
     * @param reason a message a person can act on: it names the field and what was expected, e.g.
     *               {@code "`parameters.top_k` must be an integer >= 1, got -3"}
     */
    record Invalid(String reason) implements DecodedRequest {
        public Invalid {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** Whether this is a {@link Valid} request. */
    default boolean isValid() {
        return this instanceof Valid;
    }
}
