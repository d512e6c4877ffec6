package dev.fillmask.udf;

import dev.fillmask.schemas.DecodedRequest;
import dev.fillmask.schemas.FillMaskAnswer;

import java.io.Serializable;

/**
 * How the operator sees the records of a job: the request a record carries, and the record that carries its answer.
 * The operator knows nothing of Kafka; the job says what a record is.
 *
 * @param <IN> the incoming record (for the Kafka job: the raw Kafka record)
 * @param <OUT> the outgoing record (for the Kafka job: the answer plus what the sinks need of the input)
 */
public interface FillMaskRecords<IN, OUT> extends Serializable {

    /** The request in {@code record}, or why there is none. Must not throw: bad input is an {@code Invalid}. */
    DecodedRequest decode(IN record);

    /** The record that carries {@code answer} (an error answer for a rejected request) for {@code record}. */
    OUT answered(IN record, FillMaskAnswer answer);

    /**
     * The same, knowing which model made the answer: the operator calls this one. Records that name the model (the
     * Kafka job's answer headers) take it from here, since a model swapped while the job runs changes it between
     * two batches; by default the model is not part of the record.
     */
    default OUT answered(IN record, FillMaskAnswer answer, ServingModel model) {
        return answered(record, answer);
    }

    /**
     * A name of {@code record} that stays the same when the record is replayed after a failure (for Kafka:
     * topic-partition@offset), or {@code null} when it has none: then a record that fails the job is always retried
     * ({@link PoisonPills}).
     */
    default String identity(IN record) {
        return null;
    }
}
