package dev.fillmask.gateway.kafka;

/**
 * Whether the job behind the gateway answers: ready once an answer to one of this instance's requests (a probe or a
 * caller's) has come back, and not ready again when the latest news is a request that timed out with no answer since
 * (the job stopped, or fell far behind). While not ready, the gateway answers 503 and probes the job.
 */
public final class Readiness {
    private volatile long lastAnswer = Long.MIN_VALUE;
    private volatile long lastTimeout = Long.MIN_VALUE;
    private volatile String notReadyReason = "the fill-mask job has not answered yet";

    public boolean isReady() {
        return lastAnswer != Long.MIN_VALUE && lastAnswer >= lastTimeout;
    }

    /** Why the gateway is not ready, for a 503's message. */
    public String reason() {
        if (lastAnswer != Long.MIN_VALUE && lastTimeout > lastAnswer) {
            return "the fill-mask job has not answered since a request timed out";
        }
        return notReadyReason;
    }

    public void answerSeen() {
        lastAnswer = System.nanoTime();
    }

    public void timedOut() {
        lastTimeout = System.nanoTime();
    }

    /** What stands in the way before the job has answered at all (a missing topic, a broker that does not answer). */
    public void waitingFor(String reason) {
        notReadyReason = reason;
    }
}
