package dev.fillmask.udf;

/**
 * What a subtask does with a record that fails the job over and over (a poison pill): one that crashes the process,
 * or fails in a way no error answer can contain. After a failure, a subtask answers its replayed records one at a
 * time, noting each in flight ({@link InFlightMarkers}) until the replay has passed the failure ({@link Recovery}); a record that was in
 * flight when that careful attempt failed too is, with {@link #DEAD_LETTER}, answered with an error (and so
 * dead-lettered) on the next attempt instead of being run again. (Flink matches enum values by {@code toString()}.)
 */
public enum PoisonPills {
    /** Answer a record that failed the recovering job with an error instead of running it a third time. */
    DEAD_LETTER,
    /** Run every record again after every failure, however often it fails the job. */
    RETRY;

    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
