package dev.fillmask.job.reliability;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A steady stream of requests at a fixed rate, from a thread of its own, each under a key of its own
 * ({@code prefix-0}, {@code prefix-1}, ...), the values from {@link Requests}. The producer is idempotent with
 * {@code acks=all} and a long delivery timeout, so it rides out a broker that is down for a while: records wait in
 * its buffer and go out when the broker is back. Which keys were sent and which were acknowledged is recorded.
 */
public final class RequestStream implements AutoCloseable {
    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;
    private final String prefix;
    private final double perSecond;
    private final Thread thread;
    /** Keys in the order sent, and the wall-clock time (ms) each was handed to the producer. */
    private final List<String> sent = new ArrayList<>();
    private final List<Long> sentAt = new ArrayList<>();
    private final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    private final AtomicInteger failed = new AtomicInteger();
    private volatile String firstFailure;
    private volatile boolean running = true;
    private volatile long startedAt;
    private volatile long stoppedAt;

    public RequestStream(String bootstrapServers, String topic, String prefix, double perSecond) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        // A broker down for seconds must not cost a request: keep retrying for minutes.
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "300000");
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        props.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
        props.put(ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG, "500");
        this.producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
        this.topic = topic;
        this.prefix = prefix;
        this.perSecond = perSecond;
        this.thread = new Thread(this::run, "request-stream-" + prefix);
        this.thread.setDaemon(true);
    }

    public RequestStream start() {
        startedAt = System.currentTimeMillis();
        thread.start();
        return this;
    }

    private void run() {
        long period = (long) (TimeUnit.SECONDS.toNanos(1) / perSecond);
        long next = System.nanoTime();
        for (int i = 0; running; i++) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
                if (!running) {
                    break;
                }
            }
            next += period;
            String key = prefix + "-" + i;
            byte[] value = Requests.value(i);
            synchronized (this) {
                sent.add(key);
                sentAt.add(System.currentTimeMillis());
            }
            try {
                producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value), (meta, error) -> {
                    if (error == null) {
                        acknowledged.add(key);
                    } else {
                        failed.incrementAndGet();
                        if (firstFailure == null) {
                            firstFailure = key + ": " + error;
                        }
                    }
                });
            } catch (RuntimeException e) {
                failed.incrementAndGet();
                if (firstFailure == null) {
                    firstFailure = key + ": " + e;
                }
            }
        }
    }

    /** Stops sending and waits until every record sent is acknowledged (or has failed). */
    public void stop() {
        if (running) {
            running = false;
            stoppedAt = System.currentTimeMillis();
            LockSupport.unpark(thread);
            try {
                thread.join(TimeUnit.SECONDS.toMillis(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            producer.flush();
        }
    }

    @Override
    public void close() {
        stop();
        producer.close();
    }

    public String prefix() {
        return prefix;
    }

    public double perSecond() {
        return perSecond;
    }

    /** Every key sent so far, in order. */
    public synchronized List<String> sentKeys() {
        return List.copyOf(sent);
    }

    /** The keys handed to the producer before wall-clock time {@code millis}. */
    public synchronized List<String> sentBefore(long millis) {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < sent.size() && sentAt.get(i) < millis; i++) {
            keys.add(sent.get(i));
        }
        return keys;
    }

    public synchronized int sentCount() {
        return sent.size();
    }

    public Set<String> acknowledged() {
        return Set.copyOf(acknowledged);
    }

    public int failedCount() {
        return failed.get();
    }

    public String firstFailure() {
        return firstFailure;
    }

    /** Seconds between start and stop (or now, while it runs). */
    public double seconds() {
        long end = stoppedAt == 0 ? System.currentTimeMillis() : stoppedAt;
        return (end - startedAt) / 1000.0;
    }
}
